// cuda_common.cuh: what the CUDA backend's .cu files share: the per-device context (stream,
// cuBLAS handle), error recording (LM_CU / LM_CUBLAS keep the first failure with file:line and
// the call; cuda_sync() returns it), launch-size helpers and warp/block reductions.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace lm::kernels::cuda_impl {

struct Context {
  int device = -1;
  cudaStream_t stream = nullptr;
  cublasHandle_t blas = nullptr;
};
// The selected device's context (cuda_select() creates it).
Context& ctx();

void record_cuda(cudaError_t e, const char* call, const char* file, int line);
void record_cublas(cublasStatus_t s, const char* call, const char* file, int line);

#define LM_CU(call) ::lm::kernels::cuda_impl::record_cuda((call), #call, __FILE__, __LINE__)
#define LM_CUBLAS(call) ::lm::kernels::cuda_impl::record_cublas((call), #call, __FILE__, __LINE__)
// After a <<<...>>> launch: records a bad launch configuration.
#define LM_CU_LAUNCHED(name) \
  ::lm::kernels::cuda_impl::record_cuda(cudaGetLastError(), name, __FILE__, __LINE__)

inline unsigned grid_for(size_t n, unsigned threads) {
  return (unsigned)((n + threads - 1) / threads);
}

__device__ inline float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ inline float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ inline double warp_sum_d(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Sum (or max) over a block of at most 1024 threads; every thread gets the result. `sh` holds
// 32 values; each call begins with a barrier, so consecutive calls may share `sh`.
template <bool kMax>
__device__ inline float block_reduce(float v, float* sh) {
  int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nwarp = (blockDim.x + 31) / 32;
  v = kMax ? warp_max(v) : warp_sum(v);
  __syncthreads();
  if (lane == 0) sh[warp] = v;
  __syncthreads();
  float r = lane < nwarp ? sh[lane] : (kMax ? -INFINITY : 0.0f);
  r = kMax ? warp_max(r) : warp_sum(r);
  return r;
}

}  // namespace lm::kernels::cuda_impl
