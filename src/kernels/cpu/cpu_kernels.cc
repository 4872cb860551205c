// cpu_kernels.cc: the fast kernels: OpenBLAS sgemm (single-threaded, called on disjoint slices
// inside one OpenMP pool) for every matrix product, fused vectorizable loops for LayerNorm,
// GELU, residual and softmax/cross-entropy. Reductions over rows use fixed chunks summed in a
// fixed order, so the bytes out do not depend on the thread count. Attention: cpu_attention.cc.
// This file is compiled twice (see cpu_variant.h): for any x86-64 (namespace generic) and with
// AVX2+FMA (namespace avx2, cpu_kernels_avx2.cc); cpu_kernels() picks one at run time.
#include <cblas.h>
#include <omp.h>

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "kernels/cpu/cpu_variant.h"
#include "kernels/cpu/fast_math.h"
#include "kernels/cpu/parallel.h"
#include "kernels/kernels.h"

namespace lm::kernels::LM_CPU_VARIANT {

void cpu_attention_forward(float* out, float* att, const float* qkv, const int32_t* seg, int B,
                           int T, int C, int NH);
void cpu_attention_backward(float* dqkv, float* scratch, const float* dout, const float* qkv,
                            const float* att, const int32_t* seg, int B, int T, int C, int NH);

namespace {

constexpr int kRowChunk = 32;  // rows per partial sum in column reductions

// Grow-only scratch of n floats for the calling thread (reused across calls).
float* scratch(size_t n) {
  thread_local Scratch<float> buf;
  return buf.get(n);
}

void encoder_forward(float* out, const int32_t* tokens, const int32_t* pos, const float* wte,
                     const float* wpe, int B, int T, int C) {
  int N = B * T;
#pragma omp parallel for schedule(static) num_threads(kernel_threads())
  for (int i = 0; i < N; i++) {
    const float* we = wte + (size_t)tokens[i] * C;
    const float* pe = wpe + (size_t)(pos ? pos[i] : i % T) * C;
    float* o = out + (size_t)i * C;
#pragma omp simd
    for (int c = 0; c < C; c++) o[c] = we[c] + pe[c];
  }
}

void encoder_backward(float* dwte, float* dwpe, const float* dout, const int32_t* tokens,
                      const int32_t* pos, int B, int T, int C) {
  int N = B * T;
  // Each thread owns a slice of the columns and walks all tokens in order: no races, fixed order.
  parallel_slices(C, 16, [&](size_t c0, size_t c1) {
    for (int i = 0; i < N; i++) {
      float* dwe = dwte + (size_t)tokens[i] * C;
      float* dpe = dwpe + (size_t)(pos ? pos[i] : i % T) * C;
      const float* d = dout + (size_t)i * C;
      for (size_t c = c0; c < c1; c++) {
        dwe[c] += d[c];
        dpe[c] += d[c];
      }
    }
  });
}

void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* weight,
                       const float* bias, int N, int C) {
#pragma omp parallel for schedule(static) num_threads(kernel_threads())
  for (int i = 0; i < N; i++) {
    const float* x = inp + (size_t)i * C;
    float m = 0;
#pragma omp simd reduction(+ : m)
    for (int c = 0; c < C; c++) m += x[c];
    m /= C;
    float v = 0;
#pragma omp simd reduction(+ : v)
    for (int c = 0; c < C; c++) v += (x[c] - m) * (x[c] - m);
    v /= C;
    float s = 1.0f / std::sqrt(v + kLayerNormEps);
    float* o = out + (size_t)i * C;
    if (bias) {
#pragma omp simd
      for (int c = 0; c < C; c++) o[c] = (x[c] - m) * s * weight[c] + bias[c];
    } else {
#pragma omp simd
      for (int c = 0; c < C; c++) o[c] = (x[c] - m) * s * weight[c];
    }
    mean[i] = m;
    rstd[i] = s;
  }
}

// Sums rows [0, N) of per-chunk partials (nchunk, C) into dst (C) in chunk order.
void add_partials(float* dst, const float* part, int nchunk, int C) {
  parallel_slices(C, 16, [&](size_t c0, size_t c1) {
    for (int k = 0; k < nchunk; k++) {
      const float* p = part + (size_t)k * C;
      for (size_t c = c0; c < c1; c++) dst[c] += p[c];
    }
  });
}

void layernorm_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                        const float* inp, const float* weight, const float* mean, const float* rstd,
                        int N, int C) {
  int nchunk = (N + kRowChunk - 1) / kRowChunk;
  // Per-chunk partials (weight, then bias), kept between calls: a fresh allocation each call
  // cost page faults.
  float* pw = scratch((size_t)nchunk * C * 2);
  float* pb = pw + (size_t)nchunk * C;
#pragma omp parallel for schedule(static) num_threads(kernel_threads())
  for (int k = 0; k < nchunk; k++) {
    float* w_acc = pw + (size_t)k * C;
    float* b_acc = dbias ? pb + (size_t)k * C : nullptr;
    std::memset(w_acc, 0, sizeof(float) * C);
    if (b_acc) std::memset(b_acc, 0, sizeof(float) * C);
    for (int i = k * kRowChunk; i < std::min(N, (k + 1) * kRowChunk); i++) {
      const float* dy = dout + (size_t)i * C;
      const float* x = inp + (size_t)i * C;
      float m = mean[i], s = rstd[i], dmean = 0, dnorm_norm = 0;
#pragma omp simd reduction(+ : dmean, dnorm_norm)
      for (int c = 0; c < C; c++) {
        float dn = weight[c] * dy[c];
        dmean += dn;
        dnorm_norm += dn * (x[c] - m) * s;
      }
      dmean /= C;
      dnorm_norm /= C;
      float* dx = dinp + (size_t)i * C;
#pragma omp simd
      for (int c = 0; c < C; c++) {
        float norm = (x[c] - m) * s;
        w_acc[c] += norm * dy[c];
        dx[c] += (weight[c] * dy[c] - dmean - norm * dnorm_norm) * s;
      }
      if (b_acc) {
#pragma omp simd
        for (int c = 0; c < C; c++) b_acc[c] += dy[c];
      }
    }
  }
  add_partials(dweight, pw, nchunk, C);
  if (dbias) add_partials(dbias, pb, nchunk, C);
}

