// cpu_attention.cc: causal multi-head self-attention, one (batch, head) pair per task, each a
// handful of single-threaded sgemm calls on strided views of qkv (no copies). The T x T score
// matrix is done in blocks of kBlock rows: rows [t0, t1) need only the key columns [lo, t1),
// where lo is the first position their documents can see (0 without segments), so the masked
// upper triangle (and, with document segments, the blocks before a document's start) is never
// computed. Backward runs the same row blocks for da and dq, and column blocks for dk and dv
// (rows [u0, end of the last document touching the block)); dqkv is overwritten. Entries outside a
// row's window [lo[t], t] are stored as zeros. Pairs write disjoint slices, so the result does not
// depend on the thread count.
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/cpu/cpu_variant.h"
#include "kernels/cpu/fast_math.h"
#include "kernels/cpu/parallel.h"
#include "kernels/kernels.h"

namespace lm::kernels::LM_CPU_VARIANT {
namespace {

constexpr int kBlock = 64;  // rows (and key columns) per block of the score matrix

// lo[t]: the first position row t may attend to (the start of its segment run; 0 without seg).
void window_starts(int* lo, const int32_t* seg, int T) {
  for (int t = 0; t < T; t++)
    lo[t] = (seg && t > 0 && seg[t] == seg[t - 1]) ? lo[t - 1] : (seg ? t : 0);
}

// Per-thread grow-only scratch for lo (T ints).
int* lo_buffer(int T) {
  thread_local Scratch<int> buf;
  return buf.get((size_t)T);
}

// Row t of the scores (length T): softmax over [l, t], zero elsewhere.
inline void softmax_row(float* row, int l, int t, int T) {
  float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
  for (int u = l; u <= t; u++) mx = row[u] > mx ? row[u] : mx;
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int u = l; u <= t; u++) {
    float e = fast_exp(row[u] - mx);
    row[u] = e;
    sum += e;
  }
  float inv = 1.0f / sum;
#pragma omp simd
  for (int u = l; u <= t; u++) row[u] *= inv;
  std::memset(row, 0, sizeof(float) * l);
  std::memset(row + t + 1, 0, sizeof(float) * (T - t - 1));
}

// da row t := a (da - a.da) * scale over [l, t], zero elsewhere.
inline void softmax_backward_row(float* dr, const float* ar, int l, int t, int T, float scale) {
  float dot = 0;
#pragma omp simd reduction(+ : dot)
  for (int u = l; u <= t; u++) dot += ar[u] * dr[u];
#pragma omp simd
  for (int u = l; u <= t; u++) dr[u] = ar[u] * (dr[u] - dot) * scale;
  std::memset(dr, 0, sizeof(float) * l);
  std::memset(dr + t + 1, 0, sizeof(float) * (T - t - 1));
}

void head_forward(float* o, float* a, const float* q, const int* lo, int T, int C, int hs,
                  float scale) {
  const float* k = q + C;
  const float* v = q + 2 * C;
  size_t ld = 3 * (size_t)C;
  for (int t0 = 0; t0 < T; t0 += kBlock) {
    int t1 = std::min(T, t0 + kBlock), c0 = lo[t0], m = t1 - t0, n = t1 - c0;
    float* ab = a + (size_t)t0 * T + c0;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, hs, scale, q + t0 * ld, (int)ld,
                k + c0 * ld, (int)ld, 0.0f, ab, T);
    for (int t = t0; t < t1; t++) softmax_row(a + (size_t)t * T, lo[t], t, T);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, hs, n, 1.0f, ab, T, v + c0 * ld,
                (int)ld, 0.0f, o + (size_t)t0 * C, C);
  }
}

// First row at or after `from` whose window starts at or after u1 (rows before it may see
// columns below u1).
int rows_end(const int* lo, int from, int u1, int T) {
  int r = from;
  while (r < T && lo[r] < u1) r++;
  return r;
}

void head_backward(float* dq, float* da, const float* dy, const float* q, const float* a,
                   const int* lo, int T, int C, int hs, float scale) {
  const float* k = q + C;
  const float* v = q + 2 * C;
  float* dk = dq + C;
  float* dv = dq + 2 * C;
  int ld = 3 * C;
  for (int t0 = 0; t0 < T; t0 += kBlock) {
    int t1 = std::min(T, t0 + kBlock), c0 = lo[t0], m = t1 - t0, n = t1 - c0;
    float* db = da + (size_t)t0 * T + c0;
    // da (rows, cols) = dy v^T
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, hs, 1.0f, dy + (size_t)t0 * C, C,
                v + (size_t)c0 * ld, ld, 0.0f, db, T);
    for (int t = t0; t < t1; t++)
      softmax_backward_row(da + (size_t)t * T, a + (size_t)t * T, lo[t], t, T, scale);
    // dq (rows) += dpre k
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, hs, n, 1.0f, db, T,
                k + (size_t)c0 * ld, ld, 0.0f, dq + (size_t)t0 * ld, ld);
  }
  for (int u0 = 0; u0 < T; u0 += kBlock) {
    int u1 = std::min(T, u0 + kBlock), r1 = rows_end(lo, u1, u1, T), m = u1 - u0, kk = r1 - u0;
    // dv (cols) += a^T dy ; dk (cols) += dpre^T q, over the rows that can see these columns
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, hs, kk, 1.0f, a + (size_t)u0 * T + u0,
                T, dy + (size_t)u0 * C, C, 0.0f, dv + (size_t)u0 * ld, ld);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, hs, kk, 1.0f, da + (size_t)u0 * T + u0,
                T, q + (size_t)u0 * ld, ld, 0.0f, dk + (size_t)u0 * ld, ld);
  }
}

}  // namespace

void cpu_attention_forward(float* out, float* att, const float* qkv, const int32_t* seg, int B,
                           int T, int C, int NH) {
  int hs = C / NH;
  float scale = 1.0f / std::sqrt((float)hs);
#pragma omp parallel for schedule(static) num_threads(kernel_threads())
  for (int bh = 0; bh < B * NH; bh++) {
    int b = bh / NH, h = bh % NH;
    int* lo = lo_buffer(T);
    window_starts(lo, seg ? seg + (size_t)b * T : nullptr, T);
    head_forward(out + (size_t)b * T * C + h * hs, att + (size_t)bh * T * T,
                 qkv + (size_t)b * T * 3 * C + h * hs, lo, T, C, hs, scale);
  }
}

void cpu_attention_backward(float* dqkv, float* scratch, const float* dout, const float* qkv,
                            const float* att, const int32_t* seg, int B, int T, int C, int NH) {
  int hs = C / NH;
  float scale = 1.0f / std::sqrt((float)hs);
#pragma omp parallel for schedule(static) num_threads(kernel_threads())
  for (int bh = 0; bh < B * NH; bh++) {
    int b = bh / NH, h = bh % NH;
    size_t off = (size_t)b * T * 3 * C + h * hs;
    int* lo = lo_buffer(T);
    window_starts(lo, seg ? seg + (size_t)b * T : nullptr, T);
    head_backward(dqkv + off, scratch + (size_t)bh * T * T, dout + (size_t)b * T * C + h * hs,
                  qkv + off, att + (size_t)bh * T * T, lo, T, C, hs, scale);
  }
}

}  // namespace lm::kernels::LM_CPU_VARIANT
