// trainer.h: the training loop of `lmforge train`: data from the pack loader (each rank its own
// rows), gradient accumulation, all-reduce of the flat gradient buffer (Comm), clipping, AdamW
// with warm-up + cosine, periodic validation, metrics.jsonl (rank 0) and checkpoints that resume
// bit-identically (weights, AdamW moments, loader position). A NaN or exploding loss stops the
// run with an error before the update, leaving the last good checkpoint in place.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "train/comm.h"
#include "train/train_config.h"

namespace lm::train {

struct StepMetrics {
  int64_t step = 0, max_steps = 0;
  uint64_t tokens = 0;
  double loss = 0, lr = 0, grad_norm = 0, tokens_per_sec = 0, mfu = 0, ms = 0;
  std::optional<double> val_loss;
};

struct TrainHooks {
  std::function<void(const StepMetrics&)> on_step;     // rank 0 only
  std::function<void(const std::string&)> on_message;  // rank 0 only (setup, checkpoints)
  // Asked after every step (all ranks must agree): true ends the run there, as if interrupted
  // (no final checkpoint; the last periodic one stays). For Ctrl-C and tests.
  std::function<bool(int64_t step)> should_stop;
};

struct TrainSummary {
  int64_t steps = 0;
  uint64_t tokens = 0;
  double final_loss = 0;
  std::optional<double> final_val_loss;
  double tokens_per_sec = 0;  // median over the run's steps
  double peak_flops = 0;
  int64_t params = 0;
  std::string run_dir;
};

// Runs cfg (validated here, data opened and checked before any work). resume: continue from
// cfg.out/checkpoint. comm: null = single process.
Result<TrainSummary> run_training(const TrainConfig& cfg, bool resume, Comm* comm,
                                  const TrainHooks& hooks = {});

}  // namespace lm::train
