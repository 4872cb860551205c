// builtin_tasks.h: the built-in tasks shipped under tasks/ (harness task YAML) and the code
// that generates their documents: kjv_cloze (a verse's last word, LAMBADA-style), gcide_define
// (a word's definition out of 4), arithmetic_add (n-digit sums, n = 1..5, direct and with
// column-wise carries as chain of thought), induction_copy (repeat a random token sequence seen
// earlier in the context). Documents come from the sample corpus and seeded generators, never
// from a published benchmark; the same seed gives the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace lm::eval {

struct BuiltinTask {
  std::string name;         // the task name in its YAML (e.g. "arithmetic_add_3")
  std::string yaml;         // path of its YAML file under the tasks folder
  std::string summary;      // one line for `lmforge eval tasks --list`
  bool needs_sample = false;  // its documents come from the sample corpus

  // Its data folder under the task-data folder (the YAML's dataset_path).
  std::string dataset;
  // The name that selects it with its siblings (e.g. "arithmetic_add", also the YAML's tag).
  std::string group;
};

// The tasks folder: $LMFORGE_TASKS_DIR, else tasks/ beside the source tree the binary was
// built from.
std::string default_tasks_dir();
std::vector<BuiltinTask> builtin_tasks(const std::string& tasks_dir);

struct MakeDataOptions {
  std::string out_dir;     // writes OUT/<dataset>/{train,validation,test}.jsonl
  std::string sample_dir;  // the sample corpus (lmforge corpus sample); "" = synthetic tasks only
  uint64_t seed = 1234;
};
// Writes every built-in task's documents (atomically); the corpus tasks need sample_dir.
Status make_builtin_task_data(const MakeDataOptions& options);

// What make_builtin_task_data wrote, one entry per dataset folder (documents per split).
struct TaskDataSummary {
  std::string dataset;
  int64_t train = 0, validation = 0, test = 0;
};
// The same, reporting each dataset written (corpus datasets are absent without sample_dir).
Status make_builtin_task_data(const MakeDataOptions& options,
                              std::vector<TaskDataSummary>* written);

}  // namespace lm::eval
