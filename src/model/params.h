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
struct LayerParams {
  float *ln1_w, *ln1_b, *qkv_w, *qkv_b, *proj_w, *proj_b, *ln2_w, *ln2_b, *fc_w, *fc_b,
      *fcproj_w, *fcproj_b;
};
struct ParamViews {
  float *wte, *wpe, *lnf_w, *lnf_b;
  std::vector<LayerParams> layers;
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
