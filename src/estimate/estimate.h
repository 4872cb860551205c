// estimate.h: everything `lmforge estimate` reports for one model and run: parameters, FLOPs per
// token and in total, memory per GPU by component, whether it fits and the smallest GPU count
// that does, and time / GPU-hours at a given MFU. Also the study-notes table (10B/100B/1T) with
// our accounting beside the notes' own formula.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "estimate/hardware.h"
#include "estimate/memory.h"
#include "estimate/model_shape.h"

namespace lm::estimate {

struct EstimateInput {
  ModelShape shape;
  double params = 0;  // > 0: use this total count instead of counting the shape
  double tokens = 0;  // D; 0 = Chinchilla's 20 tokens per parameter
  int64_t gpus = 1;
  Gpu gpu;
  double mfu = 0.4;
  double overhead = 0.10;  // buffers and fragmentation, on top of the components (5-20%)
  FlopConvention convention = FlopConvention::k6N;
  TrainSetup setup;  // setup.par.dp is derived from gpus / (tp * pp)
};

struct EstimateResult {
  ParamCount params;
  double tokens = 0;
  double flops_per_token = 0;                             // chosen convention
  double flops_6n = 0, flops_kaplan = 0, flops_palm = 0;  // per token, all conventions
  double total_flops = 0;                                 // flops_per_token * tokens
  MemoryBreakdown memory;                                 // per GPU
  double memory_with_overhead = 0;
  bool fits = false;
  std::optional<int64_t> min_gpus;        // with the given precision / ZeRO / TP / PP
  std::optional<int64_t> min_gpus_zero3;  // the same with ZeRO stage 3
  TrainTime time;
};

Result<EstimateResult> run_estimate(const EstimateInput& in);
// The `lmforge estimate --json` record of one estimate.
nlohmann::json estimate_json(const EstimateInput& in, const EstimateResult& r);

// One row of the study-notes table: a configuration, our accounting, and the notes' formula.
struct StudyRow {
  std::string label;           // "10B", "100B", "1T", "175B (GPT-3)"
  std::string notes_hardware;  // what the notes recommend, verbatim in English
  std::string notes_time;      // the notes' training-time column
  EstimateInput input;
  EstimateResult result;
  double model_states_bytes = 0;   // 16 B/param, unsharded
  double notes_formula_bytes = 0;  // params * (16 + 8) bits / 8 * batch(1)  (the notes: GiB)
  double seconds_at_100pct = 0;    // the notes assume 100% efficiency
};

Result<std::vector<StudyRow>> study_table();
// The `lmforge estimate --table --json` record of one row.
nlohmann::json study_row_json(const StudyRow& r);

// Why the notes' formula differs from ours (printed under the table and in docs/scaling.md).
std::vector<std::string> study_formula_explanation();

}  // namespace lm::estimate
