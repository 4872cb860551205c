// ref_kernels.cc: the reference kernels: plain single-threaded loops that follow the math line
// by line (llm.c's train_gpt2.c recipe, in HF Conv1D weight layout). Slow and obviously
// correct; the cpu kernels and the finite-difference tests are checked against them.
// Accumulation is in double where a sum runs over many terms.
#include <cmath>
#include <vector>

#include "kernels/kernels.h"

namespace lm::kernels {
namespace {

void encoder_forward(float* out, const int32_t* tokens, const int32_t* pos, const float* wte,
                     const float* wpe, int B, int T, int C) {
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      int i = b * T + t;
      const float* we = wte + (size_t)tokens[i] * C;
      const float* pe = wpe + (size_t)(pos ? pos[i] : t) * C;
      for (int c = 0; c < C; c++) out[(size_t)i * C + c] = we[c] + pe[c];
    }
}

void encoder_backward(float* dwte, float* dwpe, const float* dout, const int32_t* tokens,
                      const int32_t* pos, int B, int T, int C) {
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      int i = b * T + t;
      float* dwe = dwte + (size_t)tokens[i] * C;
      float* dpe = dwpe + (size_t)(pos ? pos[i] : t) * C;
      for (int c = 0; c < C; c++) {
        dwe[c] += dout[(size_t)i * C + c];
        dpe[c] += dout[(size_t)i * C + c];
      }
    }
}

void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* weight,
                       const float* bias, int N, int C) {
  for (int i = 0; i < N; i++) {
    const float* x = inp + (size_t)i * C;
    double m = 0;
    for (int c = 0; c < C; c++) m += x[c];
    m /= C;
    double v = 0;
    for (int c = 0; c < C; c++) v += (x[c] - m) * (x[c] - m);
    v /= C;
    float s = (float)(1.0 / std::sqrt(v + kLayerNormEps));
    for (int c = 0; c < C; c++) {
      float n = (float)((x[c] - m) * s);
      out[(size_t)i * C + c] = n * weight[c] + (bias ? bias[c] : 0.0f);
    }
    mean[i] = (float)m;
    rstd[i] = s;
  }
}

void layernorm_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                        const float* inp, const float* weight, const float* mean, const float* rstd,
                        int N, int C) {
  for (int i = 0; i < N; i++) {
    const float* dy = dout + (size_t)i * C;
    const float* x = inp + (size_t)i * C;
    double dnorm_mean = 0, dnorm_norm_mean = 0;
    for (int c = 0; c < C; c++) {
      double norm = (x[c] - mean[i]) * rstd[i];
      double dnorm = (double)weight[c] * dy[c];
      dnorm_mean += dnorm;
      dnorm_norm_mean += dnorm * norm;
    }
    dnorm_mean /= C;
    dnorm_norm_mean /= C;
    for (int c = 0; c < C; c++) {
      double norm = (x[c] - mean[i]) * rstd[i];
      double dnorm = (double)weight[c] * dy[c];
      if (dbias) dbias[c] += dy[c];
      dweight[c] += (float)(norm * dy[c]);
      dinp[(size_t)i * C + c] += (float)((dnorm - dnorm_mean - norm * dnorm_norm_mean) * rstd[i]);
    }
  }
}

void matmul_forward(float* out, const float* inp, const float* weight, const float* bias, int N,
                    int C, int OC) {
  for (int i = 0; i < N; i++)
    for (int o = 0; o < OC; o++) {
      double s = bias ? bias[o] : 0.0;
      for (int c = 0; c < C; c++) s += (double)inp[(size_t)i * C + c] * weight[(size_t)c * OC + o];
      out[(size_t)i * OC + o] = (float)s;
    }
}

