// cuda_device.cu: device.h with CUDA: device probing and selection, the context (one stream,
// one cuBLAS handle in strict fp32: no TF32), first-error recording, memory and copies, and the
// optimizer kernels on the flat buffer (AdamW, global gradient norm, scaling).
#include <fmt/core.h>

#include <cmath>
#include <mutex>
#include <string>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/device.h"

namespace lm::kernels {
namespace cuda_impl {
namespace {
std::mutex g_mu;
std::string g_error;  // the first recorded failure since the last cuda_sync()
Context g_ctx;

void keep(std::string msg) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_error.empty()) g_error = std::move(msg);
}
}  // namespace

Context& ctx() { return g_ctx; }

void record_cuda(cudaError_t e, const char* call, const char* file, int line) {
  if (e == cudaSuccess) return;
  keep(fmt::format("{}:{}: {}: {} ({})", file, line, call, cudaGetErrorString(e),
                   cudaGetErrorName(e)));
}

void record_cublas(cublasStatus_t s, const char* call, const char* file, int line) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  keep(fmt::format("{}:{}: {}: cuBLAS {} ({})", file, line, call, cublasGetStatusString(s),
                   cublasGetStatusName(s)));
}

}  // namespace cuda_impl

using cuda_impl::ctx;

bool cuda_built() { return true; }

Status cuda_probe(int index) {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();  // not sticky; clear it
    return Status(
        Code::kFailedPrecondition,
        fmt::format("no CUDA GPU present: {} ({})", cudaGetErrorString(e), cudaGetErrorName(e)),
        "run on a machine with an NVIDIA GPU and its driver (nvidia-smi lists it), or "
        "use --device cpu");
  }
  if (n == 0)
    return Status(Code::kFailedPrecondition, "no CUDA GPU present: the driver lists 0 devices",
                  "check nvidia-smi and CUDA_VISIBLE_DEVICES, or use --device cpu");
  if (index < 0 || index >= n)
    return Status(Code::kInvalidArgument,
                  fmt::format("CUDA device {} does not exist ({} present)", index, n),
                  fmt::format("use --device cuda:0 .. cuda:{}", n - 1));
  return ok_status();
}

Status cuda_select(int index, std::string* description) {
  LM_RETURN_IF_ERROR(cuda_probe(index));
  cuda_impl::Context& c = ctx();
  if (c.device != index) {
    LM_CU(cudaSetDevice(index));
    if (c.blas) LM_CUBLAS(cublasDestroy(c.blas));
    if (c.stream) LM_CU(cudaStreamDestroy(c.stream));
    c = cuda_impl::Context{};
    LM_CU(cudaStreamCreateWithFlags(&c.stream, cudaStreamNonBlocking));
    LM_CUBLAS(cublasCreate(&c.blas));
    LM_CUBLAS(cublasSetStream(c.blas, c.stream));
    // Strict fp32 (the cpu kernels' precision): no TF32 tensor-op rounding.
    LM_CUBLAS(cublasSetMathMode(c.blas, CUBLAS_PEDANTIC_MATH));
    c.device = index;
  }
  if (description) {
    cudaDeviceProp p{};
    LM_CU(cudaGetDeviceProperties(&p, index));
    *description = fmt::format("{} (sm_{}{}, {:.0f} GiB)", p.name, p.major, p.minor,
                               (double)p.totalGlobalMem / (1 << 30));
  }
  Status s = cuda_sync();
  if (!s.ok()) c = cuda_impl::Context{};
  return s;
}

void* cuda_malloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, bytes);
  if (e != cudaSuccess) {
    cuda_impl::record_cuda(e, fmt::format("cudaMalloc({} bytes)", bytes).c_str(), __FILE__,
                           __LINE__);
    return nullptr;
  }
  return p;
}

void cuda_free(void* p) {
  if (p) LM_CU(cudaFree(p));
}

void cuda_to_device(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  LM_CU(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, ctx().stream));
  // Pageable host memory may be reused by the caller at once: wait for the copy.
  LM_CU(cudaStreamSynchronize(ctx().stream));
}

void cuda_to_host(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  LM_CU(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, ctx().stream));
  LM_CU(cudaStreamSynchronize(ctx().stream));
}

