// gpt.h: Gpt, a GPT-2 family model whose parameters and gradients live in two flat buffers
// (ParamLayout order) and whose forward/backward are a recipe of kernels (a KernelSet: ref or
// cpu). Activations are allocated for the largest B x T seen. Not here: the optimizer
// (train/adamw.h), checkpoints (model/checkpoint.h), KV-cache decoding (generate/).
#pragma once

#include <cstdint>
#include <string>
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
  // zero biases, unit LayerNorm weights. Deterministic in the seed. Attention-only
  // (config.mlp false): the MLP zeroed (the rest as the regular model's); forward and backward
  // skip ln_2 + MLP, so its gradients stay exactly zero.
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
  void mlp_backward(int l, int B, int T);  // ln_2 + MLP of block l (dres_ in and out)

  GptConfig config_;
  const kernels::KernelSet* k_;
  ParamLayout layout_;
  // Shapes: B batch rows, T positions, C = n_embd, NH = n_head, V = vocab_size, L = n_layer;
  // N = B*T. Buffers are sized for the largest B x T seen (ensure_activations) and hold the
  // first N rows of the current batch.
  std::vector<float> params_;  // (num_params) flat, ParamLayout order; views pv_
  std::vector<float> grads_;   // (num_params) same layout; views gv_
  ParamViews pv_, gv_;         // named views into params_ / grads_ (shapes: params.h)
  // What one block keeps from forward for backward (llm.c's layer order).
  struct LayerActs {
    std::vector<float> ln1;       // (B,T,C) LayerNorm 1 of the block input
    std::vector<float> ln1_mean;  // (B,T) its mean
    std::vector<float> ln1_rstd;  // (B,T) its 1/std
    std::vector<float> qkv;       // (B,T,3C) [q | k | v] = ln1 @ c_attn
    std::vector<float> atty;      // (B,T,C) attention output, heads concatenated
    std::vector<float> att;       // (B,NH,T,T) attention probabilities (causal, softmaxed)
    std::vector<float> attproj;   // (B,T,C) atty @ attn.c_proj
    std::vector<float> res2;      // (B,T,C) block input + attproj
    std::vector<float> ln2;       // (B,T,C) LayerNorm 2 of res2
    std::vector<float> ln2_mean;  // (B,T)
    std::vector<float> ln2_rstd;  // (B,T)
    std::vector<float> fch;       // (B,T,4C) ln2 @ mlp.c_fc
    std::vector<float> fch_gelu;  // (B,T,4C) GELU(fch)
    std::vector<float> fcproj;    // (B,T,C) fch_gelu @ mlp.c_proj
    std::vector<float> res3;      // (B,T,C) res2 + fcproj: the block output
  };
  std::vector<LayerActs> acts_;  // (L) one per block
  std::vector<float> encoded_;   // (B,T,C) wte[token] + wpe[position]: the first block input
  std::vector<float> lnf_;       // (B,T,C) final LayerNorm of the last block output
  std::vector<float> lnf_mean_;  // (B,T)
  std::vector<float> lnf_rstd_;  // (B,T)
  std::vector<float> logits_;    // (B,T,V) lnf @ wte^T; with targets, the probabilities, which
                                 // backward() turns into dlogits in place
  std::vector<float> losses_;    // (B,T) per-token cross-entropy (nats)
  std::vector<float> dlosses_;   // (B,T) forward: each target's weight; then d(mean loss)/d(loss)
  // Backward scratch, reused by every layer (the kernels overwrite it; dres_ alone is zeroed
  // once per backward() and accumulated into).
  std::vector<float> dres_;         // (B,T,C) gradient of the residual stream
  std::vector<float> dsmall_;       // (B,T,C) gradient of a C-wide activation (ln out, atty, ...)
  std::vector<float> dqkv_;         // (B,T,3C) gradient of qkv
  std::vector<float> datt_;         // (B,NH,T,T) attention backward scratch
  std::vector<float> dbig_;         // (B,T,4C) gradient of fch / fch_gelu (in place)
  std::vector<int32_t> inputs_;     // (B,T) token ids of the last forward()
  std::vector<int32_t> targets_;    // (B,T) next-token ids (masked ones: 0, with weight 0)
  std::vector<int32_t> positions_;  // (B,T) or empty: 0..T-1 in every row
  std::vector<int32_t> segments_;   // (B,T) or empty: document index within the row (docmask)
  int B_ = 0, T_ = 0, cap_bt_ = 0, cap_t_ = 0;
  bool have_targets_ = false;
};

// An MLP tensor (mlp.c_fc / mlp.c_proj weight or bias): zero in an attention-only model.
bool is_mlp_tensor(const std::string& name);
// Zeroes every MLP tensor of a buffer laid out as `layout`.
void zero_mlp(float* params, const ParamLayout& layout);

}  // namespace lm::model
