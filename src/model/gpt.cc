// gpt.cc: the GPT-2 forward/backward recipe over the kernel table (llm.c's layer order, HF
// Conv1D weights), initialisation, and activation buffers.
#include "model/gpt.h"

#include <cmath>
#include <cstring>

#include "core/rng.h"

namespace lm::model {

Gpt::Gpt(const GptConfig& config, const kernels::KernelSet& kernels)
    : config_(config), k_(&kernels), layout_(config) {
  LM_CHECK(config.validate().ok(), "invalid GptConfig: {}", config.validate().to_string());
  params_.assign(layout_.total(), 0.0f);
  grads_.assign(layout_.total(), 0.0f);
  pv_ = layout_.views(params_.data());
  gv_ = layout_.views(grads_.data());
  acts_.resize(config.n_layer);
}

void Gpt::init_weights(uint64_t seed) {
  Rng rng(seed);
  float resid_std = 0.02f / std::sqrt(2.0f * config_.n_layer);
  for (const ParamInfo& p : layout_.tensors()) {
    float* w = params_.data() + p.offset;
    bool is_norm = p.name.find(".ln_") != std::string::npos;
    bool is_bias = p.name.size() > 5 && p.name.compare(p.name.size() - 5, 5, ".bias") == 0;
    if (is_bias) {
      std::fill(w, w + p.size, 0.0f);
    } else if (is_norm) {
      std::fill(w, w + p.size, 1.0f);
    } else {
      bool resid = p.name.find("c_proj.weight") != std::string::npos;
      float sd = resid ? resid_std : 0.02f;
      for (size_t i = 0; i < p.size; i++) w[i] = (float)rng.normal() * sd;
    }
  }
  // Attention-only: the MLP is zero (drawn above all the same, so the other tensors are those
  // of the regular model of the same seed) and stays so: backward gives it no gradient.
  if (!config_.mlp) zero_mlp(params_.data(), layout_);
}

void zero_mlp(float* params, const ParamLayout& layout) {
  for (const ParamInfo& p : layout.tensors())
    if (is_mlp_tensor(p.name)) std::fill(params + p.offset, params + p.offset + p.size, 0.0f);
}

bool is_mlp_tensor(const std::string& name) { return name.find(".mlp.") != std::string::npos; }

void Gpt::zero_grad() { std::memset(grads_.data(), 0, grads_.size() * sizeof(float)); }

size_t Gpt::activation_bytes() const {
  size_t n = 0;
  for (const auto& a : acts_)
    for (const auto* v :
         {&a.ln1, &a.ln1_mean, &a.ln1_rstd, &a.qkv, &a.atty, &a.att, &a.attproj, &a.res2, &a.ln2,
          &a.ln2_mean, &a.ln2_rstd, &a.fch, &a.fch_gelu, &a.fcproj, &a.res3})
      n += v->capacity();
  for (const auto* v : {&encoded_, &lnf_, &lnf_mean_, &lnf_rstd_, &logits_, &losses_, &dlosses_,
                        &dres_, &dsmall_, &dqkv_, &datt_, &dbig_})
    n += v->capacity();
  return n * sizeof(float);
}

void Gpt::ensure_activations(int B, int T) {
  if ((int64_t)B * T <= cap_bt_ && T == cap_t_) return;
  cap_bt_ = B * T;
  cap_t_ = T;
  size_t N = (size_t)B * T, C = config_.n_embd, NH = config_.n_head;
  size_t natt = (size_t)B * NH * T * T;
  for (auto& a : acts_) {
    a.ln1.resize(N * C), a.ln1_mean.resize(N), a.ln1_rstd.resize(N), a.qkv.resize(N * 3 * C);
    a.atty.resize(N * C), a.att.resize(natt), a.attproj.resize(N * C), a.res2.resize(N * C);
    a.res3.resize(N * C);
    if (!config_.mlp) continue;  // attention-only: res3 = res2, no MLP activations
    a.ln2.resize(N * C), a.ln2_mean.resize(N), a.ln2_rstd.resize(N), a.fch.resize(N * 4 * C);
    a.fch_gelu.resize(N * 4 * C), a.fcproj.resize(N * C);
  }
  encoded_.resize(N * C), lnf_.resize(N * C), lnf_mean_.resize(N), lnf_rstd_.resize(N);
  logits_.resize(N * config_.vocab_size), losses_.resize(N), dlosses_.resize(N);
  dres_.resize(N * C), dsmall_.resize(N * C), dqkv_.resize(N * 3 * C), datt_.resize(natt);
  if (config_.mlp) dbig_.resize(N * 4 * C);
}

Status Gpt::check_batch(const Batch& b) const {
  if (b.B <= 0 || b.T <= 0 || !b.inputs)
    return invalid_argument("batch: empty (B {}, T {})", b.B, b.T);
  if (b.T > config_.n_ctx)
    return invalid_argument("batch: sequence length {} exceeds the model context {}", b.T,
                            config_.n_ctx);
  size_t N = (size_t)b.B * b.T;
  for (size_t i = 0; i < N; i++) {
    if (b.inputs[i] < 0 || b.inputs[i] >= config_.vocab_size)
      return invalid_argument("batch: token {} at position {} is outside the vocabulary [0, {})",
                              b.inputs[i], i, config_.vocab_size);
    bool counted = !b.mask || b.mask[i] != 0.0f;
    if (b.targets && counted && (b.targets[i] < 0 || b.targets[i] >= config_.vocab_size))
      return invalid_argument("batch: target {} at position {} is outside the vocabulary [0, {})",
                              b.targets[i], i, config_.vocab_size);
    if (b.positions && (b.positions[i] < 0 || b.positions[i] >= config_.n_ctx))
      return invalid_argument("batch: position {} at {} is outside [0, {})", b.positions[i], i,
                              config_.n_ctx);
  }
  return ok_status();
}

void Gpt::block_forward(int l, const float* x, int B, int T) {
  const kernels::KernelSet& k = *k_;
  const LayerParams& p = pv_.layers[l];
  LayerActs& a = acts_[l];
  int N = B * T, C = config_.n_embd;
  k.layernorm_forward(a.ln1.data(), a.ln1_mean.data(), a.ln1_rstd.data(), x, p.ln1_w, p.ln1_b, N,
                      C);
  k.matmul_forward(a.qkv.data(), a.ln1.data(), p.qkv_w, p.qkv_b, N, C, 3 * C);
  const int32_t* seg = segments_.empty() ? nullptr : segments_.data();
  k.attention_forward(a.atty.data(), a.att.data(), a.qkv.data(), seg, B, T, C, config_.n_head);
  k.matmul_forward(a.attproj.data(), a.atty.data(), p.proj_w, p.proj_b, N, C, C);
  k.residual_forward(a.res2.data(), x, a.attproj.data(), (size_t)N * C);
  if (!config_.mlp) {  // attention-only: the zero MLP adds exactly 0
    std::memcpy(a.res3.data(), a.res2.data(), (size_t)N * C * sizeof(float));
    return;
  }
  k.layernorm_forward(a.ln2.data(), a.ln2_mean.data(), a.ln2_rstd.data(), a.res2.data(), p.ln2_w,
                      p.ln2_b, N, C);
  k.matmul_forward(a.fch.data(), a.ln2.data(), p.fc_w, p.fc_b, N, C, 4 * C);
  k.gelu_forward(a.fch_gelu.data(), a.fch.data(), (size_t)N * 4 * C);
  k.matmul_forward(a.fcproj.data(), a.fch_gelu.data(), p.fcproj_w, p.fcproj_b, N, 4 * C, C);
  k.residual_forward(a.res3.data(), a.res2.data(), a.fcproj.data(), (size_t)N * C);
}

float Gpt::forward(const Batch& b) {
  LM_CHECK(b.T <= config_.n_ctx && b.B > 0 && b.T > 0, "bad batch shape {}x{}", b.B, b.T);
  ensure_activations(b.B, b.T);
  B_ = b.B, T_ = b.T;
  size_t N = (size_t)b.B * b.T;
  int C = config_.n_embd, V = config_.vocab_size;
  inputs_.assign(b.inputs, b.inputs + N);
  if (b.positions)
    positions_.assign(b.positions, b.positions + N);
  else
    positions_.clear();
  if (b.segments)
    segments_.assign(b.segments, b.segments + N);
  else
    segments_.clear();
  const int32_t* pos = b.positions ? positions_.data() : nullptr;
  k_->encoder_forward(encoded_.data(), inputs_.data(), pos, pv_.wte, pv_.wpe, b.B, b.T, C);
  const float* x = encoded_.data();
  for (int l = 0; l < config_.n_layer; l++) {
    block_forward(l, x, b.B, b.T);
    x = acts_[l].res3.data();
  }
  k_->layernorm_forward(lnf_.data(), lnf_mean_.data(), lnf_rstd_.data(), x, pv_.lnf_w, pv_.lnf_b,
                        (int)N, C);
  k_->head_forward(logits_.data(), lnf_.data(), pv_.wte, (int)N, C, V);
  have_targets_ = b.targets != nullptr;
  if (!have_targets_) return 0.0f;
  // Masked-out targets may be anything (e.g. -1): use 0 and give them zero weight.
  targets_.resize(N);
  double count = 0;
  for (size_t i = 0; i < N; i++) {
    bool counted = !b.mask || b.mask[i] != 0.0f;
    targets_[i] = counted ? b.targets[i] : 0;
    dlosses_[i] = counted ? (b.mask ? b.mask[i] : 1.0f) : 0.0f;
    count += dlosses_[i];
  }
  k_->crossentropy_forward(losses_.data(), logits_.data(), logits_.data(), targets_.data(), (int)N,
                           V);
  double sum = 0;
  for (size_t i = 0; i < N; i++) {
    if (dlosses_[i] != 0.0f) sum += (double)losses_[i] * dlosses_[i];
    dlosses_[i] = count > 0 ? (float)(dlosses_[i] / count) : 0.0f;
  }
  return count > 0 ? (float)(sum / count) : 0.0f;
}

void Gpt::mlp_backward(int l, int B, int T) {
  const kernels::KernelSet& k = *k_;
  const LayerParams& p = pv_.layers[l];
  const LayerParams& g = gv_.layers[l];
  LayerActs& a = acts_[l];
  int N = B * T, C = config_.n_embd;
  size_t nc = (size_t)N * C;
  k.matmul_backward(dbig_.data(), g.fcproj_w, g.fcproj_b, dres_.data(), a.fch_gelu.data(),
                    p.fcproj_w, N, 4 * C, C);
  k.gelu_backward(dbig_.data(), a.fch.data(), dbig_.data(), 4 * nc);  // in place
  k.matmul_backward(dsmall_.data(), g.fc_w, g.fc_b, dbig_.data(), a.ln2.data(), p.fc_w, N, C,
                    4 * C);
  k.layernorm_backward(dres_.data(), g.ln2_w, g.ln2_b, dsmall_.data(), a.res2.data(), p.ln2_w,
                       a.ln2_mean.data(), a.ln2_rstd.data(), N, C);
}

void Gpt::block_backward(int l, const float* x, int B, int T) {
  const kernels::KernelSet& k = *k_;
  const LayerParams& p = pv_.layers[l];
  const LayerParams& g = gv_.layers[l];
  LayerActs& a = acts_[l];
  int N = B * T, C = config_.n_embd;
  const int32_t* seg = segments_.empty() ? nullptr : segments_.data();
  // The matmul, GELU and attention backward kernels overwrite their input gradient, so the
  // scratch buffers need no zeroing; layernorm backward accumulates into dres (the residual).
  // res3 = res2 + fcproj: dres flows to both. Attention-only: res3 = res2, and the MLP's
  // gradients stay exactly zero (so AdamW, weight decay included, leaves it at zero).
  if (config_.mlp) mlp_backward(l, B, T);
  // res2 = x + attproj
  k.matmul_backward(dsmall_.data(), g.proj_w, g.proj_b, dres_.data(), a.atty.data(), p.proj_w, N, C,
                    C);
  k.attention_backward(dqkv_.data(), datt_.data(), dsmall_.data(), a.qkv.data(), a.att.data(), seg,
                       B, T, C, config_.n_head);
  k.matmul_backward(dsmall_.data(), g.qkv_w, g.qkv_b, dqkv_.data(), a.ln1.data(), p.qkv_w, N, C,
                    3 * C);
  k.layernorm_backward(dres_.data(), g.ln1_w, g.ln1_b, dsmall_.data(), x, p.ln1_w,
                       a.ln1_mean.data(), a.ln1_rstd.data(), N, C);
}

void Gpt::backward(float scale) {
  LM_CHECK(have_targets_, "backward() needs a forward() with targets");
  int N = B_ * T_, C = config_.n_embd, V = config_.vocab_size;
  std::vector<float> dl(dlosses_.begin(), dlosses_.begin() + N);
  for (auto& d : dl) d *= scale;
  // probabilities -> dlogits in place
  k_->crossentropy_backward(logits_.data(), logits_.data(), targets_.data(), dl.data(), N, V);
  k_->head_backward(dsmall_.data(), gv_.wte, logits_.data(), lnf_.data(), pv_.wte, N, C, V);
  std::memset(dres_.data(), 0, (size_t)N * C * sizeof(float));
  const float* xl = config_.n_layer > 0 ? acts_.back().res3.data() : encoded_.data();
  k_->layernorm_backward(dres_.data(), gv_.lnf_w, gv_.lnf_b, dsmall_.data(), xl, pv_.lnf_w,
                         lnf_mean_.data(), lnf_rstd_.data(), N, C);
  for (int l = config_.n_layer - 1; l >= 0; l--) {
    const float* x = l > 0 ? acts_[l - 1].res3.data() : encoded_.data();
    block_backward(l, x, B_, T_);
  }
  const int32_t* pos = positions_.empty() ? nullptr : positions_.data();
  k_->encoder_backward(gv_.wte, gv_.wpe, dres_.data(), inputs_.data(), pos, B_, T_, C);
  have_targets_ = false;  // the probabilities were consumed
}

}  // namespace lm::model
