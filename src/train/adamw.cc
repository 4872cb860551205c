// adamw.cc: AdamW update, gradient norm and clipping, learning-rate schedule.
#include "train/adamw.h"

#include <omp.h>

#include <algorithm>
#include <cmath>

#include "kernels/kernels.h"

namespace lm::train {

AdamW::AdamW(const model::ParamLayout& layout, AdamWConfig config) : cfg_(config) {
  m_.assign(layout.total(), 0.0f);
  v_.assign(layout.total(), 0.0f);
  decay_.assign(layout.total(), 0);
  for (const auto& p : layout.tensors())
    if (p.decay) std::fill(decay_.begin() + p.offset, decay_.begin() + p.offset + p.size, 1);
}

void AdamW::update(float* params, const float* grads, float lr) {
  t_++;
  const float b1 = cfg_.beta1, b2 = cfg_.beta2, eps = cfg_.eps;
  const float bc1 = 1.0f - std::pow(b1, (float)t_);
  const float bc2_sqrt = std::sqrt(1.0f - std::pow(b2, (float)t_));
  const float step_size = lr / bc1;
  const float shrink = 1.0f - lr * cfg_.weight_decay;
  const int64_t n = (int64_t)m_.size();
  float* m = m_.data();
  float* v = v_.data();
  const uint8_t* d = decay_.data();
#pragma omp parallel for simd schedule(static) num_threads(kernels::kernel_threads())
  for (int64_t i = 0; i < n; i++) {
    float g = grads[i];
    float p = d[i] ? params[i] * shrink : params[i];
    float mi = b1 * m[i] + (1.0f - b1) * g;
    float vi = b2 * v[i] + (1.0f - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] = p - step_size * mi / (std::sqrt(vi) / bc2_sqrt + eps);
  }
}

double global_norm(const float* g, size_t n) {
  constexpr size_t kChunk = 1 << 14;
  size_t nchunk = (n + kChunk - 1) / kChunk;
  std::vector<double> part(nchunk, 0.0);
#pragma omp parallel for schedule(static) num_threads(kernels::kernel_threads())
  for (size_t c = 0; c < nchunk; c++) {
    double s = 0;
    size_t e = std::min(n, (c + 1) * kChunk);
    // simd: a fixed (vector-lane) summation order within the chunk, the same for any thread count
#pragma omp simd reduction(+ : s)
    for (size_t i = c * kChunk; i < e; i++) s += (double)g[i] * g[i];
    part[c] = s;
  }
  double total = 0;
  for (double s : part) total += s;
  return std::sqrt(total);
}

double clip_grad_norm(float* g, size_t n, double max_norm) {
  double norm = global_norm(g, n);
  if (max_norm > 0 && std::isfinite(norm)) {
    double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0) {
      float c = (float)coef;
#pragma omp parallel for simd schedule(static) num_threads(kernels::kernel_threads())
      for (size_t i = 0; i < n; i++) g[i] *= c;
    }
  }
  return norm;
}

float LrSchedule::at(int64_t step) const {
  if (warmup_steps > 0 && step < warmup_steps) return lr * (float)(step + 1) / (float)warmup_steps;
  if (shape == LrShape::kConstant) return lr;
  double min_lr = lr * min_lr_ratio;
  if (shape == LrShape::kWsd) {
    int64_t start = std::max(warmup_steps,
                             max_steps - (int64_t)std::llround(decay_fraction * (double)max_steps));
    if (step < start || max_steps <= start) return lr;
    double done = std::min(1.0, (double)(step - start) / (double)(max_steps - start));
    return (float)(lr - done * (lr - min_lr));
  }
  int64_t decay_steps = max_steps - warmup_steps;
  if (decay_steps <= 0) return lr;
  double ratio = (double)(step - warmup_steps) / (double)decay_steps;
  ratio = std::min(1.0, std::max(0.0, ratio));
  double coeff = 0.5 * (1.0 + std::cos(M_PI * ratio));
  return (float)(min_lr + coeff * (lr - min_lr));
}

}  // namespace lm::train
