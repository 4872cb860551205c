// analysis.cc: see analysis.h.
#include "emergence/analysis.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "eval/metrics.h"

namespace lm::emergence {
namespace {

constexpr double kEps = 1e-3;
double logit(double y) {
  y = std::clamp(y, kEps, 1 - kEps);
  return std::log(y / (1 - y));
}
double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

}  // namespace

double predicted_exact_match(double p, std::span<const int> lengths) {
  if (lengths.empty()) return NAN;
  double s = 0;
  for (int l : lengths) s += std::pow(std::clamp(p, 0.0, 1.0), l);
  return s / static_cast<double>(lengths.size());
}

double LogitFit::operator()(double n) const { return sigmoid(a + b * std::log10(n)); }

std::optional<LogitFit> fit_logit_vs_log_n(std::span<const double> n, std::span<const double> y) {
  if (n.size() != y.size() || n.size() < 2) return std::nullopt;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  const double k = static_cast<double>(n.size());
  for (size_t i = 0; i < n.size(); ++i) {
    if (!(n[i] > 0) || !std::isfinite(y[i])) return std::nullopt;
    const double x = std::log10(n[i]), z = logit(y[i]);
    sx += x;
    sy += z;
    sxx += x * x;
    sxy += x * z;
  }
  const double den = k * sxx - sx * sx;
  if (std::fabs(den) < 1e-12) return std::nullopt;
  LogitFit f;
  f.b = (k * sxy - sx * sy) / den;
  f.a = (sy - f.b * sx) / k;
  f.points = static_cast<int>(n.size());
  double se = 0;
  for (size_t i = 0; i < n.size(); ++i) se += std::pow(f(n[i]) - y[i], 2);
  f.rmse = std::sqrt(se / k);
  return f;
}

double steepest_step(std::span<const double> y) {
  double m = 0;
  for (size_t i = 1; i < y.size(); ++i) m = std::max(m, std::fabs(y[i] - y[i - 1]));
  return m;
}

MirageResult mirage_test(std::vector<MirageRow> rows, std::span<const int> lengths) {
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.n < b.n; });
  MirageResult r;
  std::vector<double> n, p, em;
  for (auto& row : rows) {
    row.predicted_pL = predicted_exact_match(row.token_accuracy, lengths);
    n.push_back(row.n);
    p.push_back(row.token_accuracy);
    em.push_back(row.exact_match);
  }
  r.fit = fit_logit_vs_log_n(n, p);
  r.steepest_em_step = steepest_step(em);
  r.steepest_token_step = steepest_step(p);
  bool above = false;  // some size's exact match is significantly above the implied curve
  double max_above = 0;
  for (auto& row : rows) {
    if (r.fit) {
      row.implied_by_fit = predicted_exact_match((*r.fit)(row.n), lengths);
      row.departure = row.exact_match - row.implied_by_fit;
      if (std::fabs(row.departure) > std::fabs(r.max_departure)) r.max_departure = row.departure;
      const double q = row.implied_by_fit;
      const double binomial =
          row.documents > 0 ? std::sqrt(q * (1 - q) / static_cast<double>(row.documents)) : 0;
      if (std::fabs(row.departure) > std::max({2 * row.exact_match_stderr, 2 * binomial, 0.02})) {
        r.departs = true;
        if (row.departure > 0) {
          above = true;
          max_above = std::max(max_above, row.departure);
        }
      }
    }
  }
  double em_max = 0;
  for (const auto& row : rows) em_max = std::max(em_max, row.exact_match);
  r.rows = std::move(rows);
  if (r.fit && em_max < 0.02) {
    r.verdict = fmt::format(
        "exact match is below 0.02 at every size (token accuracy {:.3f} to {:.3f}): no ability "
        "has appeared in exact match on this ladder",
        r.rows.front().token_accuracy, r.rows.back().token_accuracy);
  } else if (!r.fit) {
    r.verdict = "no smooth fit (fewer than 2 sizes)";
  } else if (above) {
    r.verdict = fmt::format(
        "exact match departs from the smooth per-token curve's p(N)^L by up to {:+.3f}: a jump "
        "beyond what the metric alone explains",
        max_above);
  } else if (r.departs) {
    // Below the curve: whole answers are right less often than independent per-token errors
    // predict (errors cluster in the same answers). That is no jump, whichever way N goes.
    r.verdict = fmt::format(
        "exact match departs from the smooth per-token curve's p(N)^L by up to {:+.3f}, below "
        "it: whole answers are right less often than the per-token accuracy implies (errors "
        "cluster in the same answers), not an emergent jump",
        r.max_departure);
  } else {
    r.verdict = fmt::format(
        "exact match stays within 2 standard errors of the smooth per-token curve's p(N)^L "
        "(largest gap {:+.3f}): its jump is what the discontinuous metric makes of a smooth "
        "improvement",
        r.max_departure);
  }
  return r;
}

PairedDifference paired_difference(std::span<const double> a, std::span<const double> b) {
  PairedDifference r;
  std::vector<double> d;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    if (std::isfinite(a[i]) && std::isfinite(b[i])) d.push_back(b[i] - a[i]);
  r.n = static_cast<int>(d.size());
  if (d.empty()) return r;
  r.mean = eval::mean(d);
  if (d.size() > 1) r.stderr_value = eval::mean_stderr(d);
  return r;
}

double icl_score(std::span<const double> loss_at) {
  if (loss_at.size() < 500) return NAN;
  return loss_at[499] - loss_at[49];
}

}  // namespace lm::emergence
