// train_config.h: TrainConfig, every setting of `lmforge train`, settable from a flat TOML file
// (keys as below, '-' or '_') and from the command line (--n-layer 4 ...). One key table drives
// both, so they cannot drift apart; an unknown key or a bad value is an error naming the file
// and key before any work is done.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/config.h"

namespace lm::train {

struct TrainConfig {
  // model (vocab_size 0 = the data's vocabulary; n_ctx 0 = seq_len)
  int vocab_size = 0, n_ctx = 0, n_layer = 4, n_head = 4, n_embd = 256;
  bool bias = true;
  bool mlp = true;  // false: attention-only (model/config.h)
  // data and batch
  std::string data, out, loader_mode = "concatenate";
  int seq_len = 256, batch_size = 16, grad_accum = 1;
  // optimisation
  int64_t max_steps = 300, warmup_steps = 20;
  double lr = 1e-3, min_lr_ratio = 0.1, weight_decay = 0.1, beta1 = 0.9, beta2 = 0.95;
  double grad_clip = 1.0, max_loss = 0.0;  // max_loss 0 = auto (2 x max(first loss, ln V))
  std::string lr_schedule = "cosine";      // cosine | constant | wsd
  double decay_fraction = 0.2;             // wsd: share of max_steps in the final linear decay
  // evaluation, logging, checkpoints
  int64_t eval_interval = 100, eval_steps = 20, checkpoint_interval = 0, log_interval = 10;
  uint64_t seed = 1;
  int threads = 0;
  std::string kernels = "cpu";
  double peak_flops = 0;  // 0 = measure the kernel set's matmul at start

  model::GptConfig model_config(int data_vocab) const;
  Status validate() const;
  std::string to_toml() const;  // every key, for the run directory
};

struct ConfigKey {
  const char* name;  // snake_case; the CLI flag is --name-with-dashes
  const char* help;
};
const std::vector<ConfigKey>& config_keys();

// Sets one key from its text form ("4", "1e-3", "true", "cpu"); `where` prefixes errors.
Status set_config_key(TrainConfig* c, const std::string& key, const std::string& value,
                      const std::string& where);
// Applies a flat TOML file; unknown keys are errors naming the file and line.
Status load_config_toml(const std::string& path, TrainConfig* c);

}  // namespace lm::train
