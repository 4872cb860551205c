// evaluate.h: mean next-token loss (nats) of a model over the first `max_batches` batches of a
// loader, all ranks together (token-weighted: sum of losses / counted tokens), and its
// perplexity e^loss. Used by the trainer's validation and by `lmforge eval`.
#pragma once

#include <cstdint>

#include "dataset/loader.h"
#include "model/gpt.h"
#include "train/comm.h"

namespace lm::train {

struct EvalResult {
  double loss = 0;        // nats per counted token
  double perplexity = 0;  // e^loss
  uint64_t tokens = 0;    // counted tokens (all ranks)
  int64_t batches = 0;
};

// Reads up to max_batches batches (0 = one epoch) from `loader` (restored to its first batch by
// the caller) and evaluates them; `comm` may be null (one process).
Result<EvalResult> evaluate_loss(model::Gpt* gpt, dataset::Loader* loader, int64_t max_batches,
                                 Comm* comm);

// Adapts a loader batch to the model (checks the vocabulary, names the data on error).
Status to_model_batch(const dataset::Batch& in, const model::Gpt& gpt, const std::string& data,
                      model::Batch* out);

}  // namespace lm::train
