// device.h: the CUDA device as the rest of lmforge sees it, in plain C++ (no CUDA headers), so
// every build compiles against it. Built with CUDA (LMFORGE_HAVE_CUDA, src/kernels/cuda/), these
// functions drive the GPU; built without, cuda_probe() says so and nothing else may be called.
//
// Why the CUDA kernels are a KernelSet: kernels.h's table takes raw pointers with explicit
// shapes and never dereferences them on the host outside the kernel bodies, so the same table
// type holds the CUDA kernels, whose pointers are DEVICE pointers (cudaMalloc'd, see DeviceArray).
// Calling cuda_kernels() with host pointers is a programmer error (a CUDA error is recorded).
// The accumulate/overwrite rules of kernels.h hold unchanged. Kernel launches are asynchronous
// on the context's stream; a CUDA or cuBLAS error does not abort: the first one is kept
// (file:line, the call, cudaGetErrorString) and cuda_sync() returns it as a Status with a hint.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "core/status.h"
#include "kernels/kernels.h"

namespace lm::kernels {

// True when this binary was built with the CUDA backend.
bool cuda_built();
// Ok when CUDA device `index` can be used: else "built without CUDA" or "no CUDA GPU present:
// <the runtime's reason>" (kFailedPrecondition), each with a hint. Starts nothing.
Status cuda_probe(int index = 0);
// Makes device `index` current and creates its context (stream, cuBLAS handle); idempotent.
// `description` (may be null) gets "NAME (sm_XY, N GiB)".
Status cuda_select(int index, std::string* description = nullptr);
// The CUDA kernel set (device pointers); null when built without CUDA. Needs cuda_select().
const KernelSet* cuda_kernels();

// Device memory and copies on the context's stream. Errors are recorded (see cuda_sync).
void* cuda_malloc(size_t bytes);  // null on failure (recorded)
void cuda_free(void* p);
void cuda_to_device(void* dst, const void* src, size_t bytes);
void cuda_to_host(void* dst, const void* src, size_t bytes);  // waits for the copy
void cuda_zero(void* p, size_t bytes);
// Waits for the stream; returns the first CUDA/cuBLAS error recorded since the last call (and
// clears it), or ok.
Status cuda_sync();

// AdamW on flat device buffers, the same update as train::AdamW::update (torch's AdamW):
// decay (n bytes, 1 = decayed) selects the tensors with weight decay; t is the 1-based step.
void cuda_adamw(float* params, const float* grads, float* m, float* v, const uint8_t* decay,
                size_t n, float lr, float beta1, float beta2, float eps, float weight_decay,
                int64_t t);
// sqrt(sum g^2) in double over a fixed partition (same result on every run); waits.
double cuda_global_norm(const float* g, size_t n);
// g *= c.
void cuda_scale(float* g, size_t n, float c);

// An owning device array of T (moves only).
template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(size_t n) : n_(n), p_(static_cast<T*>(cuda_malloc(n * sizeof(T)))) {}
  DeviceArray(const T* host, size_t n) : DeviceArray(n) { upload(host); }
  DeviceArray(DeviceArray&& o) noexcept
      : n_(std::exchange(o.n_, 0)), p_(std::exchange(o.p_, nullptr)) {}
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    std::swap(n_, o.n_);
    std::swap(p_, o.p_);
    return *this;
  }
  ~DeviceArray() { cuda_free(p_); }
  T* data() { return p_; }
  const T* data() const { return p_; }
  size_t size() const { return n_; }
  void upload(const T* host) { cuda_to_device(p_, host, n_ * sizeof(T)); }
  void download(T* host) const { cuda_to_host(host, p_, n_ * sizeof(T)); }

 private:
  size_t n_ = 0;
  T* p_ = nullptr;
};

}  // namespace lm::kernels
