// cuda_kernels.cu: the KernelSet on an NVIDIA GPU, fp32, all pointers device pointers (see
// device.h). Matrix products are cuBLAS sgemm in strict fp32 (row-major operands passed as
// their column-major transposes: out(N,OC) = inp(N,C) @ W(C,OC) is out^T = W^T inp^T, so the
// operands go in swapped, untransposed); attention is per batch row a strided-batched sgemm over
// the heads for the scores, a masked softmax kernel (one warp per row, causal and document
// mask), and strided-batched sgemms for the rest. Attention materialises the (B,NH,T,T)
// probabilities, as the interface asks (att is an output, kept for backward); a tiled
// flash-style kernel that never stores T x T is NOT built (docs/cuda.md). Parameter-gradient
// sums over rows (encoder, layernorm, bias) use float atomicAdd, so their last bits depend on
// the scheduling order. Accumulate/overwrite follow kernels.h exactly.
#include <cmath>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/device.h"

namespace lm::kernels {
namespace {

using cuda_impl::ctx;
using cuda_impl::grid_for;
using cuda_impl::warp_sum;

constexpr unsigned kThreads = 256;
constexpr unsigned kWarps = kThreads / 32;

cudaStream_t stream() { return ctx().stream; }

// ---- encoder ----

__global__ void encoder_forward_k(float* out, const int32_t* tokens, const int32_t* pos,
                                  const float* wte, const float* wpe, int T, int C, size_t n) {
  size_t idx = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (idx >= n) return;
  size_t i = idx / C;
  int c = (int)(idx % C);
  int p = pos ? pos[i] : (int)(i % T);
  out[idx] = wte[(size_t)tokens[i] * C + c] + wpe[(size_t)p * C + c];
}

__global__ void encoder_backward_k(float* dwte, float* dwpe, const float* dout,
                                   const int32_t* tokens, const int32_t* pos, int T, int C,
                                   size_t n) {
  size_t idx = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (idx >= n) return;
  size_t i = idx / C;
  int c = (int)(idx % C);
  int p = pos ? pos[i] : (int)(i % T);
  float d = dout[idx];
  atomicAdd(&dwte[(size_t)tokens[i] * C + c], d);
  atomicAdd(&dwpe[(size_t)p * C + c], d);
}

void encoder_forward(float* out, const int32_t* tokens, const int32_t* pos, const float* wte,
                     const float* wpe, int B, int T, int C) {
  size_t n = (size_t)B * T * C;
  encoder_forward_k<<<grid_for(n, kThreads), kThreads, 0, stream()>>>(out, tokens, pos, wte, wpe, T,
                                                                      C, n);
  LM_CU_LAUNCHED("encoder_forward_k");
}

void encoder_backward(float* dwte, float* dwpe, const float* dout, const int32_t* tokens,
                      const int32_t* pos, int B, int T, int C) {
  size_t n = (size_t)B * T * C;
  encoder_backward_k<<<grid_for(n, kThreads), kThreads, 0, stream()>>>(dwte, dwpe, dout, tokens,
                                                                       pos, T, C, n);
  LM_CU_LAUNCHED("encoder_backward_k");
}

// ---- layernorm (one warp per row) ----

__global__ void layernorm_forward_k(float* out, float* mean, float* rstd, const float* inp,
                                    const float* w, const float* b, int N, int C) {
  int row = blockIdx.x * kWarps + threadIdx.x / 32, lane = threadIdx.x % 32;
  if (row >= N) return;  // warp-uniform
  const float* x = inp + (size_t)row * C;
  float s = 0;
  for (int c = lane; c < C; c += 32) s += x[c];
  float m = warp_sum(s) / C;
  float v = 0;
  for (int c = lane; c < C; c += 32) v += (x[c] - m) * (x[c] - m);
  float r = rsqrtf(warp_sum(v) / C + kLayerNormEps);
  float* o = out + (size_t)row * C;
  for (int c = lane; c < C; c += 32) o[c] = (x[c] - m) * r * w[c] + (b ? b[c] : 0.0f);
  if (lane == 0) mean[row] = m, rstd[row] = r;
}

__global__ void layernorm_backward_inp_k(float* dinp, const float* dout, const float* inp,
                                         const float* w, const float* mean, const float* rstd,
                                         int N, int C) {
  int row = blockIdx.x * kWarps + threadIdx.x / 32, lane = threadIdx.x % 32;
  if (row >= N) return;
  const float* dy = dout + (size_t)row * C;
  const float* x = inp + (size_t)row * C;
  float m = mean[row], r = rstd[row], a = 0, an = 0;
  for (int c = lane; c < C; c += 32) {
    float dn = w[c] * dy[c];
    a += dn;
    an += dn * (x[c] - m) * r;
  }
  a = warp_sum(a) / C;
  an = warp_sum(an) / C;
  float* dx = dinp + (size_t)row * C;
  for (int c = lane; c < C; c += 32) {
    float n = (x[c] - m) * r;
    dx[c] += (w[c] * dy[c] - a - n * an) * r;
  }
}

constexpr int kColRows = 256;  // rows per block of the column sums

// Column sums over rows of a (N,C) gradient: dsum[c] += sum_r dy[r,c] and, with kNorm,
// dnorm[c] += sum_r dy[r,c] * (x[r,c] - mean[r]) * rstd[r]. Block (32, 8) covers 32 columns
// and kColRows rows; blocks add their partial sums with atomicAdd.
template <bool kNorm>
__global__ void column_sums_k(float* dnorm, float* dsum, const float* dy, const float* x,
                              const float* mean, const float* rstd, int N, int C) {
  int c = blockIdx.x * 32 + threadIdx.x;
  int r0 = blockIdx.y * kColRows, r1 = min(N, r0 + kColRows);
  float sn = 0, ss = 0;
  if (c < C)
    for (int r = r0 + threadIdx.y; r < r1; r += blockDim.y) {
      float d = dy[(size_t)r * C + c];
      ss += d;
      if (kNorm) sn += d * (x[(size_t)r * C + c] - mean[r]) * rstd[r];
    }
  __shared__ float shn[8][33], shs[8][33];
  shn[threadIdx.y][threadIdx.x] = sn;
  shs[threadIdx.y][threadIdx.x] = ss;
  __syncthreads();
  if (threadIdx.y != 0 || c >= C) return;
  for (int k = 1; k < (int)blockDim.y; k++) sn += shn[k][threadIdx.x], ss += shs[k][threadIdx.x];
  if (kNorm) atomicAdd(&dnorm[c], sn);
  if (dsum) atomicAdd(&dsum[c], ss);
}

template <bool kNorm>
void column_sums(float* dnorm, float* dsum, const float* dy, const float* x, const float* mean,
                 const float* rstd, int N, int C) {
  dim3 grid(grid_for(C, 32), grid_for(N, kColRows)), block(32, 8);
  column_sums_k<kNorm><<<grid, block, 0, stream()>>>(dnorm, dsum, dy, x, mean, rstd, N, C);
  LM_CU_LAUNCHED("column_sums_k");
}

void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* weight,
                       const float* bias, int N, int C) {
  layernorm_forward_k<<<grid_for(N, kWarps), kThreads, 0, stream()>>>(out, mean, rstd, inp, weight,
                                                                      bias, N, C);
  LM_CU_LAUNCHED("layernorm_forward_k");
}

void layernorm_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                        const float* inp, const float* weight, const float* mean, const float* rstd,
                        int N, int C) {
  layernorm_backward_inp_k<<<grid_for(N, kWarps), kThreads, 0, stream()>>>(dinp, dout, inp, weight,
                                                                           mean, rstd, N, C);
  LM_CU_LAUNCHED("layernorm_backward_inp_k");
  column_sums<true>(dweight, dbias, dout, inp, mean, rstd, N, C);
}

