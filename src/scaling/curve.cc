// curve.cc: metrics.jsonl parsing, loss-curve extrapolation and the online monitor.
#include "scaling/curve.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/file_util.h"

namespace lm::scaling {
namespace {

double num(const nlohmann::json& j, const char* k, double def) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_number()) return def;
  return it->get<double>();
}

double robust_sigma(std::vector<double> r) {
  if (r.empty()) return 0;
  for (double& v : r) v = std::fabs(v);
  std::nth_element(r.begin(), r.begin() + r.size() / 2, r.end());
  return 1.4826 * r[r.size() / 2];
}

struct Window {
  std::vector<double> x, y;
};

Window fit_window(const std::vector<MetricPoint>& pts, size_t end, double skip_tokens) {
  Window w;
  for (size_t i = 0; i < end; ++i) {
    if (!pts[i].loss_finite || pts[i].tokens <= skip_tokens || pts[i].tokens <= 0) continue;
    w.x.push_back(pts[i].tokens);
    w.y.push_back(pts[i].loss);
  }
  const size_t kMax = 400;  // keep refits cheap on long runs: thin evenly, keep the last point
  if (w.x.size() > kMax) {
    Window t;
    for (size_t k = 0; k < kMax; ++k) {
      size_t i = k * (w.x.size() - 1) / (kMax - 1);
      t.x.push_back(w.x[i]);
      t.y.push_back(w.y[i]);
    }
    return t;
  }
  return w;
}

// The actual final loss: the mean of the last 1% of the records, at least 10 (one small batch's
// loss is too noisy to score a prediction against). The error compares it with the prediction
// averaged over the same records, so that a curve still falling over them does not bias it.
void score_against_actual(const Metrics& m, Extrapolation* e) {
  const size_t k = std::min(m.points.size(), std::max<size_t>(10, m.points.size() / 100));
  double s = 0, p = 0;
  size_t c = 0;
  for (size_t i = m.points.size() - k; i < m.points.size(); ++i) {
    if (!m.points[i].loss_finite) continue;
    s += m.points[i].loss;
    p += e->fit.law(m.points[i].tokens);
    ++c;
  }
  if (c == 0) return;
  e->actual = s / c;
  e->error = p / c - e->actual;
  e->rel_error = e->error / e->actual;
}

}  // namespace

Result<Metrics> parse_metrics(const std::string& text, const std::string& path) {
  Metrics m;
  size_t pos = 0;
  int line = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string s = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line;
    if (s.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto j = nlohmann::json::parse(s, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      if (pos >= text.size()) break;  // a half-written last line of a live run
      return corrupt("{}:{}: not a JSON object", path, line)
          .with_hint("metrics.jsonl holds one JSON object per line");
    }
    if (!j.contains("step") || !j["step"].is_number()) continue;
    MetricPoint p;
    p.step = j["step"].get<double>();
    p.tokens = num(j, "tokens", p.step);
    p.lr = num(j, "lr", NAN);
    p.grad_norm = num(j, "grad_norm", NAN);
    p.val_loss = num(j, "val_loss", NAN);
    if (j.contains("loss")) {
      p.loss = num(j, "loss", NAN);
      p.loss_finite = std::isfinite(p.loss);
      m.points.push_back(p);
    }
    if (std::isfinite(p.val_loss)) m.val.push_back(p);
  }
  if (m.points.empty() && m.val.empty()) {
    return invalid_argument("{}: no records with step and loss", path)
        .with_hint("give the metrics.jsonl a training run writes");
  }
  return m;
}

Result<Metrics> read_metrics(const std::string& path) {
  LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse_metrics(text, path);
}

Result<Extrapolation> extrapolate(const Metrics& m, double fraction, double skip, double target) {
  if (!(fraction > 0 && fraction <= 1))
    return invalid_argument("--fraction must be in (0, 1], got {}", fraction);
  if (m.points.size() < 4)
    return invalid_argument("need at least 4 loss records to extrapolate, got {}", m.points.size());
  Extrapolation e;
  e.final_tokens = m.points.back().tokens;
  e.fit_until = e.final_tokens * fraction;
  size_t end = 0;
  while (end < m.points.size() && m.points[end].tokens <= e.fit_until) ++end;
  Window w = fit_window(m.points, end, e.final_tokens * skip);
  if (w.x.size() < 4) {
    return invalid_argument("only {} usable points in the first {:.0f}% of the run; need 4",
                            w.x.size(), fraction * 100)
        .with_hint("use a larger --fraction or log more often");
  }
  LM_ASSIGN_OR_RETURN(e.fit, fit_power_law(w.x, w.y));
  e.points_used = static_cast<int>(w.x.size());
  if (target > 0) e.final_tokens = target;
  e.predicted = e.fit.law(e.final_tokens);
  if (target <= 0) score_against_actual(m, &e);
  return e;
}

