// device_none.cc: device.h in a build without CUDA (LMFORGE_CUDA=OFF, or no nvcc found):
// cuda_probe() and cuda_select() refuse with a hint; the memory and optimizer calls are never
// reached (callers probe first) and abort as programmer errors if they are.
#include "kernels/device.h"

namespace lm::kernels {
namespace {
[[noreturn]] void unavailable(const char* what) {
  LM_CHECK(false, "{}: this lmforge was built without CUDA (call cuda_probe() first)", what);
  __builtin_unreachable();
}
}  // namespace

bool cuda_built() { return false; }

Status cuda_probe(int) {
  return Status(Code::kFailedPrecondition, "built without CUDA",
                "rebuild with nvcc on PATH (or -DCUDAToolkit_ROOT=...) and -DLMFORGE_CUDA=ON; see "
                "docs/cuda.md, or use --device cpu");
}

Status cuda_select(int index, std::string*) { return cuda_probe(index); }
const KernelSet* cuda_kernels() { return nullptr; }
void* cuda_malloc(size_t) { unavailable("cuda_malloc"); }
void cuda_free(void* p) {
  if (p) unavailable("cuda_free");
}
void cuda_to_device(void*, const void*, size_t) { unavailable("cuda_to_device"); }
void cuda_to_host(void*, const void*, size_t) { unavailable("cuda_to_host"); }
void cuda_zero(void*, size_t) { unavailable("cuda_zero"); }
Status cuda_sync() { return cuda_probe(0); }
void cuda_adamw(float*, const float*, float*, float*, const uint8_t*, size_t, float, float, float,
                float, float, int64_t) {
  unavailable("cuda_adamw");
}
double cuda_global_norm(const float*, size_t) { unavailable("cuda_global_norm"); }
void cuda_scale(float*, size_t, float) { unavailable("cuda_scale"); }

}  // namespace lm::kernels
