// cpu_bf16.cc: the "cpu-bf16" kernel set: the cpu kernels with every linear layer and the output
// head multiplied in bf16 on AMX (cpu_amx.cc); attention, LayerNorm, GELU, softmax and the
// optimizer stay fp32, as do the weights. On a CPU without AMX it is the cpu set itself
// (bf16_kernels().name says which one a run got).
#include <omp.h>

#include <cstring>

#include "kernels/cpu/cpu_amx.h"
#include "kernels/cpu/cpu_variant.h"
#include "kernels/kernels.h"

namespace lm::kernels {
namespace {

// dst (OC) += column sums of src (N, OC), rows in order (each thread its own columns).
void column_sums(float* dst, const float* src, int N, int OC) {
  int nt = kernel_threads();
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), k = omp_get_num_threads();
    int c0 = OC * t / k, c1 = OC * (t + 1) / k;
    for (int i = 0; i < N; i++) {
      const float* s = src + (size_t)i * OC;
      for (int c = c0; c < c1; c++) dst[c] += s[c];
    }
  }
}

void matmul_forward(float* out, const float* inp, const float* weight, const float* bias, int N,
                    int C, int OC) {
  if (bias)
    for (int r = 0; r < N; r++) std::memcpy(out + (size_t)r * OC, bias, sizeof(float) * OC);
  amx::gemm(N, OC, C, inp, C, false, weight, OC, false, out, OC, false, bias != nullptr);
}

void matmul_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int N, int C, int OC) {
  // dinp (N,C) = dout (N,OC) @ weight^T.
  amx::gemm(N, C, OC, dout, OC, false, weight, OC, true, dinp, C, false, false);
  // dweight (C,OC) += inp^T @ dout, or its transpose dout^T @ inp when OC < C: the operand read
  // transposed (packed the slow way) is then the narrower one.
  if (C <= OC)
    amx::gemm(C, OC, N, inp, C, true, dout, OC, false, dweight, OC, false, true);
  else
    amx::gemm(OC, C, N, dout, OC, true, inp, C, false, dweight, OC, true, true);
  if (dbias) column_sums(dbias, dout, N, OC);
}

void head_forward(float* logits, const float* inp, const float* wte, int N, int C, int V) {
  amx::gemm(N, V, C, inp, C, false, wte, C, true, logits, V, false, false);
}

void head_backward(float* dinp, float* dwte, const float* dlogits, const float* inp,
                   const float* wte, int N, int C, int V) {
  amx::gemm(N, C, V, dlogits, V, false, wte, C, false, dinp, C, false, false);
  // dwte (V,C) += dlogits^T @ inp, computed as inp^T @ dlogits (C,V) and stored transposed.
  amx::gemm(C, V, N, inp, C, true, dlogits, V, false, dwte, C, true, true);
}

}  // namespace

const KernelSet& bf16_kernels() {
  static const KernelSet k = [] {
    const KernelSet& base = cpu_kernels();
    if (!amx::available()) return base;
    KernelSet s = base;
    s.name = "cpu-bf16";
    s.matmul_forward = matmul_forward;
    s.matmul_backward = matmul_backward;
    s.head_forward = head_forward;
    s.head_backward = head_backward;
    return s;
  }();
  return k;
}

}  // namespace lm::kernels
