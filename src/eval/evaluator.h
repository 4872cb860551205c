// evaluator.h: one task (under one strategy) from its config to per-metric values: loads and
// limits the documents, builds every prompt and request up front (so bad templates, choices,
// regexes or data fail before any scoring), sends the requests to a LanguageModel in batches,
// applies the filter pipelines, scores each document (metrics.h) and aggregates with standard
// errors. Not here: the model (lm.h), results.json and the table (results.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eval/lm.h"
#include "eval/strategy.h"
#include "eval/task_data.h"

namespace lm::eval {

struct EvalTaskOptions {
  std::optional<int> num_fewshot;  // --num-fewshot (overrides the task's)
  int64_t limit = 0;               // first N documents of the evaluated split (0 = all)
  uint64_t seed = 1234;            // few-shot sampler, generation and bootstrap seed
  int bootstrap_iters = 1000;      // the harness's default is 100000; 1000 keeps runs fast
  bool log_samples = false;        // keep one JSON line per document and filter
  DataOptions data;
  int batch_requests = 256;  // requests per LanguageModel call (progress granularity)
};

struct MetricValue {
  std::string metric, filter;
  double value = 0;
  std::optional<double> stderr_value;  // nullopt = "N/A"
  bool higher_is_better = true;
};

struct TaskResult {
  std::string name;      // results key (task, or task@strategy)
  std::string task;      // the evaluated task's name
  std::string strategy;  // direct | cot | zs-cot | sc
  std::string output_type;
  Json config;   // results.json "configs" entry
  Json version;  // metadata.version or null
  int n_shot = 0;
  int64_t n_original = 0, n_effective = 0;
  std::vector<MetricValue> metrics;  // in metric_list order, per filter
  std::vector<std::string> filters;
  std::vector<std::string> samples;  // samples_<name>.jsonl lines (with log_samples)
};

class PreparedTask;
struct PreparedTaskDeleter {
  void operator()(PreparedTask* p) const;
};
using PreparedTaskPtr = std::unique_ptr<PreparedTask, PreparedTaskDeleter>;

// Everything that can fail without a model: data, templates, choices, targets, few-shot draws,
// filters, metrics. The same options give the same prompts.
Result<PreparedTaskPtr> prepare_task(const StrategyPlan& plan, const EvalTaskOptions& options);
// The prompts built (one context per document; tests read them).
std::vector<std::string> prepared_contexts(const PreparedTask& task);
const std::string& prepared_name(const PreparedTask& task);
int64_t prepared_requests(const PreparedTask& task);  // LanguageModel requests it will make

// Scores a prepared task. Errors from the model name the task and document.
Result<TaskResult> run_task(LanguageModel& model, const PreparedTask& task,
                            const EvalTaskOptions& options);

}  // namespace lm::eval
