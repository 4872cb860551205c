// huber_kernel.cc: the inner loop of the Approach 3 objective (Huber of log-sum-exp residuals and
// its gradient). Compiled with -O3 -ffast-math so GCC vectorises exp/log through glibc's libmvec,
// with an AVX2 clone picked at run time: about 5x faster than the scalar loop. The LSE max trick
// keeps every exp argument <= 0, so no inf/NaN arises from finite parameters; callers check
// finiteness of what they pass in and get out (in code compiled without -ffast-math).
#include <algorithm>
#include <cmath>
#include <cstddef>

namespace lm::scaling {

__attribute__((target_clones("avx2", "default"))) double huber_lse_kernel(
    const double* log_n, const double* log_d, const double* log_l, size_t n, const double* p,
    double delta, double* grad) {
  const double a = p[0], b = p[1], e = p[2], al = p[3], be = p[4];
  double f = 0, g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0;
  for (size_t i = 0; i < n; ++i) {
    double t0 = a - al * log_n[i], t1 = b - be * log_d[i];
    double m = std::max(std::max(t0, t1), e);
    double x0 = std::exp(t0 - m), x1 = std::exp(t1 - m), x2 = std::exp(e - m);
    double s = x0 + x1 + x2;
    double r = m + std::log(s) - log_l[i];
    double ar = std::fabs(r);
    f += ar <= delta ? 0.5 * r * r : delta * (ar - 0.5 * delta);
    double psi = std::min(std::max(r, -delta), delta) / s;
    g0 += psi * x0;
    g1 += psi * x1;
    g2 += psi * x2;
    g3 -= psi * x0 * log_n[i];
    g4 -= psi * x1 * log_d[i];
  }
  grad[0] = g0;
  grad[1] = g1;
  grad[2] = g2;
  grad[3] = g3;
  grad[4] = g4;
  return f;
}

}  // namespace lm::scaling
