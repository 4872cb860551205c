// gpt.h: Gpt, a GPT-2 family model whose parameters and gradients live in two flat buffers
// (ParamLayout order) and whose forward/backward are a recipe of kernels (a KernelSet: ref or
// cpu). Activations are allocated for the largest B x T seen. Not here: the optimizer
// (train/adamw.h), checkpoints (model/checkpoint.h), KV-cache decoding (generate/).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/kernels.h"
#include "model/config.h"
#include "model/params.h"

namespace lm::model {

// One batch: B x T int32 inputs and targets, optional loss mask (1 = counts) and positions.
struct Batch {
  const int32_t* inputs = nullptr;     // (B,T)
  const int32_t* targets = nullptr;    // (B,T); null = no loss (logits only)
  const float* mask = nullptr;         // (B,T); null = every target counts
  const int32_t* positions = nullptr;  // (B,T); null = 0..T-1 in every row
  // (B,T) document index within the row (contiguous runs); null = one document per row. When
  // given, attention does not cross documents (docmask).
  const int32_t* segments = nullptr;
  int B = 0, T = 0;
};

class Gpt {
 public:
  Gpt(const GptConfig& config, const kernels::KernelSet& kernels);
  Gpt(Gpt&&) = default;

  // GPT-2 initialisation: N(0, 0.02) weights, residual projections N(0, 0.02/sqrt(2L)),
  // zero biases, unit LayerNorm weights. Deterministic in the seed.
  void init_weights(uint64_t seed);

  // Checks shapes and token ranges of a batch (a Status, for data that came from a file).
  Status check_batch(const Batch& batch) const;
  // Forward pass. With targets, returns the mean cross-entropy (nats) over the counted tokens
  // and keeps the probabilities for backward(); without, keeps the logits (see logits()).
  float forward(const Batch& batch);
  // Accumulates d(loss * scale)/d(params) into grads() (call zero_grad() first). Needs the
  // preceding forward() with targets.
  void backward(float scale = 1.0f);
  void zero_grad();

  const GptConfig& config() const { return config_; }
  const ParamLayout& layout() const { return layout_; }
  const kernels::KernelSet& kernels() const { return *k_; }
  float* params() { return params_.data(); }
  const float* params() const { return params_.data(); }
  float* grads() { return grads_.data(); }
  size_t num_params() const { return params_.size(); }
  const ParamViews& views() const { return pv_; }
  // (B,T,V) logits of the last forward() without targets.
  const float* logits() const { return logits_.data(); }
  const float* losses() const { return losses_.data(); }  // (B,T) per-token loss
  size_t activation_bytes() const;

 private:
  void ensure_activations(int B, int T);
  void block_forward(int l, const float* x, int B, int T);
  void block_backward(int l, const float* x, int B, int T);

  GptConfig config_;
  const kernels::KernelSet* k_;
  ParamLayout layout_;
  std::vector<float> params_, grads_;
  ParamViews pv_, gv_;
  struct LayerActs {
    std::vector<float> ln1, ln1_mean, ln1_rstd, qkv, atty, att, attproj, res2, ln2, ln2_mean,
        ln2_rstd, fch, fch_gelu, fcproj, res3;
  };
  std::vector<LayerActs> acts_;
  std::vector<float> encoded_, lnf_, lnf_mean_, lnf_rstd_, logits_, losses_, dlosses_;
  // backward scratch, reused by every layer
  std::vector<float> dres_, dsmall_, dqkv_, datt_, dbig_;
  std::vector<int32_t> inputs_, targets_, positions_, segments_;
  int B_ = 0, T_ = 0, cap_bt_ = 0, cap_t_ = 0;
  bool have_targets_ = false;
};

}  // namespace lm::model
