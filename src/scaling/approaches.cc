// approaches.cc: Approaches 1 and 2 and the KM frontier fits. Everything works in natural logs;
// budgets are groups of runs with nearly equal FLOPs (IsoFLOP slices).
#include "scaling/approaches.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace lm::scaling {
namespace {

Result<AllocationFit> power_through(std::vector<double> c, std::vector<double> n,
                                    std::vector<double> loss) {
  AllocationFit f;
  std::vector<double> lc, ln, ld;
  for (size_t i = 0; i < c.size(); ++i) {
    lc.push_back(std::log(c[i]));
    ln.push_back(std::log(n[i]));
    ld.push_back(std::log(c[i] / (6 * n[i])));
  }
  LM_ASSIGN_OR_RETURN(LineFit fn, fit_line(lc, ln));
  LM_ASSIGN_OR_RETURN(LineFit fd, fit_line(lc, ld));
  f.a = fn.slope;
  f.g_n = std::exp(fn.intercept);
  f.b = fd.slope;
  f.g_d = std::exp(fd.intercept);
  f.points = static_cast<int>(c.size());
  f.c = std::move(c);
  f.n_opt = std::move(n);
  for (size_t i = 0; i < f.c.size(); ++i) f.d_opt.push_back(f.c[i] / (6 * f.n_opt[i]));
  f.loss = std::move(loss);
  return f;
}

// Per-name curves: points (ln C, loss) sorted by C, for runs.csv files with checkpoints.
std::map<std::string, std::vector<std::pair<double, double>>> curves(
    const RunsTable& t, std::map<std::string, double>* n) {
  std::map<std::string, std::vector<std::pair<double, double>>> m;
  for (const auto& r : t.runs) {
    if (r.name.empty()) continue;
    m[r.name].push_back({std::log(r.flops), r.loss});
    (*n)[r.name] = r.params;
  }
  for (auto& [k, v] : m) std::sort(v.begin(), v.end());
  return m;
}

}  // namespace

double AllocationFit::n_at(double c) const { return g_n * std::pow(c, a); }
double AllocationFit::d_at(double c) const { return g_d * std::pow(c, b); }

std::vector<IsoFlopGroup> isoflop_groups(const RunsTable& t, double rel_tol) {
  std::vector<size_t> idx(t.runs.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(),
            [&](size_t a, size_t b) { return t.runs[a].flops < t.runs[b].flops; });
  std::vector<IsoFlopGroup> groups;
  double first = 0;
  for (size_t i : idx) {
    double lc = std::log(t.runs[i].flops);
    if (groups.empty() || lc - first > std::log1p(rel_tol)) {
      groups.push_back({});
      first = lc;
    }
    groups.back().runs.push_back(i);
  }
  for (auto& g : groups) {
    double s = 0;
    for (size_t i : g.runs) s += std::log(t.runs[i].flops);
    g.compute = std::exp(s / g.runs.size());
  }
  return groups;
}

Result<AllocationFit> fit_approach2(const RunsTable& t, std::vector<IsoFlopGroup>* out) {
  std::vector<IsoFlopGroup> groups = isoflop_groups(t);
  std::vector<double> c, n, l;
  int skipped = 0;
  for (auto& g : groups) {
    std::vector<double> x, y;
    for (size_t i : g.runs) {
      x.push_back(std::log(t.runs[i].params));
      y.push_back(t.runs[i].loss);
    }
    auto p = fit_parabola(x, y);
    if (!p.ok() || (*p)[2] <= 0) {
      ++skipped;
      continue;
    }  // < 3 sizes or not convex
    g.parabola = *p;
    double xm = -(*p)[1] / (2 * (*p)[2]);
    g.n_opt = std::exp(xm);
    g.loss_opt = (*p)[0] + (*p)[1] * xm + (*p)[2] * xm * xm;
    g.inside =
        xm >= *std::min_element(x.begin(), x.end()) && xm <= *std::max_element(x.begin(), x.end());
    c.push_back(g.compute);
    n.push_back(g.n_opt);
    l.push_back(g.loss_opt);
  }
  if (out) *out = groups;
  if (c.size() < 2) {
    return Status(
        Code::kInvalidArgument,
        fmt::format("Approach 2 needs at least 2 IsoFLOP budgets with 3+ model sizes and a "
                    "convex parabola; found {} of {} budgets usable",
                    c.size(), groups.size()),
        "train 3 or more model sizes at each of 2 or more compute budgets (same flops)");
  }
  LM_ASSIGN_OR_RETURN(AllocationFit f, power_through(c, n, l));
  f.note = fmt::format("{} budgets fitted, {} skipped (fewer than 3 sizes or not convex)", c.size(),
                       skipped);
  return f;
}