void matmul_forward(float* out, const float* inp, const float* weight, const float* bias, int N,
                    int C, int OC) {
  parallel_slices(N, kGemmAlign, [&](size_t r0, size_t r1) {
    float* o = out + r0 * OC;
    float beta = 0.0f;
    if (bias) {
      for (size_t r = r0; r < r1; r++) std::memcpy(out + r * OC, bias, sizeof(float) * OC);
      beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(r1 - r0), OC, C, 1.0f,
                inp + r0 * C, C, weight, OC, beta, o, OC);
  });
}

void column_sums(float* dst, const float* src, int N, int OC) {
  parallel_slices(OC, 16, [&](size_t c0, size_t c1) {
    for (int i = 0; i < N; i++) {
      const float* s = src + (size_t)i * OC;
      for (size_t c = c0; c < c1; c++) dst[c] += s[c];
    }
  });
}

void matmul_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int N, int C, int OC) {
  parallel_slices(N, kGemmAlign, [&](size_t r0, size_t r1) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(r1 - r0), C, OC, 1.0f,
                dout + r0 * OC, OC, weight, OC, 0.0f, dinp + r0 * C, C);
  });
  parallel_slices(C, kGemmAlign, [&](size_t c0, size_t c1) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(c1 - c0), OC, N, 1.0f, inp + c0, C,
                dout, OC, 1.0f, dweight + c0 * OC, OC);
  });
  if (dbias) column_sums(dbias, dout, N, OC);
}

void head_forward(float* logits, const float* inp, const float* wte, int N, int C, int V) {
  parallel_slices(N, kGemmAlign, [&](size_t r0, size_t r1) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(r1 - r0), V, C, 1.0f, inp + r0 * C,
                C, wte, C, 0.0f, logits + r0 * V, V);
  });
}

