// adamw.h: AdamW with decoupled weight decay exactly as torch.optim.AdamW computes it
// (p *= 1 - lr*wd; m, v moments; bias-corrected step), decay only on the tensors the layout
// marks (matrices, embeddings), plus global-norm gradient clipping and the learning-rate
// schedule (linear warm-up, then cosine decay to min_lr). Works on flat buffers.
#pragma once

#include <cstdint>
#include <vector>

#include "model/params.h"

namespace lm::train {

struct AdamWConfig {
  float beta1 = 0.9f;
  float beta2 = 0.95f;
  float eps = 1e-8f;
  float weight_decay = 0.1f;
};

class AdamW {
 public:
  AdamW(const model::ParamLayout& layout, AdamWConfig config);
  // One update of params from grads at learning rate lr; increments step().
  void update(float* params, const float* grads, float lr);
  int64_t step() const { return t_; }
  std::vector<float>& m() { return m_; }
  std::vector<float>& v() { return v_; }
  void set_step(int64_t t) { t_ = t; }
  const AdamWConfig& config() const { return cfg_; }

 private:
  AdamWConfig cfg_;
  std::vector<float> m_, v_;
  std::vector<uint8_t> decay_;  // per element
  int64_t t_ = 0;
};

// sqrt(sum g^2), summed in double over fixed chunks (independent of the thread count).
double global_norm(const float* g, size_t n);
// Scales g so its norm is at most max_norm (torch's clip_grad_norm_); returns the norm before.
double clip_grad_norm(float* g, size_t n, double max_norm);

// After the warm-up: cosine from lr to lr * min_lr_ratio at max_steps; constant lr; or wsd
// (warm-up, stable, decay): lr until the last decay_fraction of max_steps, then linear to
// lr * min_lr_ratio at max_steps.
enum class LrShape { kCosine, kConstant, kWsd };

struct LrSchedule {
  float lr = 1e-3f;
  float min_lr_ratio = 0.1f;  // the decay ends at lr * min_lr_ratio
  int64_t warmup_steps = 0;
  int64_t max_steps = 1;
  LrShape shape = LrShape::kCosine;
  float decay_fraction = 0.2f;  // wsd: the share of max_steps in the final linear decay
  // The learning rate of optimizer step `step` (0-based).
  float at(int64_t step) const;
};

}  // namespace lm::train
