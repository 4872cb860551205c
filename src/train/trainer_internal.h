// trainer_internal.h: the state of one training run shared by trainer_setup.cc (data, model,
// checkpoints) and trainer.cc (the step loop). Not a public interface.
#pragma once

#include <memory>
#include <string>

#include "core/rng.h"
#include "dataset/loader.h"
#include "dataset/meta.h"
#include "model/gpt.h"
#include "train/adamw.h"
#include "train/trainer.h"

namespace lm::train::detail {

struct Run {
  TrainConfig cfg;
  Comm* comm = nullptr;
  const TrainHooks* hooks = nullptr;
  std::unique_ptr<dataset::Loader> train, val;
  dataset::LoaderState val_start;
  dataset::PackMeta meta;
  std::unique_ptr<model::Gpt> gpt;
  std::unique_ptr<AdamW> opt;
  LrSchedule sched;
  int64_t step = 0;  // optimizer steps done
  uint64_t tokens = 0;
  double first_loss = 0;
  PeakFlops peak{0, {}};              // what MFU divides by (rank 0 measures it in setup)
  std::vector<dataset::Batch> micro;  // the step's micro-batches (reused buffers)
  double mask_fraction = -1;  // of the last step's targets counted by the loss; -1 = no mask
  Rng rng;
  bool rank0() const { return comm->rank() == 0; }
  void say(const std::string& m) const {
    if (rank0() && hooks->on_message) hooks->on_message(m);
  }
};

Status open_data(Run* r);
Status build_model(Run* r);
Status save_checkpoint(const Run& r);
Status load_checkpoint(Run* r);
Status trim_metrics(const std::string& path, int64_t step);

}  // namespace lm::train::detail