// ---- matmul and the tied head (cuBLAS, column-major views of row-major arrays) ----

const float kOne = 1.0f, kZero = 0.0f;

void gemm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc, float alpha = 1.0f) {
  LM_CUBLAS(cublasSgemm(ctx().blas, ta, tb, m, n, k, &alpha, a, lda, b, ldb, &beta, c, ldc));
}

__global__ void add_bias_k(float* out, const float* bias, int OC, size_t n) {
  size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (i < n) out[i] += bias[i % OC];
}

void matmul_forward(float* out, const float* inp, const float* weight, const float* bias, int N,
                    int C, int OC) {
  // out^T (OC,N) = W^T (OC,C) @ inp^T (C,N); row-major W (C,OC) is column-major W^T, ld OC.
  gemm(CUBLAS_OP_N, CUBLAS_OP_N, OC, N, C, weight, OC, inp, C, kZero, out, OC);
  if (bias) {
    size_t n = (size_t)N * OC;
    add_bias_k<<<grid_for(n, kThreads), kThreads, 0, stream()>>>(out, bias, OC, n);
    LM_CU_LAUNCHED("add_bias_k");
  }
}

void matmul_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int N, int C, int OC) {
  // dinp^T (C,N) = W (C,OC) @ dout^T (OC,N): overwrite.
  gemm(CUBLAS_OP_T, CUBLAS_OP_N, C, N, OC, weight, OC, dout, OC, kZero, dinp, C);
  // dW^T (OC,C) += dout^T (OC,N) @ inp (N,C): accumulate.
  gemm(CUBLAS_OP_N, CUBLAS_OP_T, OC, C, N, dout, OC, inp, C, kOne, dweight, OC);
  if (dbias) column_sums<false>(nullptr, dbias, dout, nullptr, nullptr, nullptr, N, OC);
}

