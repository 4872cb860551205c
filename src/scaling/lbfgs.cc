// lbfgs.cc: L-BFGS two-loop recursion with a backtracking Armijo line search (cubic/halving
// steps) and a skipped update when the curvature s'y is not positive. Small dimension (< 10)
// problems: the vectors are tiny, so clarity beats cleverness here.
#include "scaling/lbfgs.h"

#include <algorithm>
#include <cmath>
#include <deque>

namespace lm::scaling {
namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

double max_abs(const std::vector<double>& a) {
  double m = 0;
  for (double v : a) m = std::max(m, std::fabs(v));
  return m;
}

struct Pair {
  std::vector<double> s, y;
  double rho;
};

// d = -H g via the two-loop recursion.
void direction(const std::deque<Pair>& hist, const std::vector<double>& g, std::vector<double>* d) {
  const size_t n = g.size();
  *d = g;
  std::vector<double> alpha(hist.size());
  for (size_t k = hist.size(); k-- > 0;) {
    alpha[k] = hist[k].rho * dot(hist[k].s, *d);
    for (size_t i = 0; i < n; ++i) (*d)[i] -= alpha[k] * hist[k].y[i];
  }
  if (!hist.empty()) {
    const Pair& p = hist.back();
    double gamma = dot(p.s, p.y) / dot(p.y, p.y);
    for (double& v : *d) v *= gamma;
  }
  for (size_t k = 0; k < hist.size(); ++k) {
    double beta = hist[k].rho * dot(hist[k].y, *d);
    for (size_t i = 0; i < n; ++i) (*d)[i] += hist[k].s[i] * (alpha[k] - beta);
  }
  for (double& v : *d) v = -v;
}

// Backtracking Armijo search along d from x; fills xn, gn, *fn. False: no decrease found.
bool line_search(const Objective& f, const std::vector<double>& x, double fx,
                 const std::vector<double>& d, double slope, double step, std::vector<double>* xn,
                 std::vector<double>* gn, double* fn, int* evals) {
  for (int ls = 0; ls < 60; ++ls) {
    for (size_t i = 0; i < x.size(); ++i) (*xn)[i] = x[i] + step * d[i];
    *fn = f(*xn, gn);
    ++*evals;
    if (std::isfinite(*fn) && *fn <= fx + 1e-4 * step * slope) return true;
    // Safeguarded quadratic interpolation of the step, clamped to [0.1, 0.5] of the last.
    double q = std::isfinite(*fn) ? -slope * step * step / (2 * (*fn - fx - slope * step)) : 0;
    step = std::clamp(q, 0.1 * step, 0.5 * step);
  }
  return false;
}

void update_history(const std::vector<double>& x, const std::vector<double>& xn,
                    const std::vector<double>& g, const std::vector<double>& gn, int history,
                    std::deque<Pair>* hist) {
  const size_t n = x.size();
  Pair p{std::vector<double>(n), std::vector<double>(n), 0};
  for (size_t i = 0; i < n; ++i) {
    p.s[i] = xn[i] - x[i];
    p.y[i] = gn[i] - g[i];
  }
  double sy = dot(p.s, p.y);
  if (sy > 0 && sy > 1e-300 * dot(p.y, p.y)) {  // curvature condition; else skip the update
    p.rho = 1.0 / sy;
    hist->push_back(std::move(p));
    if (static_cast<int>(hist->size()) > history) hist->pop_front();
  }
}

}  // namespace

LbfgsResult lbfgs_minimize(const Objective& f, std::vector<double> x, const LbfgsOptions& opt) {
  const size_t n = x.size();
  LbfgsResult r;
  std::vector<double> g(n), gn(n), d(n), xn(n);
  double fx = f(x, &g);
  r.evaluations = 1;
  r.reason = "iteration cap";
  std::deque<Pair> hist;
  for (r.iterations = 0; r.iterations < opt.max_iterations; ++r.iterations) {
    if (!std::isfinite(fx)) {
      r.reason = "non-finite objective";
      break;
    }
    if (max_abs(g) <= opt.gtol) {
      r.converged = true;
      r.reason = "gradient below gtol";
      break;
    }
    direction(hist, g, &d);
    double slope = dot(g, d);
    if (!(slope < 0)) {  // not a descent direction: reset to steepest descent
      hist.clear();
      for (size_t i = 0; i < n; ++i) d[i] = -g[i];
      slope = dot(g, d);
    }
    double step = hist.empty() ? std::min(1.0, 1.0 / std::sqrt(dot(g, g))) : 1.0;
    double fn = 0;
    if (!line_search(f, x, fx, d, slope, step, &xn, &gn, &fn, &r.evaluations)) {
      r.converged = true;  // no decrease at machine precision: a (numerical) stationary point
      r.reason = "line search found no decrease";
      break;
    }
    update_history(x, xn, g, gn, opt.history, &hist);
    double denom = std::max({std::fabs(fx), std::fabs(fn), opt.ftol_scale});
    double decrease = fx - fn;
    x.swap(xn);
    g.swap(gn);
    fx = fn;
    if (denom > 0 && decrease <= opt.ftol * denom) {
      r.converged = true;
      r.reason = "relative decrease below ftol";
      ++r.iterations;
      break;
    }
  }
  r.x = std::move(x);
  r.f = fx;
  return r;
}

}  // namespace lm::scaling