void matmul_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int N, int C, int OC) {
  for (int i = 0; i < N; i++)
    for (int c = 0; c < C; c++) {
      double s = 0;
      for (int o = 0; o < OC; o++)
        s += (double)dout[(size_t)i * OC + o] * weight[(size_t)c * OC + o];
      dinp[(size_t)i * C + c] = (float)s;
    }
  for (int c = 0; c < C; c++)
    for (int o = 0; o < OC; o++) {
      double s = 0;
      for (int i = 0; i < N; i++) s += (double)inp[(size_t)i * C + c] * dout[(size_t)i * OC + o];
      dweight[(size_t)c * OC + o] += (float)s;
    }
  if (dbias)
    for (int o = 0; o < OC; o++) {
      double s = 0;
      for (int i = 0; i < N; i++) s += dout[(size_t)i * OC + o];
      dbias[o] += (float)s;
    }
}

void head_forward(float* logits, const float* inp, const float* wte, int N, int C, int V) {
  for (int i = 0; i < N; i++)
    for (int v = 0; v < V; v++) {
      double s = 0;
      for (int c = 0; c < C; c++) s += (double)inp[(size_t)i * C + c] * wte[(size_t)v * C + c];
      logits[(size_t)i * V + v] = (float)s;
    }
}

void head_backward(float* dinp, float* dwte, const float* dlogits, const float* inp,
                   const float* wte, int N, int C, int V) {
  for (int i = 0; i < N; i++)
    for (int c = 0; c < C; c++) {
      double s = 0;
      for (int v = 0; v < V; v++) s += (double)dlogits[(size_t)i * V + v] * wte[(size_t)v * C + c];
      dinp[(size_t)i * C + c] = (float)s;
    }
  for (int v = 0; v < V; v++)
    for (int c = 0; c < C; c++) {
      double s = 0;
      for (int i = 0; i < N; i++) s += (double)dlogits[(size_t)i * V + v] * inp[(size_t)i * C + c];
      dwte[(size_t)v * C + c] += (float)s;
    }
}

// Causal attention within a document: row t of batch row b sees position u iff u <= t and
// (without segments, or) u and t lie in the same segment.
bool visible(const int32_t* seg, int b, int T, int t, int u) {
  return u <= t && (!seg || seg[(size_t)b * T + u] == seg[(size_t)b * T + t]);
}

void attention_forward(float* out, float* att, const float* qkv, const int32_t* seg, int B, int T,
                       int C, int NH) {
  int hs = C / NH;
  double scale = 1.0 / std::sqrt((double)hs);
  std::vector<double> pre(T);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++)
      for (int t = 0; t < T; t++) {
        const float* q = qkv + ((size_t)b * T + t) * 3 * C + h * hs;
        float* a = att + (((size_t)b * NH + h) * T + t) * T;
        double mx = -1e300;
        for (int u = 0; u <= t; u++) {
          if (!visible(seg, b, T, t, u)) continue;
          const float* k = qkv + ((size_t)b * T + u) * 3 * C + C + h * hs;
          double s = 0;
          for (int i = 0; i < hs; i++) s += (double)q[i] * k[i];
          pre[u] = s * scale;
          if (pre[u] > mx) mx = pre[u];
        }
        double sum = 0;
        for (int u = 0; u <= t; u++)
          if (visible(seg, b, T, t, u)) sum += std::exp(pre[u] - mx);
        for (int u = 0; u < T; u++)
          a[u] = visible(seg, b, T, t, u) ? (float)(std::exp(pre[u] - mx) / sum) : 0.0f;
        float* o = out + ((size_t)b * T + t) * C + h * hs;
        for (int i = 0; i < hs; i++) {
          double s = 0;
          for (int u = 0; u <= t; u++)
            s += (double)a[u] * qkv[((size_t)b * T + u) * 3 * C + 2 * C + h * hs + i];
          o[i] = (float)s;
        }
      }
}

