// results.h: lm-evaluation-harness's output layout: OUT/results.json (results, configs,
// versions, n-shot, n-samples, higher_is_better, config with the seeds, lmforge version; the date
// and timing in their own keys "date" and "total_evaluation_time_seconds" so everything else is
// byte-identical run to run), OUT/samples_<task>.jsonl with --log-samples, and the terminal table
// (Tasks | Version | Filter | n-shot | Metric | Value | Stderr). Files are written atomically.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "eval/evaluator.h"

namespace lm::eval {

struct RunInfo {
  std::string model;       // "lmforge" | "hf-gpt2"
  std::string model_args;  // "pretrained=DIR"
  Json model_info = Json::object();
  int64_t limit = 0;
  int bootstrap_iters = 1000;
  uint64_t seed = 1234;
  std::vector<std::string> strategies;
  std::string lmforge_version;
  double date = 0;     // Unix time the run started
  double seconds = 0;  // wall time of the whole run
};

std::string sha256_hex(std::string_view data);

nlohmann::ordered_json results_json(const std::vector<TaskResult>& results, const RunInfo& info);
// Writes OUT/results.json (and the samples files when `log_samples`), creating OUT.
Status write_results(const std::string& out_dir, const std::vector<TaskResult>& results,
                     const RunInfo& info, bool log_samples);
// The harness's markdown table (make_table): one row per task, filter and metric.
std::string results_table(const std::vector<TaskResult>& results);

}  // namespace lm::eval