void head_forward(float* logits, const float* inp, const float* wte, int N, int C, int V) {
  // logits^T (V,N) = wte (V,C) @ inp^T (C,N); row-major wte is column-major (C,V), ld C.
  gemm(CUBLAS_OP_T, CUBLAS_OP_N, V, N, C, wte, C, inp, C, kZero, logits, V);
}

void head_backward(float* dinp, float* dwte, const float* dlogits, const float* inp,
                   const float* wte, int N, int C, int V) {
  // dinp^T (C,N) = wte^T (C,V) @ dlogits^T (V,N): overwrite.
  gemm(CUBLAS_OP_N, CUBLAS_OP_N, C, N, V, wte, C, dlogits, V, kZero, dinp, C);
  // dwte^T (C,V) += inp^T (C,N) @ dlogits (N,V): accumulate.
  gemm(CUBLAS_OP_N, CUBLAS_OP_T, C, V, N, inp, C, dlogits, V, kOne, dwte, C);
}

// ---- attention ----

// Strided-batched over the NH heads of one batch row: head h's operands start h * stride in.
void gemm_heads(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, float alpha,
                const float* a, int lda, long long sa, const float* b, int ldb, long long sb,
                float* c, int ldc, long long sc, int NH) {
  LM_CUBLAS(cublasSgemmStridedBatched(ctx().blas, ta, tb, m, n, k, &alpha, a, lda, sa, b, ldb, sb,
                                      &kZero, c, ldc, sc, NH));
}

__device__ inline bool visible(const int32_t* seg, int t, int u) {
  return u <= t && (!seg || seg[u] == seg[t]);
}

// Rows of att (B*NH*T rows of T scores), one warp each: softmax over the visible u, 0 elsewhere.
__global__ void attention_softmax_k(float* att, const int32_t* seg, int NH, int T, size_t rows) {
  size_t row = blockIdx.x * (size_t)kWarps + threadIdx.x / 32;
  int lane = threadIdx.x % 32;
  if (row >= rows) return;
  int t = (int)(row % T);
  size_t b = row / ((size_t)NH * T);
  const int32_t* sg = seg ? seg + b * T : nullptr;
  float* a = att + row * T;
  float mx = -INFINITY;
  for (int u = lane; u <= t; u += 32)
    if (visible(sg, t, u)) mx = fmaxf(mx, a[u]);
  mx = cuda_impl::warp_max(mx);
  float sum = 0;
  for (int u = lane; u <= t; u += 32)
    if (visible(sg, t, u)) sum += expf(a[u] - mx);
  float inv = 1.0f / warp_sum(sum);  // u = t is always visible: sum >= 1
  for (int u = lane; u < T; u += 32) a[u] = visible(sg, t, u) ? expf(a[u] - mx) * inv : 0.0f;
}

// da := a * (da - sum_u a da) * scale on the visible u, 0 elsewhere (rows as above).
__global__ void attention_softmax_backward_k(float* da, const float* att, const int32_t* seg,
                                             int NH, int T, size_t rows, float scale) {
  size_t row = blockIdx.x * (size_t)kWarps + threadIdx.x / 32;
  int lane = threadIdx.x % 32;
  if (row >= rows) return;
  int t = (int)(row % T);
  size_t b = row / ((size_t)NH * T);
  const int32_t* sg = seg ? seg + b * T : nullptr;
  const float* a = att + row * T;
  float* d = da + row * T;
  float dot = 0;
  for (int u = lane; u <= t; u += 32) dot += a[u] * d[u];  // a is 0 where not visible
  dot = warp_sum(dot);
  for (int u = lane; u < T; u += 32) d[u] = visible(sg, t, u) ? a[u] * (d[u] - dot) * scale : 0.0f;
}

