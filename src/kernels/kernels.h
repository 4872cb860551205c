// kernels.h: the forward/backward kernels of a GPT-2 style Transformer, as a table of free
// functions with explicit shapes (llm.c's recipe). Two implementations share the signatures:
// ref (plain loops, obviously correct) and cpu (OpenMP + OpenBLAS sgemm, fused elementwise).
// Weights use HF GPT-2 Conv1D layout: a linear layer's weight is (C, OC) and out = inp @ w.
// Backward kernels ACCUMULATE (+=) into parameter gradients. Input gradients: matmul, head,
// attention and GELU backward OVERWRITE dinp (no zeroing needed before them; GELU's dinp may
// alias dout); layernorm and encoder backward accumulate (they feed the residual stream).
#pragma once

#include <cstddef>
#include <cstdint>

namespace lm::kernels {

struct KernelSet {
  const char* name;
  // out (B,T,C) = wte[tokens] + wpe[pos]; pos (B,T) may be null (then pos = t).
  void (*encoder_forward)(float* out, const int32_t* tokens, const int32_t* pos, const float* wte,
                          const float* wpe, int B, int T, int C);
  void (*encoder_backward)(float* dwte, float* dwpe, const float* dout, const int32_t* tokens,
                           const int32_t* pos, int B, int T, int C);
  // out (N,C), mean (N), rstd (N); bias may be null. eps 1e-5.
  void (*layernorm_forward)(float* out, float* mean, float* rstd, const float* inp,
                            const float* weight, const float* bias, int N, int C);
  void (*layernorm_backward)(float* dinp, float* dweight, float* dbias, const float* dout,
                             const float* inp, const float* weight, const float* mean,
                             const float* rstd, int N, int C);
  // out (N,OC) = inp (N,C) @ weight (C,OC) + bias (OC, may be null).
  void (*matmul_forward)(float* out, const float* inp, const float* weight, const float* bias,
                         int N, int C, int OC);
  void (*matmul_backward)(float* dinp, float* dweight, float* dbias, const float* dout,
                          const float* inp, const float* weight, int N, int C, int OC);
  // The tied output head: logits (N,V) = inp (N,C) @ wte (V,C)^T.
  void (*head_forward)(float* logits, const float* inp, const float* wte, int N, int C, int V);
  void (*head_backward)(float* dinp, float* dwte, const float* dlogits, const float* inp,
                        const float* wte, int N, int C, int V);
  // Causal self-attention. qkv (B,T,3C) = [q | k | v], out (B,T,C), att (B,NH,T,T) the
  // probabilities (zero where a position is not visible). scratch (B,NH,T,T) is work space for
  // backward. seg (B,T) may be null; if given, position t sees u only when u <= t and
  // seg[u] == seg[t] (document masking); equal ids must form one contiguous run in each row
  // (documents in order, as the docmask loader writes them).
  void (*attention_forward)(float* out, float* att, const float* qkv, const int32_t* seg, int B,
                            int T, int C, int NH);
  void (*attention_backward)(float* dqkv, float* scratch, const float* dout, const float* qkv,
                             const float* att, const int32_t* seg, int B, int T, int C, int NH);
  // GELU, tanh approximation (GPT-2's gelu_new).
  void (*gelu_forward)(float* out, const float* inp, size_t n);
  void (*gelu_backward)(float* dinp, const float* inp, const float* dout, size_t n);
  void (*residual_forward)(float* out, const float* a, const float* b, size_t n);
  // probs (N,V) = softmax(logits) (probs may alias logits); losses (N) = -log probs[target].
  void (*crossentropy_forward)(float* losses, float* probs, const float* logits,
                               const int32_t* targets, int N, int V);
  // dlogits (N,V) = (probs - onehot(target)) * dlosses (may alias probs; overwrites).
  void (*crossentropy_backward)(float* dlogits, const float* probs, const int32_t* targets,
                                const float* dlosses, int N, int V);
};

const KernelSet& ref_kernels();
const KernelSet& cpu_kernels();
// cpu with the linear layers and the head multiplied in bf16 (fp32 sums) on Intel AMX; the cpu
// set itself (name "cpu") on a CPU without AMX-BF16.
const KernelSet& bf16_kernels();
// "ref", "cpu" or "cpu-bf16"; null for an unknown name.
const KernelSet* kernels_by_name(const char* name);

// Sets the thread count of the cpu kernels (OpenMP) and keeps OpenBLAS single-threaded, so one
// pool of threads does all the work (no spinning pools fighting for the cores).
void set_kernel_threads(int n);
int kernel_threads();

constexpr float kLayerNormEps = 1e-5f;

}  // namespace lm::kernels

namespace lm::kernels {
// Measures the throughput of a kernel set's matmul (FLOP/s; the cpu set when null) on 1024^3
// products with the current kernel_threads(), for about `seconds`; the MFU denominator.
double measure_matmul_flops(double seconds = 0.3, const KernelSet* set = nullptr);
}  // namespace lm::kernels