void head_backward(float* dinp, float* dwte, const float* dlogits, const float* inp,
                   const float* wte, int N, int C, int V) {
  parallel_slices(N, kGemmAlign, [&](size_t r0, size_t r1) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(r1 - r0), C, V, 1.0f,
                dlogits + r0 * V, V, wte, C, 0.0f, dinp + r0 * C, C);
  });
  parallel_slices(V, kGemmAlign, [&](size_t v0, size_t v1) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(v1 - v0), C, N, 1.0f, dlogits + v0,
                V, inp, C, 1.0f, dwte + v0 * C, C);
  });
}

constexpr float kGeluScale = 0.7978845608028654f;

void gelu_forward(float* out, const float* inp, size_t n) {
  parallel_slices(n, 64, [&](size_t b, size_t e) {
#pragma omp simd
    for (size_t i = b; i < e; i++) {
      float x = inp[i];
      out[i] = 0.5f * x * (1.0f + fast_tanh(kGeluScale * (x + 0.044715f * x * x * x)));
    }
  });
}

void gelu_backward(float* dinp, const float* inp, const float* dout, size_t n) {
  parallel_slices(n, 64, [&](size_t b, size_t e) {
#pragma omp simd
    for (size_t i = b; i < e; i++) {
      float x = inp[i];
      float th = fast_tanh(kGeluScale * (x + 0.044715f * x * x * x));
      float g = 0.5f * (1.0f + th) +
                0.5f * x * (1.0f - th * th) * kGeluScale * (1.0f + 3.0f * 0.044715f * x * x);
      dinp[i] = g * dout[i];
    }
  });
}

void residual_forward(float* out, const float* a, const float* b, size_t n) {
  parallel_slices(n, 64, [&](size_t s, size_t e) {
#pragma omp simd
    for (size_t i = s; i < e; i++) out[i] = a[i] + b[i];
  });
}

void crossentropy_forward(float* losses, float* probs, const float* logits, const int32_t* targets,
                          int N, int V) {
#pragma omp parallel for schedule(static) num_threads(kernel_threads())
  for (int i = 0; i < N; i++) {
    const float* l = logits + (size_t)i * V;
    float* p = probs + (size_t)i * V;
    float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
    for (int v = 0; v < V; v++) mx = l[v] > mx ? l[v] : mx;
    float lt = l[targets[i]];
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int v = 0; v < V; v++) {
      float e = fast_exp(l[v] - mx);
      p[v] = e;
      sum += e;
    }
    float inv = 1.0f / sum;
#pragma omp simd
    for (int v = 0; v < V; v++) p[v] *= inv;
    losses[i] = std::log(sum) - (lt - mx);
  }
}

void crossentropy_backward(float* dlogits, const float* probs, const int32_t* targets,
                           const float* dlosses, int N, int V) {
#pragma omp parallel for schedule(static) num_threads(kernel_threads())
  for (int i = 0; i < N; i++) {
    const float* p = probs + (size_t)i * V;
    float* d = dlogits + (size_t)i * V;
    float dl = dlosses[i];
#pragma omp simd
    for (int v = 0; v < V; v++) d[v] = p[v] * dl;
    d[targets[i]] -= dl;
  }
}

}  // namespace

const KernelSet& table() {
  static const KernelSet kTable = {"cpu",
                                   encoder_forward,
                                   encoder_backward,
                                   layernorm_forward,
                                   layernorm_backward,
                                   matmul_forward,
                                   matmul_backward,
                                   head_forward,
                                   head_backward,
                                   cpu_attention_forward,
                                   cpu_attention_backward,
                                   gelu_forward,
                                   gelu_backward,
                                   residual_forward,
                                   crossentropy_forward,
                                   crossentropy_backward};
  return kTable;
}

}  // namespace lm::kernels::LM_CPU_VARIANT

#ifndef LM_CPU_AVX2
namespace lm::kernels {
// LMFORGE_CPU_ISA=generic forces the portable build (to test it on an AVX2 machine).
const KernelSet& cpu_kernels() {
  static const KernelSet* k = [] {
    const char* isa = std::getenv("LMFORGE_CPU_ISA");
    bool generic = isa && std::strcmp(isa, "generic") == 0;
    return cpu_has_avx2_fma() && !generic ? &avx2::table() : &generic::table();
  }();
  return *k;
}
}  // namespace lm::kernels
#endif
