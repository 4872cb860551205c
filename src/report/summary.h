// summary.h: the main job's closing table (`lmforge summary OUT`): one row per stage of
// scripts/run-sample-pipeline with its key figure and where to look, read from the files the
// stages wrote under OUT:
//   Collect   sample/manifest.json            documents, bytes, languages
//   Clean     clean/stats.json                documents and bytes kept, per language
//   Dedup     dedup/stats.json                documents removed as duplicates
//   Tokenize  tokenizer.json                  vocabulary size
//   Pack      pack/corpus.meta.json           train/val tokens, bytes per token
//   Train     run/run.json, run/metrics.jsonl parameters, steps, val loss, tokens/s
//   Generate  run/generate.txt                the samples written
//   Evaluate  run/eval/results.json, run/eval/*/results.json: each task's main metric
//   Watch     run/report.html
//   Scale     sweep-tiny/sweep.json, fit.json held-out prediction error, E identified or not
//   SFT       sft/eval_base, sft/eval_sft     held-out exact match, base -> fine-tuned (mean)
//   Emergence emergence/emergence.json        3-digit exact match and token accuracy by size
// and the seconds of each stage from OUT/times.tsv ("Stage<TAB>seconds" lines, written by the
// script). A stage without its files is shown as not run; a stage in times.tsv that is none of
// the above (one added later) gets its time alone. A file that exists but cannot be read is an
// error naming it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"

namespace lm::report {

struct StageRow {
  std::string stage;    // as the script names it (Collect, Clean, ...)
  std::string figure;   // the key figure, "" when the stage has not run
  std::string path;     // where its output is (relative to OUT)
  double seconds = -1;  // from times.tsv; < 0 when not recorded
};

struct PipelineSummary {
  std::string out_dir;
  std::vector<StageRow> rows;
  double total_seconds = -1;                                          // sum of the recorded times
  nlohmann::ordered_json figures = nlohmann::ordered_json::object();  // the numbers, per stage
};

Result<PipelineSummary> summarize_pipeline(const std::string& out_dir);
// A plain-text table: stage, seconds, figure, path.
std::string format_summary(const PipelineSummary& s);
nlohmann::ordered_json summary_json(const PipelineSummary& s);

}  // namespace lm::report
