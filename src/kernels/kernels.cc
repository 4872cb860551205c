// kernels.cc: kernel-set lookup by name and the thread setting shared by the cpu kernels
// (OpenMP pool size; OpenBLAS pinned to one thread because it is called inside the pool).
#include "kernels/kernels.h"

#include <cblas.h>
#include <omp.h>

#include <atomic>
#include <cstring>

namespace lm::kernels {
namespace {
std::atomic<int> g_threads{1};
}

void set_kernel_threads(int n) {
  openblas_set_num_threads(1);
  g_threads.store(n > 0 ? n : 1);
}

int kernel_threads() {
  // OpenBLAS must never start its own threads inside ours.
  static const bool kBlasSingle = (openblas_set_num_threads(1), true);
  (void)kBlasSingle;
  return g_threads.load(std::memory_order_relaxed);
}

const KernelSet* kernels_by_name(const char* name) {
  if (std::strcmp(name, "ref") == 0) return &ref_kernels();
  if (std::strcmp(name, "cpu") == 0) return &cpu_kernels();
  if (std::strcmp(name, "cpu-bf16") == 0) return &bf16_kernels();
  return nullptr;
}

}  // namespace lm::kernels

#include <chrono>
#include <vector>

namespace lm::kernels {

double measure_matmul_flops(double seconds, const KernelSet* set) {
  const int n = 1024;
  std::vector<float> a((size_t)n * n, 0.5f), b((size_t)n * n, 0.25f), c((size_t)n * n);
  const KernelSet& k = set ? *set : cpu_kernels();
  k.matmul_forward(c.data(), a.data(), b.data(), nullptr, n, n, n);  // warm-up
  double best = 0;
  auto t_end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  do {
    auto t0 = std::chrono::steady_clock::now();
    k.matmul_forward(c.data(), a.data(), b.data(), nullptr, n, n, n);
    double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, 2.0 * n * n * n / dt);
  } while (std::chrono::steady_clock::now() < t_end);
  return best;
}

}  // namespace lm::kernels
