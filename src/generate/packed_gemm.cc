// packed_gemm.cc: the panel packing and a 6x16 register-blocked FMA kernel (AVX2+FMA, chosen at
// run time) with a portable std::fma path that gives the same bytes. Work is split over
// (48-row chunk, panel) pairs with a static OpenMP schedule; each element is computed by one
// thread in one fixed order, so the thread count never changes a result.
#include "generate/packed_gemm.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/kernels.h"

namespace lm::generate {
namespace {

constexpr int kPanel = 16;     // columns per panel (two 8-float vectors)
constexpr int kRowBlock = 6;   // rows per register block (12 accumulators)
constexpr int kRowChunk = 48;  // rows per work item

bool has_avx2() {
  static const bool kYes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return kYes;
}

template <int R>
__attribute__((target("avx2,fma"))) void block_avx2(const float* a, size_t lda, const float* pw,
                                                    int K, const float* bias, float* out,
                                                    size_t ldo, int ncols) {
  __m256 c0[R], c1[R];
  const __m256 b0 = _mm256_loadu_ps(bias), b1 = _mm256_loadu_ps(bias + 8);
#pragma GCC unroll 6
  for (int r = 0; r < R; r++) c0[r] = b0, c1[r] = b1;
  for (int k = 0; k < K; k++) {
    const __m256 w0 = _mm256_loadu_ps(pw + (size_t)k * kPanel);
    const __m256 w1 = _mm256_loadu_ps(pw + (size_t)k * kPanel + 8);
#pragma GCC unroll 6
    for (int r = 0; r < R; r++) {
      const __m256 x = _mm256_broadcast_ss(a + r * lda + k);
      c0[r] = _mm256_fmadd_ps(x, w0, c0[r]);
      c1[r] = _mm256_fmadd_ps(x, w1, c1[r]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < R; r++) {
    if (ncols == kPanel) {
      _mm256_storeu_ps(out + r * ldo, c0[r]);
      _mm256_storeu_ps(out + r * ldo + 8, c1[r]);
    } else {
      alignas(32) float tmp[kPanel];
      _mm256_store_ps(tmp, c0[r]);
      _mm256_store_ps(tmp + 8, c1[r]);
      std::memcpy(out + r * ldo, tmp, sizeof(float) * ncols);
    }
  }
}

void block_portable(int R, const float* a, size_t lda, const float* pw, int K, const float* bias,
                    float* out, size_t ldo, int ncols) {
  for (int r = 0; r < R; r++) {
    float acc[kPanel];
    std::memcpy(acc, bias, sizeof acc);
    for (int k = 0; k < K; k++) {
      float x = a[r * lda + k];
      const float* w = pw + (size_t)k * kPanel;
      for (int j = 0; j < kPanel; j++) acc[j] = std::fma(x, w[j], acc[j]);
    }
    std::memcpy(out + r * ldo, acc, sizeof(float) * ncols);
  }
}

void block(int R, const float* a, size_t lda, const float* pw, int K, const float* bias, float* out,
           size_t ldo, int ncols) {
  if (!has_avx2()) return block_portable(R, a, lda, pw, K, bias, out, ldo, ncols);
  switch (R) {
    case 6:
      return block_avx2<6>(a, lda, pw, K, bias, out, ldo, ncols);
    case 5:
      return block_avx2<5>(a, lda, pw, K, bias, out, ldo, ncols);
    case 4:
      return block_avx2<4>(a, lda, pw, K, bias, out, ldo, ncols);
    case 3:
      return block_avx2<3>(a, lda, pw, K, bias, out, ldo, ncols);
    case 2:
      return block_avx2<2>(a, lda, pw, K, bias, out, ldo, ncols);
    default:
      return block_avx2<1>(a, lda, pw, K, bias, out, ldo, ncols);
  }
}

}  // namespace

bool packed_gemm_uses_avx2() { return has_avx2(); }

PackedMatrix PackedMatrix::pack(const float* w, const float* bias, int K, int N) {
  PackedMatrix m;
  m.K_ = K, m.N_ = N, m.panels_n_ = (N + kPanel - 1) / kPanel;
  m.panels_.assign((size_t)m.panels_n_ * K * kPanel, 0.0f);
  m.bias_.assign((size_t)m.panels_n_ * kPanel, 0.0f);
  for (int p = 0; p < m.panels_n_; p++) {
    int n0 = p * kPanel, nc = std::min(kPanel, N - n0);
    float* dst = m.panels_.data() + (size_t)p * K * kPanel;
    for (int k = 0; k < K; k++)
      std::memcpy(dst + (size_t)k * kPanel, w + (size_t)k * N + n0, sizeof(float) * nc);
    if (bias) std::memcpy(m.bias_.data() + n0, bias + n0, sizeof(float) * nc);
  }
  return m;
}

PackedMatrix PackedMatrix::pack_transposed(const float* w_nk, int K, int N) {
  PackedMatrix m;
  m.K_ = K, m.N_ = N, m.panels_n_ = (N + kPanel - 1) / kPanel;
  m.panels_.assign((size_t)m.panels_n_ * K * kPanel, 0.0f);
  m.bias_.assign((size_t)m.panels_n_ * kPanel, 0.0f);
  for (int n = 0; n < N; n++) {
    float* dst = m.panels_.data() + (size_t)(n / kPanel) * K * kPanel + n % kPanel;
    const float* src = w_nk + (size_t)n * K;
    for (int k = 0; k < K; k++) dst[(size_t)k * kPanel] = src[k];
  }
  return m;
}

void PackedMatrix::multiply(const float* a, size_t lda, int M, float* out, size_t ldo) const {
  if (M <= 0) return;
  int chunks = (M + kRowChunk - 1) / kRowChunk;
  long items = (long)chunks * panels_n_;
  int nt = (int)std::max<long>(1, std::min<long>(kernels::kernel_threads(), items));
#pragma omp parallel for schedule(static) num_threads(nt)
  for (long it = 0; it < items; it++) {
    int c = (int)(it / panels_n_), p = (int)(it % panels_n_);
    int r1 = std::min(M, (c + 1) * kRowChunk), n0 = p * kPanel, nc = std::min(kPanel, N_ - n0);
    const float* pw = panels_.data() + (size_t)p * K_ * kPanel;
    const float* pb = bias_.data() + n0;
    for (int r = c * kRowChunk; r < r1; r += kRowBlock) {
      int R = std::min(kRowBlock, r1 - r);
      block(R, a + (size_t)r * lda, lda, pw, K_, pb, out + (size_t)r * ldo + n0, ldo, nc);
    }
  }
}

}  // namespace lm::generate