Result<AllocationFit> fit_approach1(const RunsTable& t) {
  std::map<std::string, double> n_of;
  auto cv = curves(t, &n_of);
  bool have_curves = !cv.empty();
  for (auto& [k, v] : cv) have_curves = have_curves && v.size() >= 2;
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& r : t.runs) {
    lo = std::min(lo, std::log(r.flops));
    hi = std::max(hi, std::log(r.flops));
  }
  std::vector<double> c, n, l;
  const int kBins = have_curves ? 1500 : 30;
  for (int k = 0; k < kBins; ++k) {
    double a = lo + (hi - lo) * k / kBins, b = lo + (hi - lo) * (k + 1) / kBins;
    double best = INFINITY, best_n = 0, best_c = 0;
    if (have_curves) {  // interpolate each curve at the bin centre, take the envelope
      double x = 0.5 * (a + b);
      for (auto& [name, v] : cv) {
        if (x < v.front().first || x > v.back().first) continue;
        auto it = std::lower_bound(v.begin(), v.end(), std::make_pair(x, -HUGE_VAL));
        double y = it->second;
        if (it != v.begin() && it->first > x) {
          auto p = it - 1;
          y = p->second + (it->second - p->second) * (x - p->first) / (it->first - p->first);
        }
        if (y < best) {
          best = y;
          best_n = n_of[name];
          best_c = std::exp(x);
        }
      }
    } else {
      for (const auto& r : t.runs) {
        double x = std::log(r.flops);
        if (x >= a && (x < b || k == kBins - 1) && r.loss < best) {
          best = r.loss;
          best_n = r.params;
          best_c = r.flops;
        }
      }
    }
    if (std::isfinite(best)) {
      c.push_back(best_c);
      n.push_back(best_n);
      l.push_back(best);
    }
  }
  if (c.size() < 2) {
    return invalid_argument("Approach 1 needs runs spread over at least 2 compute values, found {}",
                            c.size());
  }
  LM_ASSIGN_OR_RETURN(AllocationFit f, power_through(c, n, l));
  f.note = have_curves ? "envelope of per-run loss curves at 1500 log-spaced FLOP values"
                       : "best run in each of 30 log-spaced FLOP bins (final losses only)";
  return f;
}

Result<KmFits> fit_km_laws(const RunsTable& t) {
  auto frontier = [&](auto key) {
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& r : t.runs) {
      lo = std::min(lo, std::log(key(r)));
      hi = std::max(hi, std::log(key(r)));
    }
    const int bins = 12;
    std::vector<double> best(bins, INFINITY), xs(bins, 0);
    for (const auto& r : t.runs) {
      int k = hi > lo
                  ? std::min(bins - 1, static_cast<int>((std::log(key(r)) - lo) / (hi - lo) * bins))
                  : 0;
      if (r.loss < best[k]) {
        best[k] = r.loss;
        xs[k] = key(r);
      }
    }
    std::vector<double> x, y;
    for (int k = 0; k < bins; ++k)
      if (std::isfinite(best[k])) {
        x.push_back(xs[k]);
        y.push_back(best[k]);
      }
    return fit_power_law(x, y);
  };
  KmFits f;
  LM_ASSIGN_OR_RETURN(f.l_n, frontier([](const Run& r) { return r.params; }));
  LM_ASSIGN_OR_RETURN(f.l_d, frontier([](const Run& r) { return r.tokens; }));
  LM_ASSIGN_OR_RETURN(f.l_c, frontier([](const Run& r) { return r.flops; }));
  return f;
}

}  // namespace lm::scaling
