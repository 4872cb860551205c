// perplexity.h: `lmforge eval`: the mean next-token loss (nats) and perplexity e^loss of a
// checkpoint over a packed dataset's validation split (or its training split, all of PREFIX,
// when it has none / when asked), in fixed windows read in stored order.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace lm::eval {

struct EvalOptions {
  std::string checkpoint;      // run directory or checkpoint directory
  std::string data;            // PREFIX
  std::string split = "auto";  // auto (val if present, else train) | val | train
  int batch_size = 8;
  int seq_len = 0;                          // 0 = the model's context
  std::string loader_mode = "concatenate";  // concatenate | pad | docmask (as the run trained)
  int64_t max_batches = 0;                  // 0 = the whole split (one pass)
  int threads = 0;
};

struct EvalReport {
  double loss = 0, perplexity = 0;
  uint64_t tokens = 0;
  int64_t batches = 0;
  std::string split;
  double seconds = 0;
};

Result<EvalReport> evaluate_checkpoint(const EvalOptions& options);

}  // namespace lm::eval