Result<std::vector<Alert>> monitor(const Metrics& m, const MonitorOptions& opt) {
  std::vector<Alert> alerts;
  const auto& pts = m.points;
  PowerLawFit fit;
  bool have_fit = false;
  double sigma = 0;
  size_t fitted_at = 0;
  int above = 0;
  for (size_t i = 0; i < pts.size(); ++i) {
    const MetricPoint& p = pts[i];
    if (!p.loss_finite) {
      alerts.push_back({p.step, p.tokens, p.loss, NAN, NAN, "non-finite"});
      continue;
    }
    if (static_cast<int>(i) >= opt.warmup_points &&
        (!have_fit || i >= fitted_at + std::max<size_t>(1, fitted_at / 20))) {
      Window w = fit_window(pts, i, p.tokens * opt.skip);
      auto f = w.x.size() >= 4 ? fit_power_law(w.x, w.y, have_fit ? &fit.law : nullptr)
                               : Result<PowerLawFit>(invalid_argument("too few points"));
      if (f.ok()) {
        fit = *f;
        have_fit = true;
        fitted_at = i;
        std::vector<double> res;
        for (size_t k = 0; k < w.x.size(); ++k) res.push_back(std::log(w.y[k] / fit.law(w.x[k])));
        sigma = robust_sigma(res);
      }
    }
    if (!have_fit) continue;
    double pred = fit.law(p.tokens);
    double upper = pred * std::exp(std::max(opt.band * sigma, std::log1p(opt.min_band)));
    if (p.loss > upper) {
      ++above;
      alerts.push_back({p.step, p.tokens, p.loss, pred, upper,
                        above >= opt.divergence_run ? "divergence" : "spike"});
    } else {
      above = 0;
    }
  }
  return alerts;
}

Status watch_metrics(const std::string& path, const WatchOptions& opt,
                     const std::function<void(const Alert&)>& on_alert) {
  size_t reported = 0, last_size = 0;
  double idle = 0;
  for (;;) {
    auto text = read_file(path);
    if (text.ok() && text->size() != last_size) {
      last_size = text->size();
      idle = 0;
      LM_ASSIGN_OR_RETURN(Metrics m, parse_metrics(*text, path));
      LM_ASSIGN_OR_RETURN(auto alerts, monitor(m, opt.monitor));
      for (; reported < alerts.size(); ++reported) on_alert(alerts[reported]);
    } else if (!text.ok() && !opt.follow) {
      return text.status();
    }
    if (!opt.follow || idle >= opt.idle) break;
    std::this_thread::sleep_for(std::chrono::duration<double>(opt.interval));
    idle += opt.interval;
  }
  return ok_status();
}

nlohmann::json alert_json(const Alert& a) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
  return {{"step", a.step},
          {"tokens", a.tokens},
          {"kind", a.kind},
          {"loss", num(a.loss)},
          {"predicted", num(a.predicted)},
          {"upper", num(a.upper)}};
}

std::string format_alert(const Alert& a) {
  return fmt::format("step {:>8.0f}  {:<10} loss {:.4f}  predicted {:.4f}  band upper {:.4f}\n",
                     a.step, a.kind, a.loss, a.predicted, a.upper);
}

nlohmann::json monitor_json(const std::vector<Alert>& alerts) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& a : alerts) all.push_back(alert_json(a));
  return {{"alerts", all}, {"count", all.size()}};
}

nlohmann::json extrapolation_json(const Extrapolation& e, double fraction) {
  nlohmann::json j = {{"fraction", fraction},           {"fit_until_tokens", e.fit_until},
                      {"final_tokens", e.final_tokens}, {"predicted_loss", e.predicted},
                      {"L_inf", e.fit.law.l_inf},       {"x0", e.fit.law.x0},
                      {"alpha", e.fit.law.alpha},       {"points_used", e.points_used}};
  if (std::isfinite(e.actual)) {
    j["actual_loss"] = e.actual;
    j["error"] = e.error;
    j["relative_error"] = e.rel_error;
  }
  return j;
}

std::string format_extrapolation(const Extrapolation& e, double fraction) {
  std::string s = fmt::format(
      "fit on the first {:.0f}% ({} points up to {:.4g} tokens): L = {:.4f} + ({:.4g}/t)^{:.4f}\n",
      fraction * 100, e.points_used, e.fit_until, e.fit.law.l_inf, e.fit.law.x0, e.fit.law.alpha);
  s += fmt::format("predicted loss at {:.4g} tokens: {:.4f}\n", e.final_tokens, e.predicted);
  if (std::isfinite(e.actual))
    s += fmt::format("actual {:.4f}; error {:+.4f} ({:+.2f}%)\n", e.actual, e.error,
                     e.rel_error * 100);
  return s;
}

}  // namespace lm::scaling
