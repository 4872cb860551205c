// task_data.h: a task's documents from local files (there is no dataset hub here): dataset_path
// is a JSONL / JSON / CSV / TSV file, or a folder holding <split>.jsonl|json|csv|tsv (under
// dataset_name when given); `dataset_path: json` + dataset_kwargs.data_files names one file per
// split, as the harness's local form does. A relative path is looked up beside the task file,
// then in the task-data folder. Not here: templates or few-shot choice (prompt.h, fewshot.h).
#pragma once

#include <string>
#include <vector>

#include "eval/task_config.h"

namespace lm::eval {

struct DataOptions {
  std::string task_data_dir;  // --task-data ($LMFORGE_TASK_DATA, else out/tasks)
  bool builtin = false;       // a built-in task: a missing file hints at `lmforge eval make-data`
};

// The split evaluated: test_split, else validation_split.
Result<std::string> eval_split(const TaskConfig& config);
// The few-shot pool's split: fewshot_split, else training, validation, test ("" = none).
std::string fewshot_pool_split(const TaskConfig& config);

// The file that holds `split`, or a clear not-found error naming every path tried.
Result<std::string> split_file(const TaskConfig& config, const std::string& split,
                               const DataOptions& options);
// Reads a split's documents (JSON objects; CSV / TSV rows keyed by the header, integer-looking
// cells as integers). Errors name the file and line.
Result<std::vector<Json>> load_split(const TaskConfig& config, const std::string& split,
                                     const DataOptions& options);
// Reads one data file (by extension: .jsonl, .json, .csv, .tsv).
Result<std::vector<Json>> read_documents(const std::string& path);

}  // namespace lm::eval