void attention_forward(float* out, float* att, const float* qkv, const int32_t* seg, int B, int T,
                       int C, int NH) {
  int hs = C / NH, ld = 3 * C;
  float scale = 1.0f / std::sqrt((float)hs);
  long long tt = (long long)T * T;
  for (int b = 0; b < B; b++) {
    const float* q = qkv + (size_t)b * T * ld;
    float* a = att + (size_t)b * NH * tt;
    // scores^T (u,t) = k_u . q_t * scale (all T x T; the mask is applied by the softmax)
    gemm_heads(CUBLAS_OP_T, CUBLAS_OP_N, T, T, hs, scale, q + C, ld, hs, q, ld, hs, a, T, tt, NH);
  }
  size_t rows = (size_t)B * NH * T;
  attention_softmax_k<<<grid_for(rows, kWarps), kThreads, 0, stream()>>>(att, seg, NH, T, rows);
  LM_CU_LAUNCHED("attention_softmax_k");
  for (int b = 0; b < B; b++) {
    const float* q = qkv + (size_t)b * T * ld;
    // out^T (hs,T) = v^T (hs,T) @ att^T (T,T)
    gemm_heads(CUBLAS_OP_N, CUBLAS_OP_N, hs, T, T, 1.0f, q + 2 * C, ld, hs,
               att + (size_t)b * NH * tt, T, tt, out + (size_t)b * T * C, C, hs, NH);
  }
}

void attention_backward(float* dqkv, float* scratch, const float* dout, const float* qkv,
                        const float* att, const int32_t* seg, int B, int T, int C, int NH) {
  int hs = C / NH, ld = 3 * C;
  float scale = 1.0f / std::sqrt((float)hs);
  long long tt = (long long)T * T;
  for (int b = 0; b < B; b++) {
    // da^T (u,t) = v_u . dy_t
    gemm_heads(CUBLAS_OP_T, CUBLAS_OP_N, T, T, hs, 1.0f, qkv + (size_t)b * T * ld + 2 * C, ld, hs,
               dout + (size_t)b * T * C, C, hs, scratch + (size_t)b * NH * tt, T, tt, NH);
  }
  size_t rows = (size_t)B * NH * T;
  attention_softmax_backward_k<<<grid_for(rows, kWarps), kThreads, 0, stream()>>>(
      scratch, att, seg, NH, T, rows, scale);
  LM_CU_LAUNCHED("attention_softmax_backward_k");
  for (int b = 0; b < B; b++) {
    const float* q = qkv + (size_t)b * T * ld;
    const float* dp = scratch + (size_t)b * NH * tt;
    const float* a = att + (size_t)b * NH * tt;
    const float* dy = dout + (size_t)b * T * C;
    float* dq = dqkv + (size_t)b * T * ld;
    // dq^T (hs,T) = k^T @ dp^T ; dk^T = q^T @ dp ; dv^T = dy^T @ a (each head's slice: overwrite)
    gemm_heads(CUBLAS_OP_N, CUBLAS_OP_N, hs, T, T, 1.0f, q + C, ld, hs, dp, T, tt, dq, ld, hs, NH);
    gemm_heads(CUBLAS_OP_N, CUBLAS_OP_T, hs, T, T, 1.0f, q, ld, hs, dp, T, tt, dq + C, ld, hs, NH);
    gemm_heads(CUBLAS_OP_N, CUBLAS_OP_T, hs, T, T, 1.0f, dy, C, hs, a, T, tt, dq + 2 * C, ld, hs,
               NH);
  }
}

// ---- elementwise ----

constexpr float kGeluScale = 0.7978845608028654f;  // sqrt(2/pi)

__global__ void gelu_forward_k(float* out, const float* inp, size_t n) {
  size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (i >= n) return;
  float x = inp[i];
  out[i] = 0.5f * x * (1.0f + tanhf(kGeluScale * (x + 0.044715f * x * x * x)));
}

