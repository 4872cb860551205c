// model_shape.cc: parameter and FLOP counting for the GPT-2 style block:
// attention 4h^2 + 4h, MLP 2*ffn*h^2 + (ffn+1)h, two LayerNorms 4h; final LayerNorm 2h.
// An attention-only block (mlp = false) has the attention and one LayerNorm: 4h^2 + 6h.
#include "estimate/model_shape.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "model/config.h"

namespace lm::estimate {

ParamCount count_params(const ModelShape& s) {
  const double h = static_cast<double>(s.n_embd), L = static_cast<double>(s.n_layer);
  const double f = static_cast<double>(s.ffn_mult);
  const double attn = 4 * h * h + 4 * h;
  const double mlp = s.mlp ? 2 * f * h * h + (f + 1) * h : 0;
  const double norms = s.mlp ? 4 * h : 2 * h;
  ParamCount p;
  p.non_embedding = L * (attn + mlp + norms) + 2 * h;  // + final LayerNorm
  p.embedding = static_cast<double>(s.vocab) * h + static_cast<double>(s.seq_len) * h;
  if (!s.tied_embeddings) p.embedding += static_cast<double>(s.vocab) * h;
  p.total = p.non_embedding + p.embedding;
  return p;
}

ModelShape shape_for_params(double params, int64_t vocab, int64_t seq_len) {
  // Solve 12 L h^2 + (V + T) h = params with h = 128 L (rounded to a multiple of 128).
  ModelShape best;
  best.vocab = vocab;
  best.seq_len = seq_len;
  double best_err = 1e300;
  for (int64_t L = 1; L <= 256; ++L) {
    for (int64_t h = 128; h <= 65536; h += 128) {
      ModelShape s = best;
      s.n_layer = L;
      s.n_embd = h;
      s.n_head = std::max<int64_t>(1, h / 128);
      double aspect = std::fabs(std::log(static_cast<double>(h) / (128.0 * L)));
      double err = std::fabs(std::log(count_params(s).total / params)) + 0.05 * aspect;
      if (err < best_err) {
        best_err = err;
        best = s;
      }
    }
  }
  return best;
}

Result<FlopConvention> parse_flop_convention(const std::string& s) {
  if (s == "6n" || s == "6N") return FlopConvention::k6N;
  if (s == "kaplan") return FlopConvention::kKaplan;
  if (s == "palm") return FlopConvention::kPalm;
  return Status(Code::kInvalidArgument, fmt::format("unknown FLOP convention '{}'", s),
                "use 6n, kaplan or palm");
}

const char* flop_convention_name(FlopConvention c) {
  switch (c) {
    case FlopConvention::k6N:
      return "6N";
    case FlopConvention::kKaplan:
      return "kaplan";
    case FlopConvention::kPalm:
      return "palm";
  }
  return "?";
}

double flops_per_token(const ModelShape& s, const ParamCount& p, FlopConvention c) {
  const double attn = static_cast<double>(s.n_layer) * s.seq_len * s.n_embd;
  const double n = p.total - static_cast<double>(s.seq_len) * s.n_embd;
  switch (c) {
    case FlopConvention::k6N:
      return 6 * n;
    case FlopConvention::kKaplan:
      return 6 * n + 6 * attn;
    case FlopConvention::kPalm:
      return 6 * n + 12 * attn;
  }
  return 0;
}

Status validate_shape(const ModelShape& s) {
  if (s.n_layer <= 0 || s.n_embd <= 0 || s.n_head <= 0 || s.vocab <= 0 || s.seq_len <= 0) {
    return Status(Code::kInvalidArgument,
                  fmt::format("model shape needs positive layers/width/heads/vocab/seq-len, got "
                              "{}/{}/{}/{}/{}",
                              s.n_layer, s.n_embd, s.n_head, s.vocab, s.seq_len),
                  "give --layers, --width, --heads (or --params)");
  }
  if (s.n_embd % s.n_head != 0) {
    return invalid_argument("width {} is not a multiple of heads {}", s.n_embd, s.n_head);
  }
  return ok_status();
}

Result<ModelShape> shape_from_hf_config(const std::string& path) {
  LM_ASSIGN_OR_RETURN(model::GptConfig c, model::read_hf_config(path));
  ModelShape s;
  s.n_layer = c.n_layer;
  s.n_head = c.n_head;
  s.n_embd = c.n_embd;
  s.vocab = c.vocab_size;
  s.seq_len = c.n_ctx;
  s.mlp = c.mlp;  // "lmforge_mlp": false in an attention-only checkpoint's config.json
  LM_RETURN_IF_ERROR(validate_shape(s).with_context(path));
  return s;
}

}  // namespace lm::estimate
