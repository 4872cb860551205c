// packed_gemm.h: out (M,N) = A (M,K) @ W (K,N) + bias for inference, with W packed once into
// 16-column panels. Every output element is one fused multiply-add chain over k = 0..K-1 that
// starts from its bias, so a row's bytes never depend on how many rows are computed with it,
// where it sits in the batch, the thread count, or whether the AVX2 or the portable path ran
// (FMA rounds exactly once either way). Not here: training products (kernels/ use OpenBLAS).
#pragma once

#include <cstddef>
#include <vector>

namespace lm::generate {

class PackedMatrix {
 public:
  PackedMatrix() = default;
  // W is (K, N) row-major (HF Conv1D layout); bias (N) may be null (then 0).
  static PackedMatrix pack(const float* w, const float* bias, int K, int N);
  // W^T for a (N, K) row-major matrix (the tied output head: wte is (V, C)).
  static PackedMatrix pack_transposed(const float* w_nk, int K, int N);
  int rows() const { return K_; }
  int cols() const { return N_; }
  size_t bytes() const { return panels_.size() * sizeof(float) + bias_.size() * sizeof(float); }
  // out (M, N) with leading dimension ldo; A (M, K) with leading dimension lda.
  void multiply(const float* a, size_t lda, int M, float* out, size_t ldo) const;

 private:
  int K_ = 0, N_ = 0, panels_n_ = 0;
  std::vector<float> panels_;  // panels_n_ x K x 16 (the last panel zero-padded)
  std::vector<float> bias_;    // panels_n_ x 16
};

// Threads used by multiply() (and the batch forward): kernels::kernel_threads().
bool packed_gemm_uses_avx2();

}  // namespace lm::generate
