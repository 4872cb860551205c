// powerlaw_fit.cc: small least-squares fits. The irreducible-form power law is fitted on
// log L = LSE(e, c - alpha log x) with c = alpha log x0, from a grid of 60 starts.
#include "scaling/powerlaw_fit.h"

#include <algorithm>
#include <cmath>

#include "scaling/lbfgs.h"

namespace lm::scaling {

Result<LineFit> fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = x.size();
  if (n < 2) return invalid_argument("a line fit needs at least 2 points, got {}", n);
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  double sxx = 0, sxy = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx <= 0) return invalid_argument("a line fit needs at least 2 distinct x values");
  LineFit f;
  f.slope = sxy / sxx;
  f.intercept = my - f.slope * mx;
  f.r2 = syy > 0 ? sxy * sxy / (sxx * syy) : 1.0;
  return f;
}

Result<std::vector<double>> fit_parabola(const std::vector<double>& t,
                                         const std::vector<double>& y) {
  const size_t n = t.size();
  if (n < 3) return invalid_argument("a parabola needs at least 3 points, got {}", n);
  double mt = 0;
  for (double v : t) mt += v;
  mt /= n;
  double S[5] = {0, 0, 0, 0, 0}, R[3] = {0, 0, 0};  // moments of u = t - mt
  for (size_t i = 0; i < n; ++i) {
    double u = t[i] - mt, p = 1;
    for (int k = 0; k < 5; ++k) {
      S[k] += p;
      if (k < 3) R[k] += p * y[i];
      p *= u;
    }
  }
  double M[3][4] = {{S[0], S[1], S[2], R[0]}, {S[1], S[2], S[3], R[1]}, {S[2], S[3], S[4], R[2]}};
  for (int c = 0; c < 3; ++c) {  // Gaussian elimination with partial pivoting
    int piv = c;
    for (int r = c + 1; r < 3; ++r)
      if (std::fabs(M[r][c]) > std::fabs(M[piv][c])) piv = r;
    if (std::fabs(M[piv][c]) < 1e-300)
      return invalid_argument("a parabola needs 3 distinct x values");
    for (int k = 0; k < 4; ++k) std::swap(M[c][k], M[piv][k]);
    for (int r = 0; r < 3; ++r) {
      if (r == c) continue;
      double f = M[r][c] / M[c][c];
      for (int k = 0; k < 4; ++k) M[r][k] -= f * M[c][k];
    }
  }
  double b0 = M[0][3] / M[0][0], b1 = M[1][3] / M[1][1], b2 = M[2][3] / M[2][2];
  // Back from u = t - mt to t.
  return std::vector<double>{b0 - b1 * mt + b2 * mt * mt, b1 - 2 * b2 * mt, b2};
}

Result<PowerLawFit> fit_power_law(const std::vector<double>& x, const std::vector<double>& loss,
                                  const PowerLaw* init) {
  const size_t n = x.size();
  if (n < 3 || loss.size() != n) {
    return invalid_argument(
        "L = L_inf + (x0/x)^alpha has 3 parameters and needs at least 3 points, got {}", n);
  }
  std::vector<double> lx(n), ll(n);
  for (size_t i = 0; i < n; ++i) {
    LM_RETURN_IF_ERROR(check_positive("x", x[i]));
    LM_RETURN_IF_ERROR(check_positive("loss", loss[i]));
    lx[i] = std::log(x[i]);
    ll[i] = std::log(loss[i]);
  }
  auto obj = [&](const std::vector<double>& p, std::vector<double>* g) {
    double f = 0, ge = 0, gc = 0, ga = 0;
    for (size_t i = 0; i < n; ++i) {
      double t0 = p[0], t1 = p[1] - p[2] * lx[i], m = std::max(t0, t1);
      double w0 = std::exp(t0 - m), w1 = std::exp(t1 - m), s = w0 + w1;
      double r = m + std::log(s) - ll[i];
      f += 0.5 * r * r;
      ge += r * w0 / s;
      gc += r * w1 / s;
      ga -= r * w1 / s * lx[i];
    }
    if (g) *g = {ge, gc, ga};
    return f;
  };
  LbfgsOptions o;
  o.gtol = 1e-12;
  o.ftol = 1e-15;
  o.ftol_scale = 0;
  o.max_iterations = 3000;
  LbfgsResult best;
  best.f = INFINITY;
  double lmin = *std::min_element(ll.begin(), ll.end());
  double lxmin = *std::min_element(lx.begin(), lx.end());
  std::vector<std::vector<double>> starts;
  if (init && init->l_inf > 0 && init->x0 > 0 && init->alpha > 0) {
    starts.push_back({std::log(init->l_inf), init->alpha * std::log(init->x0), init->alpha});
    for (double e : {lmin - 1.0, lmin - 0.05})
      for (double al : {0.1, 0.5}) starts.push_back({e, al * lxmin, al});
  } else {
    for (double e : {lmin - 2.0, lmin - 0.5, lmin - 0.1, lmin - 0.02})
      for (double al : {0.05, 0.15, 0.3, 0.6, 1.0})
        for (double x0 : {0.5, 1.0, 2.0})  // x0 relative to the smallest x
          starts.push_back({e, al * (lxmin + std::log(x0)), al});
  }
  for (const auto& s0 : starts) {
    LbfgsResult r = lbfgs_minimize(obj, s0, o);
    if (std::isfinite(r.f) && r.f < best.f) best = r;
  }
  PowerLawFit fit;
  fit.points = static_cast<int>(n);
  fit.converged = std::isfinite(best.f) && best.converged;
  fit.law = {std::exp(best.x[0]), std::exp(best.x[1] / best.x[2]), best.x[2]};
  fit.rmse_log = std::sqrt(2 * best.f / n);
  LM_ASSIGN_OR_RETURN(LineFit lf, fit_line(lx, ll));  // log L = alpha log x0 - alpha log x
  fit.pure = {0, std::exp(lf.intercept / -lf.slope), -lf.slope};
  return fit;
}

}  // namespace lm::scaling
