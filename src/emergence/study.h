// study.h: `lmforge emergence`: plan the ladder (each shape's N, tokens by the budget rule, steps
// and the K checkpoints kept), build the mixture, train every model with the real trainer (in
// process, run_training) stopping at each checkpoint step to keep a copy (OUT/models/NAME/
// ckpt-STEP), evaluate every checkpoint with the harness (every task x strategy, discrete and
// continuous metrics) and by Olsson's ICL score on held-out documents, then analyse (analysis.h)
// and write OUT/emergence.json and OUT/emergence.csv. Resumable: a kept checkpoint and its
// eval.json are not redone; an interrupted model continues from its trainer checkpoint. OUT
// holding another study (or anything else) is an error before any work.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "emergence/config.h"
#include "emergence/mixture.h"

namespace lm::emergence {

struct PlannedModel {
  std::string name, role, dir;
  scaling::SweepShape shape;
  double non_embedding_params = 0, params = 0, rule_params = 0;
  int64_t steps = 0, interval = 0;
  int batch_size = 0;  // sequences a step: the study's, or budget.icl_batch_size for an ICL model
  double tokens = 0;
  std::vector<int64_t> checkpoint_steps;
  double tokens_per_sec = 0;  // dry run: the trainer's measured rate on this shape
  double est_seconds = 0;     // training only
};

// vocab: the tokenizer's vocabulary (257 for "bytes").
std::vector<PlannedModel> plan_models(const EmergenceConfig& c, int vocab);

struct StudyOptions {
  bool dry_run = false;
  bool resume = false;
  int probe_steps = 4;  // dry run: trainer steps timed per shape
};

struct StudyResult {
  std::vector<PlannedModel> models;
  MixtureStats mixture;
  std::optional<MixtureStats> icl_mixture;  // [icl_mixture]: the ICL models' data
  // the data model `m` trains on
  const MixtureStats& mixture_of(const PlannedModel& m) const {
    return m.role == "icl" && icl_mixture ? *icl_mixture : mixture;
  }
  nlohmann::ordered_json json;  // emergence.json (empty for a dry run)
  int trained = 0, skipped = 0, evaluated = 0;
  int probe_steps = 0;  // dry run: trainer steps timed per shape
};

Result<StudyResult> run_study(const EmergenceConfig& c, const StudyOptions& o);

// The text the CLI prints: the plan (and for a dry run the estimated CPU time), then the
// analysis.
std::string format_study(const EmergenceConfig& c, const StudyResult& r, bool dry_run);

}  // namespace lm::emergence
