// kv_decoder.cc: one-token forward through every block with cached keys and values.
#include "generate/kv_decoder.h"

#include <cmath>
#include <cstring>

namespace lm::generate {

KvDecoder::KvDecoder(const model::Gpt& model) : m_(model), cfg_(model.config()) {
  size_t C = cfg_.n_embd;
  k_cache_.assign((size_t)cfg_.n_layer * cfg_.n_ctx * C, 0.0f);
  v_cache_.assign(k_cache_.size(), 0.0f);
  x_.resize(C), ln_.resize(C), qkv_.resize(3 * C), att_y_.resize(C), tmp_.resize(C);
  fc_.resize(cfg_.mlp ? 4 * C : 0), fcg_.resize(cfg_.mlp ? 4 * C : 0), scores_.resize(cfg_.n_ctx),
      logits_.resize(cfg_.vocab_size);
  mean_.resize(1), rstd_.resize(1);
}

void KvDecoder::attend(int l) {
  int C = cfg_.n_embd, NH = cfg_.n_head, hs = C / NH;
  const float* kc = k_cache_.data() + (size_t)l * cfg_.n_ctx * C;
  const float* vc = v_cache_.data() + (size_t)l * cfg_.n_ctx * C;
  float scale = 1.0f / std::sqrt((float)hs);
  for (int h = 0; h < NH; h++) {
    const float* q = qkv_.data() + h * hs;
    float mx = -INFINITY;
    for (int u = 0; u <= pos_; u++) {
      float s = 0;
      for (int i = 0; i < hs; i++) s += q[i] * kc[(size_t)u * C + h * hs + i];
      scores_[u] = s * scale;
      mx = std::max(mx, scores_[u]);
    }
    float sum = 0;
    for (int u = 0; u <= pos_; u++) sum += scores_[u] = std::exp(scores_[u] - mx);
    float* y = att_y_.data() + h * hs;
    std::fill(y, y + hs, 0.0f);
    for (int u = 0; u <= pos_; u++) {
      float a = scores_[u] / sum;
      for (int i = 0; i < hs; i++) y[i] += a * vc[(size_t)u * C + h * hs + i];
    }
  }
}

const float* KvDecoder::step(int token) {
  LM_CHECK(!full() && token >= 0 && token < cfg_.vocab_size, "KvDecoder::step({}) at {}", token,
           pos_);
  const kernels::KernelSet& k = m_.kernels();
  const model::ParamViews& p = m_.views();
  int C = cfg_.n_embd;
  for (int c = 0; c < C; c++) x_[c] = p.wte[(size_t)token * C + c] + p.wpe[(size_t)pos_ * C + c];
  for (int l = 0; l < cfg_.n_layer; l++) {
    const model::LayerParams& w = p.layers[l];
    k.layernorm_forward(ln_.data(), mean_.data(), rstd_.data(), x_.data(), w.ln1_w, w.ln1_b, 1, C);
    k.matmul_forward(qkv_.data(), ln_.data(), w.qkv_w, w.qkv_b, 1, C, 3 * C);
    size_t off = ((size_t)l * cfg_.n_ctx + pos_) * C;
    std::memcpy(k_cache_.data() + off, qkv_.data() + C, C * sizeof(float));
    std::memcpy(v_cache_.data() + off, qkv_.data() + 2 * C, C * sizeof(float));
    attend(l);
    k.matmul_forward(tmp_.data(), att_y_.data(), w.proj_w, w.proj_b, 1, C, C);
    for (int c = 0; c < C; c++) x_[c] += tmp_[c];
    if (!cfg_.mlp) continue;  // attention-only: the zero MLP adds exactly 0
    k.layernorm_forward(ln_.data(), mean_.data(), rstd_.data(), x_.data(), w.ln2_w, w.ln2_b, 1, C);
    k.matmul_forward(fc_.data(), ln_.data(), w.fc_w, w.fc_b, 1, C, 4 * C);
    k.gelu_forward(fcg_.data(), fc_.data(), 4 * C);
    k.matmul_forward(tmp_.data(), fcg_.data(), w.fcproj_w, w.fcproj_b, 1, 4 * C, C);
    for (int c = 0; c < C; c++) x_[c] += tmp_[c];
  }
  k.layernorm_forward(ln_.data(), mean_.data(), rstd_.data(), x_.data(), p.lnf_w, p.lnf_b, 1, C);
  k.head_forward(logits_.data(), ln_.data(), p.wte, 1, C, cfg_.vocab_size);
  pos_++;
  return logits_.data();
}

}  // namespace lm::generate
