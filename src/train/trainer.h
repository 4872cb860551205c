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

#include "dataset/loader.h"
#include "model/gpt.h"
#include "train/comm.h"
#include "train/train_config.h"

namespace lm::train {

struct StepMetrics {
  int64_t step = 0, max_steps = 0;
  uint64_t tokens = 0;
  double loss = 0, lr = 0, grad_norm = 0, tokens_per_sec = 0, mfu = 0, ms = 0;
  std::optional<double> val_loss;
  // Fraction of the step's target positions that the loss counts (the loss mask's mean), when
  // the data carries a mask (pad mode, SFT); unset otherwise.
  std::optional<double> loss_mask_fraction;
};

// Data and starting weights given by the caller instead of a pack prefix and a random
// initialisation (`lmforge sft`); the rest of the trainer (optimizer, schedule, accumulation,
// MPI, checkpoints, resume) is unchanged. cfg.data only names the data in messages.
struct TrainSource {
  // This rank's loader of a split; for kVal, a null loader means no validation.
  std::function<Result<std::unique_ptr<dataset::Loader>>(dataset::Split split, int rank, int world)>
      open;
  std::string tokenizer;  // tokenizer file copied into every checkpoint
  uint32_t eot_id = 0;
  std::function<Status(model::Gpt*)> init_model;  // after init_weights (e.g. base weights)
  std::function<Status(const std::string& dir)> add_files;  // more files in each checkpoint
};

struct TrainHooks {
  std::function<void(const StepMetrics&)> on_step;     // rank 0 only
  std::function<void(const std::string&)> on_message;  // rank 0 only (setup, checkpoints)
  // Asked after every step (all ranks must agree): true ends the run there, as if interrupted
  // (no final checkpoint; the last periodic one stays). For Ctrl-C and tests.
  std::function<bool(int64_t step)> should_stop;
  const TrainSource* source = nullptr;  // null: cfg.data is a pack prefix
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

// The FLOP/s that MFU divides by when the config gives none (peak_flops = 0). The sgemm
// measurement at the start (kernels::measure_matmul_flops) reads low when something else held a
// core then; a step that runs faster than that "peak" would show MFU above 100%. So the peak is
// the best of every measurement and of every rate a step achieved, each a lower bound of what the
// machine can do: a step faster than the peak has the peak measured again (at most
// max_remeasures times a run) and, if it is still faster, the peak raised to the step's rate.
// MFU stays at or below 100%. A peak given in the config (measure empty) is used as it is.
class PeakFlops {
 public:
  PeakFlops(double peak, std::function<double()> measure, int max_remeasures = 3)
      : peak_(peak), measure_(std::move(measure)), left_(max_remeasures) {}
  // A step's achieved FLOP/s (this rank's); returns the peak to divide it by.
  double observe(double achieved);
  double value() const { return peak_; }
  int remeasured() const { return remeasured_; }
  bool raised_to_achieved() const { return raised_; }

 private:
  double peak_;
  std::function<double()> measure_;
  int left_, remeasured_ = 0;
  bool raised_ = false;
};

// Runs cfg (validated here, data opened and checked before any work). resume: continue from
// cfg.out/checkpoint. comm: null = single process.
Result<TrainSummary> run_training(const TrainConfig& cfg, bool resume, Comm* comm,
                                  const TrainHooks& hooks = {});

}  // namespace lm::train
