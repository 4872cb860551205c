// task_config.h: lm-evaluation-harness task YAML, the subset listed in docs/eval.md, parsed
// with yaml-cpp into a TaskConfig. `include` is resolved relative to the including file (its keys
// are the base, the including file's keys override them). Unknown keys, wrong types and
// `!function` are errors naming the file, the line and the key. Not here: loading the documents
// (task_data.h), rendering templates (template.h), building requests (prompt.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "eval/filters.h"
#include "eval/lm.h"
#include "eval/metrics.h"
#include "eval/template.h"

namespace lm::eval {

// A doc_to_* value: a YAML string (a field name or a template), an integer, or a list of strings
// (each a template).
struct DocField {
  enum Kind { kNone, kString, kInt, kList } kind = kNone;
  std::string text;
  int64_t index = 0;
  std::vector<std::string> items;
  std::string where;  // "file.yaml:12: doc_to_text" for errors
  bool present() const { return kind != kNone; }
};

struct MetricConfig {
  std::string metric;
  std::string aggregation;               // "" = the metric's default
  std::optional<bool> higher_is_better;  // unset = the metric's default
  ExactMatchOptions exact_match;         // exact_match's kwargs
  std::string where;
};

struct FilterConfig {
  std::string name;
  std::vector<FilterStep> steps;
  std::string where;
};

struct TaskConfig {
  std::string task;
  std::string file;  // the YAML file (absolute or as given)
  std::vector<std::string> tag;
  std::string task_alias;
  std::string dataset_path;
  std::string dataset_dir;  // folder of the file that set dataset_path (relative paths start here)
  std::string dataset_name;
  std::string data_files_train, data_files_validation,
      data_files_test;  // dataset_kwargs.data_files
  std::string training_split, validation_split, test_split, fewshot_split;
  std::string description;
  DocField doc_to_text, doc_to_target, doc_to_choice;
  std::string target_delimiter = " ";
  std::string fewshot_delimiter = "\n\n";
  std::optional<int> num_fewshot;
  std::string fewshot_sampler = "default";  // default | first_n
  std::vector<Json> fewshot_samples;        // fewshot_config.samples (inline documents)
  std::string output_type = "generate_until";
  GenerationKwargs generation_kwargs;
  bool has_generation_kwargs = false;
  int repeats = 1;
  // lmforge's extension: the prompt is a conversation rendered by the chat template
  // (tokenizer/chat_template.h): description = the system turn, each shot a user turn
  // (doc_to_text) and an assistant turn (the target), then doc_to_text as the user turn and the
  // generation prompt. The delimiters are not used.
  bool chat_template = false;
  std::vector<FilterConfig> filter_list;
  std::vector<MetricConfig> metric_list;
  Json metadata = Json::object();
  Json raw = Json::object();  // the merged YAML as JSON (results.json "configs")
};

// Parses a task file (and the files it includes).
Result<TaskConfig> load_task_config(const std::string& path);
// The same from text (`path` names it in errors and anchors relative includes / data paths).
Result<TaskConfig> parse_task_config(const std::string& yaml_text, const std::string& path);

// metadata.version as results.json's "versions" value (null when absent).
Json task_version(const TaskConfig& config);

}  // namespace lm::eval
