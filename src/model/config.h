// config.h: GptConfig, the shape of a GPT-2 family model (vocabulary, context, layers, heads,
// width, bias on/off; dropout is always 0), its validation, parameter and FLOP counts, and the
// HF GPT-2 config.json it is saved as (model_type "gpt2", n_ctx/n_positions, gelu_new), and the
// one reader of such a file (read_hf_config: lmforge's run folders, HF hub GPT-2 folders, and
// `lmforge estimate --config` all go through it).
// An attention-only model (mlp = false: Olsson et al. 2022's induction-head models) keeps the
// GPT-2 parameter layout (every tensor, name and shape, so checkpoints and every reader stay as
// they are), but its MLP weights and biases (mlp.c_fc, mlp.c_proj) are zero and never trained
// and its ln_2 is unused: a GPT-2 block with a zero MLP computes exactly the attention-only
// block (fc out 0, gelu(0) = 0, proj out 0), so HF transformers computes the same function from
// the checkpoint. config.json says so in an lmforge-specific key, "lmforge_mlp": false (written
// only then; absent = true; HF ignores it).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"

namespace lm::model {

struct GptConfig {
  int vocab_size = 50257;
  int n_ctx = 1024;  // maximum sequence length (rows of the position table)
  int n_layer = 12;
  int n_head = 12;
  int n_embd = 768;
  bool bias = true;  // biases in linear layers and LayerNorms
  bool mlp = true;   // false: attention-only (the MLP zero and skipped, see above)

  Status validate() const;  // positive sizes, heads dividing the width
  // The parameters used (the tied head counted once; an attention-only model's zero MLP and
  // ln_2 are not counted; ParamLayout::total() is the full stored layout).
  int64_t num_params() const;
  int64_t num_params_no_position() const;  // without the position table (nanoGPT's N)
  // Training FLOPs per token, nanoGPT's count: 6 N + 12 L C T (N without positions).
  double flops_per_token(int seq_len) const;

  nlohmann::json to_hf_json() const;
  // Reads config.json (`source` names it in errors); unknown GPT-2 options are ignored, but
  // anything we cannot run (another model_type, activation, n_inner, layer_norm_epsilon other
  // than 1e-5, scale_attn_weights false, scale_attn_by_inverse_layer_idx) is an error.
  static Result<GptConfig> from_hf_json(const nlohmann::json& j, const std::string& source);
  bool operator==(const GptConfig&) const = default;
};

// Reads and checks the HF GPT-2 config.json at `path` (GptConfig::from_hf_json); a missing file,
// bad JSON or an unsupported option is an error naming the file.
Result<GptConfig> read_hf_config(const std::string& path);

}  // namespace lm::model
