// cpu_attention.cc: causal multi-head self-attention, one (batch, head) pair per task, each a
// handful of single-threaded sgemm calls on strided views of qkv (no copies): scores = q k^T,
// masked softmax, out = att v; backward in the same shape. Pairs write disjoint slices, so the
// result does not depend on the thread count.
#include <cblas.h>
#include <omp.h>

#include <cmath>

#include "kernels/cpu/fast_math.h"
#include "kernels/kernels.h"

namespace lm::kernels {

void cpu_attention_forward(float* out, float* att, const float* qkv, int B, int T, int C,
                           int NH) {
  int hs = C / NH;
  float scale = 1.0f / std::sqrt((float)hs);
#pragma omp parallel for schedule(static) num_threads(kernel_threads())
  for (int bh = 0; bh < B * NH; bh++) {
    int b = bh / NH, h = bh % NH;
    const float* q = qkv + (size_t)b * T * 3 * C + h * hs;
    const float* k = q + C;
    const float* v = q + 2 * C;
    float* a = att + (size_t)bh * T * T;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hs, scale, q, 3 * C, k, 3 * C,
                0.0f, a, T);
    for (int t = 0; t < T; t++) {
      float* row = a + (size_t)t * T;
      float mx = -INFINITY;
      for (int u = 0; u <= t; u++) mx = row[u] > mx ? row[u] : mx;
      float sum = 0;
#pragma omp simd reduction(+ : sum)
      for (int u = 0; u <= t; u++) {
        float e = fast_exp(row[u] - mx);
        row[u] = e;
        sum += e;
      }
      float inv = 1.0f / sum;
#pragma omp simd
      for (int u = 0; u <= t; u++) row[u] *= inv;
      for (int u = t + 1; u < T; u++) row[u] = 0.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hs, T, 1.0f, a, T, v, 3 * C, 0.0f,
                out + (size_t)b * T * C + h * hs, C);
  }
}

void cpu_attention_backward(float* dqkv, float* scratch, const float* dout, const float* qkv,
                            const float* att, int B, int T, int C, int NH) {
  int hs = C / NH;
  float scale = 1.0f / std::sqrt((float)hs);
#pragma omp parallel for schedule(static) num_threads(kernel_threads())
  for (int bh = 0; bh < B * NH; bh++) {
    int b = bh / NH, h = bh % NH;
    size_t off = (size_t)b * T * 3 * C + h * hs;
    const float *q = qkv + off, *k = q + C, *v = q + 2 * C;
    float *dq = dqkv + off, *dk = dq + C, *dv = dq + 2 * C;
    const float* a = att + (size_t)bh * T * T;
    float* da = scratch + (size_t)bh * T * T;
    const float* dy = dout + (size_t)b * T * C + h * hs;
    // da (T,T) = dy (T,hs) v^T ; dv (T,hs) += a^T dy
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hs, 1.0f, dy, C, v, 3 * C, 0.0f,
                da, T);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hs, T, 1.0f, a, T, dy, C, 1.0f, dv,
                3 * C);
    // softmax backward in place, times the score scale; zero above the diagonal.
    for (int t = 0; t < T; t++) {
      const float* ar = a + (size_t)t * T;
      float* dr = da + (size_t)t * T;
      float dot = 0;
#pragma omp simd reduction(+ : dot)
      for (int u = 0; u <= t; u++) dot += ar[u] * dr[u];
#pragma omp simd
      for (int u = 0; u <= t; u++) dr[u] = ar[u] * (dr[u] - dot) * scale;
      for (int u = t + 1; u < T; u++) dr[u] = 0.0f;
    }
    // dq += dpre k ; dk += dpre^T q
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hs, T, 1.0f, da, T, k, 3 * C, 1.0f,
                dq, 3 * C);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hs, T, 1.0f, da, T, q, 3 * C, 1.0f,
                dk, 3 * C);
  }
}

}  // namespace lm::kernels
