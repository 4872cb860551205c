// approach3.cc: the Huber/log-sum-exp objective with its analytic gradient, the grid of starts,
// the polish of the best start, and the bootstrap. Each start is independent, so the grid is an
// OpenMP loop with results stored by index and reduced in index order (thread-count invariant).
#include "scaling/approach3.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/rng.h"
#include "core/threads.h"
#include "core/timer.h"
#include "scaling/lbfgs.h"

namespace lm::scaling {

// huber_kernel.cc (vectorised).
double huber_lse_kernel(const double* log_n, const double* log_d, const double* log_l, size_t n,
                        const double* p, double delta, double* grad);

namespace {

struct Data {
  std::vector<double> log_n, log_d, log_l;
};

Data make_data(const RunsTable& t, const std::vector<size_t>& idx) {
  Data d;
  for (size_t i : idx) {
    d.log_n.push_back(std::log(t.runs[i].params));
    d.log_d.push_back(std::log(t.runs[i].tokens));
    d.log_l.push_back(std::log(t.runs[i].loss));
  }
  return d;
}

double min_loss(const RunsTable& t) {
  double m = INFINITY;
  for (const auto& r : t.runs) m = std::min(m, r.loss);
  return m;
}

// An E below this share of the lowest observed loss counts as collapsed onto the E = 0 boundary.
constexpr double kCollapsedE = 0.01;

std::vector<std::vector<double>> start_grid(bool coarse) {
  std::vector<double> ab = {0, 0.5, 1, 1.5, 2}, e = {-1, -0.5, 0, 0.5, 1},
                      ls = {0, 5, 10, 15, 20, 25};
  if (coarse) {
    ab = {0, 1, 2};
    e = {-1, 0, 1};
    ls = {0, 10, 20};
  }
  std::vector<std::vector<double>> g;
  for (double al : ab)
    for (double be : ab)
      for (double ee : e)
        for (double a : ls)
          for (double b : ls) g.push_back({a, b, ee, al, be});
  return g;
}

LbfgsResult run_start(const Data& d, double delta, const std::vector<double>& x0,
                      const LbfgsOptions& o) {
  auto f = [&](const std::vector<double>& x, std::vector<double>* g) {
    return huber_lse_objective(x, d.log_n, d.log_d, d.log_l, delta, g);
  };
  return lbfgs_minimize(f, x0, o);
}

// Tight refinement: restart L-BFGS from its own answer until the objective stops moving.
LbfgsResult polish(const Data& d, double delta, LbfgsResult r, int max_iterations) {
  LbfgsOptions tight;
  tight.gtol = 1e-14;
  tight.ftol = 1e-15;
  tight.ftol_scale = 0;
  tight.max_iterations = 2 * max_iterations;
  for (int round = 0; round < 20; ++round) {
    LbfgsResult n = run_start(d, delta, r.x, tight);
    bool better = n.f < r.f;
    if (better) r = n;
    if (std::string(n.reason) == "iteration cap") {
      r.converged = false;
      r.reason = n.reason;
    }
    if (!better || r.f - n.f < 1e-16) break;
  }
  return r;
}

struct GridOutcome {
  LbfgsResult best;
  int near_best = 0;
  bool best_capped = false;
};

GridOutcome run_grid(const Data& d, double delta, const std::vector<std::vector<double>>& grid,
                     int threads, int max_iterations) {
  std::vector<LbfgsResult> res(grid.size());
  LbfgsOptions o;  // scipy L-BFGS-B defaults: pgtol 1e-5, factr 1e7
  o.max_iterations = max_iterations;
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
  for (size_t i = 0; i < grid.size(); ++i) res[i] = run_start(d, delta, grid[i], o);
  size_t bi = 0;
  for (size_t i = 1; i < res.size(); ++i)
    if (std::isfinite(res[i].f) && (!std::isfinite(res[bi].f) || res[i].f < res[bi].f)) bi = i;
  GridOutcome out;
  out.best = res[bi];
  out.best_capped = std::string(res[bi].reason) == "iteration cap";
  for (auto& r : res)
    if (std::isfinite(r.f) && r.f <= res[bi].f * (1 + 1e-5)) ++out.near_best;
  return out;
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  double pos = q * (v.size() - 1);
  size_t i = static_cast<size_t>(pos);
  if (i + 1 >= v.size()) return v.back();
  if (v[i] == v[i + 1]) return v[i];  // also two infinities (inf - inf is NaN)
  return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

// A resample whose fit ran off to an infinite (or NaN) parameter makes the spread unbounded:
// s.e. +inf (JSON null), and NaN sorts as +inf so that the percentiles stay well defined.
Interval interval(std::vector<double> v, double ci) {
  Interval r;
  bool unbounded = false;
  for (double& x : v) {
    if (std::isnan(x)) x = std::numeric_limits<double>::infinity();
    unbounded |= !std::isfinite(x);
  }
  r.lo = percentile(v, (1 - ci) / 2);
  r.hi = percentile(v, 1 - (1 - ci) / 2);
  if (unbounded) {
    r.se = std::numeric_limits<double>::infinity();
    return r;
  }
  double mean = 0;
  for (double x : v) mean += x;
  mean /= v.size();
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  r.se = v.size() > 1 ? std::sqrt(ss / (v.size() - 1)) : 0;
  return r;
}

// Starts for one resample: the full-data optimum, and the same with E moved to 50% and 90% of
// the lowest observed loss. From the optimum alone a resample can never leave an E ~ 0 optimum
// (the gradient in e = log E vanishes there), which made a collapsed E look certain.
std::vector<std::vector<double>> resample_starts(const std::vector<double>& raw, double min_loss) {
  std::vector<std::vector<double>> s = {raw};
  for (double f : {0.5, 0.9}) {
    s.push_back(raw);
    s.back()[2] = std::log(f * min_loss);
  }
  return s;
}

std::vector<double> refit_resample(const Data& d, double delta,
                                   const std::vector<std::vector<double>>& starts) {
  LbfgsResult best;
  best.f = INFINITY;
  for (const auto& x0 : starts) {
    LbfgsResult r = run_start(d, delta, x0, LbfgsOptions());
    if (std::isfinite(r.f) && (!std::isfinite(best.f) || r.f < best.f)) best = r;
  }
  if (!std::isfinite(best.f)) return starts[0];
  return polish(d, delta, best, 1000).x;
}

void bootstrap(const RunsTable& t, const Approach3Options& opt, int threads, Approach3Result* r) {
  const size_t n = t.runs.size();
  const int k = opt.bootstrap;
  const auto starts = resample_starts(r->raw, min_loss(t));
  std::vector<std::vector<double>> fits(k);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int s = 0; s < k; ++s) {
    Rng rng(opt.seed * 1000003ULL + s);  // one stream per resample: thread-count invariant
    std::vector<size_t> idx(n);
    for (auto& i : idx) i = rng.below(n);
    fits[s] = refit_resample(make_data(t, idx), opt.delta, starts);
  }
  std::vector<double> E, A, B, al, be, share;
  for (auto& p : fits) {
    A.push_back(std::exp(p[0]));
    B.push_back(std::exp(p[1]));
    E.push_back(std::exp(p[2]));
    al.push_back(p[3]);
    be.push_back(p[4]);
    share.push_back(p[4] / (p[3] + p[4]));
    r->bootstrap_params.push_back({E.back(), A.back(), B.back(), p[3], p[4]});
  }
  r->bootstrap = k;
  r->E = interval(E, opt.ci);
  r->A = interval(A, opt.ci);
  r->B = interval(B, opt.ci);
  r->alpha = interval(al, opt.ci);
  r->beta = interval(be, opt.ci);
  r->a_share = interval(share, opt.ci);
  const double floor = kCollapsedE * min_loss(t);
  r->e_collapsed_share =
      static_cast<double>(std::count_if(E.begin(), E.end(), [&](double e) { return e < floor; })) /
      k;
}

// Whether E is identified, and a warning saying why not: the fit or the lower end of its
// bootstrap interval at the E = 0 boundary means the runs cannot tell E from a slowly decaying
// A/N^alpha or B/D^beta term.
void judge_identifiability(const RunsTable& t, Approach3Result* r) {
  const double floor = kCollapsedE * min_loss(t);
  if (r->params.E < floor) {
    r->e_identified = false;
    r->message += fmt::format(
        "; warning: E is not identified: it collapsed to ~0 ({:.3g}); the runs cannot tell the "
        "irreducible loss from a slowly decaying model or data term (train closer to convergence "
        "and over a wider range of N and D)",
        r->params.E);
  } else if (r->bootstrap > 0 && r->E.lo < floor) {
    r->e_identified = false;
    r->message += fmt::format(
        "; warning: E is not identified: {:.0f}% of the bootstrap resamples put it at ~0 (95% "
        "interval [{:.3g}, {:.3g}]); more runs, closer to convergence, over a wider range of N",
        100 * r->e_collapsed_share, r->E.lo, r->E.hi);
  } else {
    r->e_identified = true;
  }
}

}  // namespace

double huber_lse_objective(const std::vector<double>& p, const std::vector<double>& log_n,
                           const std::vector<double>& log_d, const std::vector<double>& log_l,
                           double delta, std::vector<double>* grad) {
  double g[5];
  double f =
      huber_lse_kernel(log_n.data(), log_d.data(), log_l.data(), log_l.size(), p.data(), delta, g);
  if (grad) grad->assign(g, g + 5);
  return f;
}

Result<Approach3Result> fit_approach3(const RunsTable& t, const Approach3Options& opt) {
  if (t.runs.size() < 5) {
    return Status(Code::kInvalidArgument,
                  fmt::format("Approach 3 fits 5 parameters and needs at least 5 runs, got {}",
                              t.runs.size()),
                  "add runs with more model sizes and token counts");
  }
  Timer timer;
  const int threads = resolve_threads(opt.threads);
  std::vector<size_t> all(t.runs.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  Data d = make_data(t, all);
  auto grid = start_grid(opt.coarse_grid);
  GridOutcome g = run_grid(d, opt.delta, grid, threads, opt.max_iterations);
  LbfgsResult best = polish(d, opt.delta, g.best, opt.max_iterations);
  Approach3Result r;
  r.raw = best.x;
  r.objective = best.f;
  r.params = {std::exp(best.x[2]), std::exp(best.x[0]), std::exp(best.x[1]), best.x[3], best.x[4]};
  r.starts = static_cast<int>(grid.size());
  r.starts_near_best = g.near_best;
  bool finite = std::isfinite(best.f);
  for (double v : best.x) finite = finite && std::isfinite(v);
  r.converged = finite && best.converged && !g.best_capped;
  r.message =
      !finite ? "the fit diverged (non-finite parameters)"
      : !r.converged
          ? fmt::format("did not converge ({}); best objective so far {:.10g}", best.reason, best.f)
          : fmt::format("converged ({}); {} of {} starts within 1e-5 of the best", best.reason,
                        g.near_best, r.starts);
  if (opt.bootstrap > 0 && finite) bootstrap(t, opt, threads, &r);
  if (finite) judge_identifiability(t, &r);
  r.seconds = timer.seconds();
  return r;
}

}  // namespace lm::scaling
