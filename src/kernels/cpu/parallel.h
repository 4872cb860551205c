// parallel.h: how the cpu kernels split work. One OpenMP pool does everything; OpenBLAS is
// kept single-threaded and called inside the pool's threads on disjoint slices. Reductions use
// fixed-size chunks summed in a fixed order, so results do not depend on the thread count.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstddef>

#include "kernels/cpu/cpu_variant.h"
#include "kernels/kernels.h"

// In the variant namespace: each compilation (generic, avx2) keeps its own copy.
namespace lm::kernels::LM_CPU_VARIANT {

// Row slices handed to sgemm start at multiples of this: OpenBLAS computes a row with the same
// instruction sequence only when its position within the kernel's unroll (24 rows on Zen/Haswell,
// 16 or 48 on others) is the same, so aligned slices give the same bytes for any thread count.
constexpr size_t kGemmAlign = 48;

// Calls fn(begin, end) on `kernel_threads()` contiguous slices of [0, n) (empty ones skipped).
template <typename Fn>
void parallel_slices(size_t n, size_t align, Fn&& fn) {
  int nt = kernel_threads();
  if (nt <= 1 || n <= align) {
    if (n > 0) fn(size_t{0}, n);
    return;
  }
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), k = omp_get_num_threads();
    size_t units = (n + align - 1) / align;
    size_t b = units * t / k * align, e = std::min(n, units * (t + 1) / k * align);
    if (b < e) fn(b, e);
  }
}

// Grow-only work space, one per call site and thread (thread_local). Defined here rather than
// with std::unique_ptr/std::vector so that no out-of-line std:: template is shared between the
// generic and the AVX2 compilation of these files (the linker keeps one copy of such a template,
// which could then be the AVX2 one on a CPU without AVX2).
template <typename T>
struct Scratch {
  T* p = nullptr;
  size_t cap = 0;
  ~Scratch() { delete[] p; }
  T* get(size_t n) {
    if (cap < n) {
      delete[] p;
      p = new T[n];
      cap = n;
    }
    return p;
  }
};

}  // namespace lm::kernels::LM_CPU_VARIANT
