// hf_model.h: reading a GPT-2 folder whichever way it was written: lmforge's checkpoints
// (tensor names "transformer.*") and Hugging Face's hub files (names with or without the
// "transformer." prefix, "h.N.attn.bias" / "masked_bias" causal-mask buffers, an optional
// "lm_head.weight" that must equal the tied wte). Weights are Conv1D [in, out] in both.
// Not here: the tokenizer (generate::TextCodec) and the scoring (gpt_lm.h).
#pragma once

#include <memory>
#include <string>

#include "model/gpt.h"

namespace lm::eval {

// config.json of `dir` (HF GPT-2 keys), refusing options this model cannot run
// (layer_norm_epsilon other than 1e-5, scale_attn_weights false, inverse-layer-index scaling).
Result<model::GptConfig> load_gpt2_config(const std::string& dir);
// Loads dir/model.safetensors into `gpt` (whose config must match); every tensor must be used
// or be one of the ignored buffers, or it is an error naming it.
Status load_gpt2_weights(const std::string& dir, model::Gpt* gpt);

}  // namespace lm::eval
