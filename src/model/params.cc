// params.cc: building the flat parameter layout in HF GPT-2 order and its named views.
#include "model/params.h"

#include <fmt/core.h>

namespace lm::model {

void ParamLayout::add(const std::string& name, std::vector<int64_t> shape, bool decay) {
  ParamInfo p;
  p.name = name;
  p.size = 1;
  for (int64_t d : shape) p.size *= (size_t)d;
  p.shape = std::move(shape);
  p.offset = total_;
  p.decay = decay;
  total_ += p.size;
  tensors_.push_back(std::move(p));
}

ParamLayout::ParamLayout(const GptConfig& c) : config_(c) {
  int64_t C = c.n_embd;
  add("transformer.wte.weight", {c.vocab_size, C}, true);
  add("transformer.wpe.weight", {c.n_ctx, C}, true);
  for (int l = 0; l < c.n_layer; l++) {
    std::string p = fmt::format("transformer.h.{}.", l);
    auto lin = [&](const std::string& n, int64_t in, int64_t out) {
      add(p + n + ".weight", {in, out}, true);
      if (c.bias) add(p + n + ".bias", {out}, false);
    };
    auto norm = [&](const std::string& n) {
      add(p + n + ".weight", {C}, false);
      if (c.bias) add(p + n + ".bias", {C}, false);
    };
    norm("ln_1");
    lin("attn.c_attn", C, 3 * C);
    lin("attn.c_proj", C, C);
    norm("ln_2");
    lin("mlp.c_fc", C, 4 * C);
    lin("mlp.c_proj", 4 * C, C);
  }
  add("transformer.ln_f.weight", {C}, false);
  if (c.bias) add("transformer.ln_f.bias", {C}, false);
}

const ParamInfo* ParamLayout::find(const std::string& name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

ParamViews ParamLayout::views(float* base) const {
  auto at = [&](const std::string& n) -> float* {
    const ParamInfo* p = find(n);
    return p ? base + p->offset : nullptr;
  };
  ParamViews v;
  v.wte = at("transformer.wte.weight");
  v.wpe = at("transformer.wpe.weight");
  v.lnf_w = at("transformer.ln_f.weight");
  v.lnf_b = at("transformer.ln_f.bias");
  for (int l = 0; l < config_.n_layer; l++) {
    std::string p = fmt::format("transformer.h.{}.", l);
    v.layers.push_back({at(p + "ln_1.weight"), at(p + "ln_1.bias"), at(p + "attn.c_attn.weight"),
                        at(p + "attn.c_attn.bias"), at(p + "attn.c_proj.weight"),
                        at(p + "attn.c_proj.bias"), at(p + "ln_2.weight"), at(p + "ln_2.bias"),
                        at(p + "mlp.c_fc.weight"), at(p + "mlp.c_fc.bias"),
                        at(p + "mlp.c_proj.weight"), at(p + "mlp.c_proj.bias")});
  }
  return v;
}

}  // namespace lm::model
