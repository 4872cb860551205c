// batch_forward.cc: the GPT-2 block recipe over a batch of segments: embeddings at each row's
// own position, LayerNorm/GELU from the model's kernel set (row- and element-wise), the four
// matrix products per layer through PackedMatrix, causal attention of each row over its
// segment's prefix blocks and its own block, and the tied head for the kept rows only.
#include "generate/batch_forward.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_set>

namespace lm::generate {

size_t KvBlock::bytes() const {
  size_t n = 0;
  for (const auto& k : k_) n += k.capacity();
  for (const auto& v : v_) n += v.capacity();
  return n * sizeof(float);
}

BatchForward::BatchForward(const model::Gpt& model) : m_(model), cfg_(model.config()) {
  const model::ParamViews& p = model.views();
  int C = cfg_.n_embd;
  for (int l = 0; l < cfg_.n_layer; l++) {
    const model::LayerParams& w = p.layers[l];
    Layer L;
    L.qkv = PackedMatrix::pack(w.qkv_w, w.qkv_b, C, 3 * C);
    L.proj = PackedMatrix::pack(w.proj_w, w.proj_b, C, C);
    if (cfg_.mlp) {  // attention-only: the MLP is skipped, nothing packed
      L.fc = PackedMatrix::pack(w.fc_w, w.fc_b, C, 4 * C);
      L.fcproj = PackedMatrix::pack(w.fcproj_w, w.fcproj_b, 4 * C, C);
    }
    layers_.push_back(std::move(L));
  }
  head_ = PackedMatrix::pack_transposed(p.wte, C, cfg_.vocab_size);
}

size_t BatchForward::weight_bytes() const {
  size_t n = head_.bytes();
  for (const Layer& L : layers_)
    n += L.qkv.bytes() + L.proj.bytes() + L.fc.bytes() + L.fcproj.bytes();
  return n;
}

void BatchForward::attention(int l, std::span<const Segment> segs) {
  const int C = cfg_.n_embd, NH = cfg_.n_head, hs = C / NH;
  const long M = (long)row_seg_.size();
  const float scale = 1.0f / std::sqrt((float)hs);
  int nt = (int)std::max<long>(1, std::min<long>(kernels::kernel_threads(), M * NH));
  std::vector<float> scores((size_t)nt * cfg_.n_ctx);
#pragma omp parallel for schedule(static) num_threads(nt)
  for (long it = 0; it < M * NH; it++) {
    const long r = it / NH;
    const int h = (int)(it % NH);
    const Segment& sg = segs[row_seg_[r]];
    float* sc = scores.data() + (size_t)omp_get_thread_num() * cfg_.n_ctx;
    const float* q = qkv_.data() + (size_t)r * 3 * C + h * hs;
    // the visible keys: every prefix block, then the segment's own block up to this row
    int n = 0;
    auto score_block = [&](const float* keys, int count) {
      for (int u = 0; u < count; u++) {
        const float* k = keys + (size_t)u * C + h * hs;
        float s = 0;
#pragma omp simd reduction(+ : s)
        for (int i = 0; i < hs; i++) s += q[i] * k[i];
        sc[n++] = s * scale;
      }
    };
    for (const KvBlock* b : sg.prefix) score_block(b->keys(l), b->size());
    const int own = old_size_[row_seg_[r]] + row_local_[r] + 1;
    score_block(sg.cache->keys(l), own);
    float mx = -INFINITY;
    for (int u = 0; u < n; u++) mx = std::max(mx, sc[u]);
    float sum = 0;
    for (int u = 0; u < n; u++) sum += sc[u] = std::exp(sc[u] - mx);
    const float inv = 1.0f / sum;
    float* y = atty_.data() + (size_t)r * C + h * hs;
    std::fill(y, y + hs, 0.0f);
    int u = 0;
    auto mix_block = [&](const float* vals, int count) {
      for (int j = 0; j < count; j++, u++) {
        const float a = sc[u] * inv;
        const float* v = vals + (size_t)j * C + h * hs;
#pragma omp simd
        for (int i = 0; i < hs; i++) y[i] += a * v[i];
      }
    };
    for (const KvBlock* b : sg.prefix) mix_block(b->values(l), b->size());
    mix_block(sg.cache->values(l), own);
  }
}

Status BatchForward::forward(std::span<const Segment> segs) {
  const int C = cfg_.n_embd, V = cfg_.vocab_size, L = cfg_.n_layer;
  const kernels::KernelSet& k = m_.kernels();
  const model::ParamViews& p = m_.views();
  // Check everything before touching any cache.
  std::unordered_set<const KvBlock*> caches;
  size_t M = 0;
  for (size_t s = 0; s < segs.size(); s++) {
    const Segment& sg = segs[s];
    if (!sg.cache) return internal_error("batch forward: segment {} has no cache block", s);
    if (!caches.insert(sg.cache).second)
      return internal_error("batch forward: two segments append to one cache block");
    int base = sg.cache->size();
    for (const KvBlock* b : sg.prefix) base += b->size();
    if (base + (long)sg.tokens.size() > cfg_.n_ctx)
      return invalid_argument(
          "batch forward: segment {} reaches position {}, the model's context "
          "is {}",
          s, base + sg.tokens.size(), cfg_.n_ctx);
    for (int32_t t : sg.tokens)
      if (t < 0 || t >= V)
        return invalid_argument("batch forward: token {} is outside the model's vocabulary {}", t,
                                V)
            .with_hint("use the tokenizer the model was trained with");
    M += sg.tokens.size();
  }
  for (const Segment& sg : segs)
    for (const KvBlock* b : sg.prefix)
      if (caches.count(b))
        return internal_error("batch forward: a prefix block is also appended to in this batch");
  logit_rows_ = 0;
  if (M == 0) return ok_status();
  row_seg_.resize(M), row_pos_.resize(M), row_local_.resize(M), tokens_.resize(M);
  old_size_.resize(segs.size());
  size_t r = 0;
  for (size_t s = 0; s < segs.size(); s++) {
    const Segment& sg = segs[s];
    int base = sg.cache->size();
    for (const KvBlock* b : sg.prefix) base += b->size();
    old_size_[s] = sg.cache->size();
    KvBlock& kv = *sg.cache;
    if ((int)kv.k_.size() != L) kv.k_.resize(L), kv.v_.resize(L);
    size_t need = (size_t)(kv.n_ + sg.tokens.size()) * C;
    for (int l = 0; l < L; l++) {
      if (kv.k_[l].size() < need) kv.k_[l].resize(std::max(need, kv.k_[l].size() * 2));
      if (kv.v_[l].size() < need) kv.v_[l].resize(std::max(need, kv.v_[l].size() * 2));
    }
    for (size_t i = 0; i < sg.tokens.size(); i++, r++) {
      row_seg_[r] = (int)s, row_pos_[r] = base + (int)i, row_local_[r] = (int)i;
      tokens_[r] = sg.tokens[i];
    }
  }
  x_.resize(M * C), ln_.resize(M * C), qkv_.resize(M * 3 * C), atty_.resize(M * C);
  tmp_.resize(M * C), fc_.resize(cfg_.mlp ? M * 4 * C : 0), mean_.resize(M), rstd_.resize(M);
  k.encoder_forward(x_.data(), tokens_.data(), row_pos_.data(), p.wte, p.wpe, 1, (int)M, C);
  auto add_residual = [&] {
#pragma omp parallel for schedule(static) num_threads(kernels::kernel_threads())
    for (size_t i = 0; i < M * C; i++) x_[i] += tmp_[i];
  };
  for (int l = 0; l < L; l++) {
    const model::LayerParams& w = p.layers[l];
    k.layernorm_forward(ln_.data(), mean_.data(), rstd_.data(), x_.data(), w.ln1_w, w.ln1_b, (int)M,
                        C);
    layers_[l].qkv.multiply(ln_.data(), C, (int)M, qkv_.data(), 3 * C);
    for (size_t i = 0; i < M; i++) {
      const Segment& sg = segs[row_seg_[i]];
      size_t at = (size_t)(old_size_[row_seg_[i]] + row_local_[i]) * C;
      std::memcpy(sg.cache->k_[l].data() + at, qkv_.data() + i * 3 * C + C, C * sizeof(float));
      std::memcpy(sg.cache->v_[l].data() + at, qkv_.data() + i * 3 * C + 2 * C, C * sizeof(float));
    }
    attention(l, segs);
    layers_[l].proj.multiply(atty_.data(), C, (int)M, tmp_.data(), C);
    add_residual();
    if (!cfg_.mlp) continue;  // attention-only: the zero MLP adds exactly 0
    k.layernorm_forward(ln_.data(), mean_.data(), rstd_.data(), x_.data(), w.ln2_w, w.ln2_b, (int)M,
                        C);
    layers_[l].fc.multiply(ln_.data(), C, (int)M, fc_.data(), 4 * C);
    k.gelu_forward(fc_.data(), fc_.data(), M * 4 * C);
    layers_[l].fcproj.multiply(fc_.data(), 4 * C, (int)M, tmp_.data(), C);
    add_residual();
  }
  for (size_t s = 0; s < segs.size(); s++)
    segs[s].cache->n_ = old_size_[s] + (int)segs[s].tokens.size();
  // The head for the kept rows only.
  size_t R = 0;
  for (size_t i = 0; i < M; i++) {
    if (row_local_[i] < segs[row_seg_[i]].logits_from) continue;
    std::memcpy(tmp_.data() + R * C, x_.data() + i * C, C * sizeof(float));
    R++;
  }
  k.layernorm_forward(ln_.data(), mean_.data(), rstd_.data(), tmp_.data(), p.lnf_w, p.lnf_b, (int)R,
                      C);
  if (logits_.size() < R * V) logits_.resize(R * V);
  head_.multiply(ln_.data(), C, (int)R, logits_.data(), V);
  logit_rows_ = R;
  return ok_status();
}

}  // namespace lm::generate