__global__ void gelu_backward_k(float* dinp, const float* inp, const float* dout, size_t n) {
  size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (i >= n) return;
  float x = inp[i];
  float th = tanhf(kGeluScale * (x + 0.044715f * x * x * x));
  float g = 0.5f * (1.0f + th) +
            0.5f * x * (1.0f - th * th) * kGeluScale * (1.0f + 3.0f * 0.044715f * x * x);
  dinp[i] = g * dout[i];
}

__global__ void residual_forward_k(float* out, const float* a, const float* b, size_t n) {
  size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (i < n) out[i] = a[i] + b[i];
}

void gelu_forward(float* out, const float* inp, size_t n) {
  if (n == 0) return;
  gelu_forward_k<<<grid_for(n, kThreads), kThreads, 0, stream()>>>(out, inp, n);
  LM_CU_LAUNCHED("gelu_forward_k");
}

void gelu_backward(float* dinp, const float* inp, const float* dout, size_t n) {
  if (n == 0) return;
  gelu_backward_k<<<grid_for(n, kThreads), kThreads, 0, stream()>>>(dinp, inp, dout, n);
  LM_CU_LAUNCHED("gelu_backward_k");
}

void residual_forward(float* out, const float* a, const float* b, size_t n) {
  if (n == 0) return;
  residual_forward_k<<<grid_for(n, kThreads), kThreads, 0, stream()>>>(out, a, b, n);
  LM_CU_LAUNCHED("residual_forward_k");
}

// ---- softmax + cross-entropy (one block per row) ----

__global__ void crossentropy_forward_k(float* losses, float* probs, const float* logits,
                                       const int32_t* targets, int V) {
  __shared__ float sh[32];
  size_t i = blockIdx.x;
  const float* l = logits + i * V;
  float* p = probs + i * V;
  float lt = l[targets[i]];  // read before any thread writes p (p may alias l)
  float mx = -INFINITY;
  for (int v = threadIdx.x; v < V; v += blockDim.x) mx = fmaxf(mx, l[v]);
  mx = cuda_impl::block_reduce<true>(mx, sh);
  float sum = 0;
  for (int v = threadIdx.x; v < V; v += blockDim.x) sum += expf(l[v] - mx);
  sum = cuda_impl::block_reduce<false>(sum, sh);  // every thread has read l before this returns
  float inv = 1.0f / sum;
  for (int v = threadIdx.x; v < V; v += blockDim.x) p[v] = expf(l[v] - mx) * inv;
  if (threadIdx.x == 0) losses[i] = logf(sum) - (lt - mx);
}

__global__ void crossentropy_backward_k(float* dlogits, const float* probs, const int32_t* targets,
                                        const float* dlosses, int V, size_t n) {
  size_t j = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (j >= n) return;
  size_t i = j / V;
  int v = (int)(j % V);
  dlogits[j] = (probs[j] - (v == targets[i] ? 1.0f : 0.0f)) * dlosses[i];
}

void crossentropy_forward(float* losses, float* probs, const float* logits, const int32_t* targets,
                          int N, int V) {
  if (N == 0) return;
  crossentropy_forward_k<<<N, 512, 0, stream()>>>(losses, probs, logits, targets, V);
  LM_CU_LAUNCHED("crossentropy_forward_k");
}

void crossentropy_backward(float* dlogits, const float* probs, const int32_t* targets,
                           const float* dlosses, int N, int V) {
  size_t n = (size_t)N * V;
  if (n == 0) return;
  crossentropy_backward_k<<<grid_for(n, kThreads), kThreads, 0, stream()>>>(dlogits, probs, targets,
                                                                            dlosses, V, n);
  LM_CU_LAUNCHED("crossentropy_backward_k");
}

}  // namespace

const KernelSet* cuda_kernels() {
  static const KernelSet kTable = {"cuda",
                                   encoder_forward,
                                   encoder_backward,
                                   layernorm_forward,
                                   layernorm_backward,
                                   matmul_forward,
                                   matmul_backward,
                                   head_forward,
                                   head_backward,
                                   attention_forward,
                                   attention_backward,
                                   gelu_forward,
                                   gelu_backward,
                                   residual_forward,
                                   crossentropy_forward,
                                   crossentropy_backward};
  return &kTable;
}

}  // namespace lm::kernels