void cuda_zero(void* p, size_t bytes) {
  if (bytes) LM_CU(cudaMemsetAsync(p, 0, bytes, ctx().stream));
}

Status cuda_sync() {
  if (ctx().stream) LM_CU(cudaStreamSynchronize(ctx().stream));
  LM_CU(cudaGetLastError());
  std::string err;
  {
    std::lock_guard<std::mutex> lock(cuda_impl::g_mu);
    err.swap(cuda_impl::g_error);
  }
  if (err.empty()) return ok_status();
  return Status(Code::kInternal, "CUDA error: " + err,
                "out of memory: lower batch_size or seq_len; an illegal address or launch failure "
                "is a bug in lmforge's CUDA backend (docs/cuda.md): rerun with "
                "CUDA_LAUNCH_BLOCKING=1 and report it");
}

namespace {

__global__ void adamw_k(float* params, const float* grads, float* m, float* v, const uint8_t* decay,
                        size_t n, float lr, float b1, float b2, float eps, float shrink,
                        float step_size, float bc2_sqrt) {
  size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (i >= n) return;
  float g = grads[i];
  float p = decay[i] ? params[i] * shrink : params[i];
  float mi = b1 * m[i] + (1.0f - b1) * g;
  float vi = b2 * v[i] + (1.0f - b2) * g * g;
  m[i] = mi;
  v[i] = vi;
  params[i] = p - step_size * mi / (sqrtf(vi) / bc2_sqrt + eps);
}

constexpr unsigned kNormBlocks = 1024, kNormThreads = 256;

// Block b sums the squares of a fixed grid-stride set of elements (in double).
__global__ void sumsq_partial_k(double* part, const float* g, size_t n) {
  double s = 0;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x)
    s += (double)g[i] * g[i];
  __shared__ double sh[32];
  s = cuda_impl::warp_sum_d(s);
  if (threadIdx.x % 32 == 0) sh[threadIdx.x / 32] = s;
  __syncthreads();
  if (threadIdx.x == 0) {
    double t = 0;
    for (unsigned w = 0; w < blockDim.x / 32; w++) t += sh[w];
    part[blockIdx.x] = t;
  }
}

__global__ void sum_partials_k(double* out, const double* part, unsigned n) {
  double t = 0;
  for (unsigned i = 0; i < n; i++) t += part[i];  // one thread: a fixed order
  *out = t;
}

__global__ void scale_k(float* g, size_t n, float c) {
  size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (i < n) g[i] *= c;
}

}  // namespace

void cuda_adamw(float* params, const float* grads, float* m, float* v, const uint8_t* decay,
                size_t n, float lr, float beta1, float beta2, float eps, float weight_decay,
                int64_t t) {
  // The host computes the scalars exactly as train::AdamW::update does.
  const float bc1 = 1.0f - std::pow(beta1, (float)t);
  const float bc2_sqrt = std::sqrt(1.0f - std::pow(beta2, (float)t));
  if (n == 0) return;
  adamw_k<<<cuda_impl::grid_for(n, 256), 256, 0, ctx().stream>>>(
      params, grads, m, v, decay, n, lr, beta1, beta2, eps, 1.0f - lr * weight_decay, lr / bc1,
      bc2_sqrt);
  LM_CU_LAUNCHED("adamw_k");
}

double cuda_global_norm(const float* g, size_t n) {
  DeviceArray<double> part(kNormBlocks + 1);
  if (!part.data()) return NAN;
  sumsq_partial_k<<<kNormBlocks, kNormThreads, 0, ctx().stream>>>(part.data(), g, n);
  LM_CU_LAUNCHED("sumsq_partial_k");
  sum_partials_k<<<1, 1, 0, ctx().stream>>>(part.data() + kNormBlocks, part.data(), kNormBlocks);
  LM_CU_LAUNCHED("sum_partials_k");
  double total = NAN;
  cuda_to_host(&total, part.data() + kNormBlocks, sizeof(double));
  return std::sqrt(total);
}

void cuda_scale(float* g, size_t n, float c) {
  if (n == 0) return;
  scale_k<<<cuda_impl::grid_for(n, 256), 256, 0, ctx().stream>>>(g, n, c);
  LM_CU_LAUNCHED("scale_k");
}

}  // namespace lm::kernels
