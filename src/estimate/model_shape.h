// model_shape.h: the shape of a GPT-style decoder and what follows from it: parameter counts
// (total, non-embedding; GPT-2 layout: learned positions, tied output, 4x MLP, biases, LayerNorm)
// and FLOPs per token under the named conventions (6N; Kaplan 6N + 6 L T d; PaLM 6N + 12 L T d).
// A shape may also be just a parameter count (--params), then layers/width are derived.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace lm::estimate {

struct ModelShape {
  int64_t n_layer = 0;
  int64_t n_embd = 0;  // d_model = h
  int64_t n_head = 0;  // a
  int64_t vocab = 50257;
  int64_t seq_len = 2048;
  int64_t ffn_mult = 4;
  bool tied_embeddings = true;
  bool mlp = true;  // false: attention-only blocks (no MLP, no ln_2), as lmforge train --mlp false
};

struct ParamCount {
  double total = 0;
  double non_embedding = 0;  // Kaplan's N: blocks only (~12 L h^2)
  double embedding = 0;      // token (+ position) embeddings (+ untied output)
};

ParamCount count_params(const ModelShape& s);

// A shape with about `params` total parameters: width ~ 128 * layers / 1 (aspect ratio of GPT-3
// family, d_model / n_layer ~ 128), heads of 128, for when only a parameter count is given.
ModelShape shape_for_params(double params, int64_t vocab, int64_t seq_len);

enum class FlopConvention { k6N, kKaplan, kPalm };
Result<FlopConvention> parse_flop_convention(const std::string& s);  // 6n | kaplan | palm
const char* flop_convention_name(FlopConvention c);

// Training FLOPs per token (forward + backward, no recomputation): 6N, + 6 L T d (Kaplan,
// QK^T only), + 12 L T d (PaLM App. B: QK^T and AV). N is the total count minus position
// embeddings in all three, so they differ only by the attention term (Kaplan's paper uses the
// non-embedding N; the difference is the V*h embedding, under 1% above 1B parameters).
double flops_per_token(const ModelShape& s, const ParamCount& p, FlopConvention c);

Status validate_shape(const ModelShape& s);

// The shape of an HF GPT-2 config.json (as `lmforge train` writes and the hub distributes), read
// by the model's own reader (lm::model::GptConfig::from_hf_json): the same keys, the same errors.
Result<ModelShape> shape_from_hf_config(const std::string& path);

}  // namespace lm::estimate
