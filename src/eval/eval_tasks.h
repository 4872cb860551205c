// eval_tasks.h: `lmforge eval tasks` as a library call: resolve task names (a built-in task in
// the tasks folder by file stem or `task:` name, or any harness-style YAML file), plan each
// strategy, prepare every task (data, prompts, filters, metrics: all errors surface here, before
// the model is opened or anything is scored), open the model, score, and write OUT atomically
// (nothing is written when any step fails). Not here: printing (the CLI does that).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eval/evaluator.h"
#include "eval/results.h"

namespace lm::eval {

struct EvalTasksOptions {
  std::string checkpoint;
  std::string tokenizer;           // override ("" = the checkpoint's own)
  std::vector<std::string> tasks;  // names or YAML files
  std::string output;              // OUT folder ("" = write nothing)
  std::string tasks_dir;           // "" = default_tasks_dir()
  std::string task_data_dir;       // "" = $LMFORGE_TASK_DATA, else out/tasks
  std::optional<int> num_fewshot;
  int64_t limit = 0;
  bool log_samples = false;
  uint64_t seed = 1234;
  int threads = 0;
  int batch_size = 16;
  int bootstrap_iters = 1000;
  std::vector<std::string> strategies = {"direct"};
  StrategyOptions strategy;
};

struct EvalTasksReport {
  std::vector<TaskResult> results;
  nlohmann::ordered_json results_json;
  std::string table;
};

using ModelOpener = std::function<Result<std::unique_ptr<LanguageModel>>(const ModelOptions&)>;

// `open` defaults to open_model (tests pass a fake model).
Result<EvalTasksReport> run_eval_tasks(const EvalTasksOptions& options,
                                       const ModelOpener& open = {});

// The plans (task x strategy) and their prepared prompts, without a model (tests, --list).
struct TaskPlanSet {
  std::vector<StrategyPlan> plans;
  std::vector<PreparedTaskPtr> prepared;
};
Result<TaskPlanSet> prepare_eval_tasks(const EvalTasksOptions& options);

struct TaskListing {
  std::string name, yaml, summary;
  bool data_present = false;
  std::string data_file;  // the test split's file when present, else the first path tried
};
Result<std::vector<TaskListing>> list_builtin_tasks(const std::string& tasks_dir,
                                                    const std::string& task_data_dir);

// $LMFORGE_TASK_DATA, else "out/tasks".
std::string default_task_data_dir();

// A task by name in `tasks_dir` (file stem, then `task:` name); nullopt when there is none.
Result<std::optional<TaskConfig>> find_task_in(const std::string& tasks_dir,
                                               const std::string& name);

}  // namespace lm::eval
