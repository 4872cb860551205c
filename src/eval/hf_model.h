// hf_model.h: reading a GPT-2 folder whichever way it was written: lmforge's checkpoints
// (tensor names "transformer.*") and Hugging Face's hub files (names with or without the
// "transformer." prefix, "h.N.attn.bias" / "masked_bias" causal-mask buffers, an optional
// "lm_head.weight" that must equal the tied wte). Weights are Conv1D [in, out] in both.
// config.json is read by the model's one reader (model::load_model_config / read_hf_config).
// Not here: the tokenizer (generate::TextCodec) and the scoring (gpt_lm.h).
#pragma once

#include <memory>
#include <string>

#include "model/gpt.h"

namespace lm::eval {

// Loads dir/model.safetensors into `gpt` (whose config must match); every tensor must be used
// or be one of the ignored buffers, or it is an error naming it.
Status load_gpt2_weights(const std::string& dir, model::Gpt* gpt);

}  // namespace lm::eval
