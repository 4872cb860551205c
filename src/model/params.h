// params.h: the parameter layout of a GptConfig: every tensor's HF GPT-2 name, shape, offset
// in one flat float buffer, and whether AdamW decays it (matrices and embeddings yes; biases and
// LayerNorm weights no). Parameters, gradients and optimizer moments all use this layout.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"

namespace lm::model {

struct ParamInfo {
  std::string name;  // e.g. "transformer.h.0.attn.c_attn.weight"
  std::vector<int64_t> shape;
  size_t offset = 0;
  size_t size = 0;
  bool decay = false;
};

// Views into the flat buffer for one layer (bias pointers null when config.bias is off).
// Shapes with C = n_embd; matrices are HF Conv1D (in, out), row-major: y = x @ W + b.
struct LayerParams {
  float* ln1_w;     // (C) ln_1.weight
  float* ln1_b;     // (C) ln_1.bias
  float* qkv_w;     // (C,3C) attn.c_attn.weight: [q | k | v] columns
  float* qkv_b;     // (3C) attn.c_attn.bias
  float* proj_w;    // (C,C) attn.c_proj.weight
  float* proj_b;    // (C) attn.c_proj.bias
  float* ln2_w;     // (C) ln_2.weight
  float* ln2_b;     // (C) ln_2.bias
  float* fc_w;      // (C,4C) mlp.c_fc.weight
  float* fc_b;      // (4C) mlp.c_fc.bias
  float* fcproj_w;  // (4C,C) mlp.c_proj.weight
  float* fcproj_b;  // (C) mlp.c_proj.bias
};
struct ParamViews {
  float* wte;                       // (V,C) token embedding, also the output head (tied)
  float* wpe;                       // (n_ctx,C) position embedding
  float* lnf_w;                     // (C) ln_f.weight
  float* lnf_b;                     // (C) ln_f.bias (null without bias)
  std::vector<LayerParams> layers;  // (n_layer)
};

class ParamLayout {
 public:
  explicit ParamLayout(const GptConfig& config);
  const std::vector<ParamInfo>& tensors() const { return tensors_; }
  size_t total() const { return total_; }
  const ParamInfo* find(const std::string& name) const;
  // Pointers into `base` (a buffer of total() floats laid out like this).
  ParamViews views(float* base) const;

 private:
  void add(const std::string& name, std::vector<int64_t> shape, bool decay);
  GptConfig config_;
  std::vector<ParamInfo> tensors_;
  size_t total_ = 0;
};

}  // namespace lm::model