void attention_backward(float* dqkv, float* scratch, const float* dout, const float* qkv,
                        const float* att, const int32_t* seg, int B, int T, int C, int NH) {
  int hs = C / NH;
  double scale = 1.0 / std::sqrt((double)hs);
  std::fill(dqkv, dqkv + (size_t)B * T * 3 * C, 0.0f);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++)
      for (int t = 0; t < T; t++) {
        const float* a = att + (((size_t)b * NH + h) * T + t) * T;
        float* da = scratch + (((size_t)b * NH + h) * T + t) * T;
        const float* dy = dout + ((size_t)b * T + t) * C + h * hs;
        // out = a @ v: da[u] = dy . v_u ; dv_u += a[u] dy
        for (int u = 0; u <= t; u++) {
          da[u] = 0.0f;
          if (!visible(seg, b, T, t, u)) continue;
          const float* v = qkv + ((size_t)b * T + u) * 3 * C + 2 * C + h * hs;
          float* dv = dqkv + ((size_t)b * T + u) * 3 * C + 2 * C + h * hs;
          double s = 0;
          for (int i = 0; i < hs; i++) {
            s += (double)dy[i] * v[i];
            dv[i] += a[u] * dy[i];
          }
          da[u] = (float)s;
        }
        // softmax backward: dpre[u] = a[u] (da[u] - sum_w a[w] da[w])
        double dot = 0;
        for (int u = 0; u <= t; u++) dot += (double)a[u] * da[u];
        const float* q = qkv + ((size_t)b * T + t) * 3 * C + h * hs;
        float* dq = dqkv + ((size_t)b * T + t) * 3 * C + h * hs;
        for (int u = 0; u <= t; u++) {
          if (!visible(seg, b, T, t, u)) continue;
          double dpre = a[u] * (da[u] - dot) * scale;
          const float* k = qkv + ((size_t)b * T + u) * 3 * C + C + h * hs;
          float* dk = dqkv + ((size_t)b * T + u) * 3 * C + C + h * hs;
          for (int i = 0; i < hs; i++) {
            dq[i] += (float)(dpre * k[i]);
            dk[i] += (float)(dpre * q[i]);
          }
        }
      }
}

constexpr double kGeluScale = 0.7978845608028654;  // sqrt(2/pi)

void gelu_forward(float* out, const float* inp, size_t n) {
  for (size_t i = 0; i < n; i++) {
    double x = inp[i];
    out[i] = (float)(0.5 * x * (1.0 + std::tanh(kGeluScale * (x + 0.044715 * x * x * x))));
  }
}

void gelu_backward(float* dinp, const float* inp, const float* dout, size_t n) {
  for (size_t i = 0; i < n; i++) {
    double x = inp[i];
    double u = kGeluScale * (x + 0.044715 * x * x * x);
    double th = std::tanh(u);
    double sech2 = 1.0 - th * th;
    double g = 0.5 * (1.0 + th) + 0.5 * x * sech2 * kGeluScale * (1.0 + 3.0 * 0.044715 * x * x);
    dinp[i] = (float)(g * dout[i]);
  }
}

void residual_forward(float* out, const float* a, const float* b, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void crossentropy_forward(float* losses, float* probs, const float* logits, const int32_t* targets,
                          int N, int V) {
  for (int i = 0; i < N; i++) {
    const float* l = logits + (size_t)i * V;
    double mx = -1e300;
    for (int v = 0; v < V; v++) mx = l[v] > mx ? l[v] : mx;
    double sum = 0;
    for (int v = 0; v < V; v++) sum += std::exp(l[v] - mx);
    double lt = l[targets[i]];
    losses[i] = (float)(std::log(sum) - (lt - mx));
    float* p = probs + (size_t)i * V;
    for (int v = 0; v < V; v++) p[v] = (float)(std::exp(l[v] - mx) / sum);
  }
}

void crossentropy_backward(float* dlogits, const float* probs, const int32_t* targets,
                           const float* dlosses, int N, int V) {
  for (int i = 0; i < N; i++)
    for (int v = 0; v < V; v++) {
      size_t j = (size_t)i * V + v;
      dlogits[j] = (probs[j] - (v == targets[i] ? 1.0f : 0.0f)) * dlosses[i];
    }
}

}  // namespace

const KernelSet& ref_kernels() {
  static const KernelSet kTable = {"ref",
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
  return kTable;
}

}  // namespace lm::kernels
