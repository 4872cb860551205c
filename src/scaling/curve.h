// curve.h: a training run's metrics.jsonl (keys step, tokens, loss, lr, grad_norm,
// tokens_per_sec, mfu, val_loss; one JSON object per line) and what the scaling module does with
// it: extrapolate the final loss from the first part of the run (L(t) = L_inf + (t0/t)^alpha in
// tokens), and monitor a run for steps whose loss leaves the predicted band (spikes, divergence).
#pragma once

#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "scaling/powerlaw_fit.h"

namespace lm::scaling {

struct MetricPoint {
  double step = 0, tokens = 0, loss = 0, lr = NAN, grad_norm = NAN, val_loss = NAN;
  bool loss_finite = true;  // false when the loss was null/NaN/inf in the file
};

struct Metrics {
  std::vector<MetricPoint> points;  // training records (with a loss), in file order
  std::vector<MetricPoint> val;     // records with a val_loss
};

// Reads metrics.jsonl; lines without "step" are ignored (other events), bad JSON is an error
// naming path:line. `tokens` defaults to the step when absent.
Result<Metrics> read_metrics(const std::string& path);
Result<Metrics> parse_metrics(const std::string& text, const std::string& path);

struct Extrapolation {
  PowerLawFit fit;       // on the first `fraction` of the run
  double fit_until = 0;  // tokens of the last point used
  double final_tokens = 0;
  double predicted = 0;  // at final_tokens
  double actual = NAN;   // mean of the last 1% of training losses, at least 10 (NaN if none)
  double error = NAN;    // the prediction averaged over those same records - actual
  double rel_error = NAN;
  int points_used = 0;
};

// fraction in (0, 1]: the share of the run's tokens used for fitting; points before
// `skip` (share of tokens, warm-up) are ignored. target_tokens > 0 predicts at that many tokens.
Result<Extrapolation> extrapolate(const Metrics& m, double fraction, double skip = 0.05,
                                  double target_tokens = 0);

struct Alert {
  double step = 0, tokens = 0, loss = 0, predicted = 0, upper = 0;
  std::string kind;  // "spike", "divergence", "non-finite"
};

struct MonitorOptions {
  double band = 4.0;       // robust standard deviations of the log residuals
  double min_band = 0.02;  // floor of the band, relative (2%)
  int warmup_points = 20;  // points before the first check
  int divergence_run = 5;  // consecutive points above the band that make a divergence
  double skip = 0.05;      // share of tokens ignored as warm-up in the fits
};

// Walks the run in order as if it were live: refits on the points seen so far (every ~5% new
// points) and checks each new point against the band predicted from the past.
Result<std::vector<Alert>> monitor(const Metrics& m, const MonitorOptions& opt);

// `scaling monitor`: reads the metrics file, runs monitor() and hands each alert not reported
// yet to on_alert, in order. With follow, reads the file again every `interval` seconds while it
// grows and stops after `idle` seconds without growth (a missing file is then waited for).
struct WatchOptions {
  MonitorOptions monitor;
  bool follow = false;
  double interval = 10, idle = 600;
};
Status watch_metrics(const std::string& path, const WatchOptions& opt,
                     const std::function<void(const Alert&)>& on_alert);
nlohmann::json alert_json(const Alert& a);  // non-finite numbers as null
// What `scaling monitor` prints: one line per alert, and the JSON of all of them.
std::string format_alert(const Alert& a);
nlohmann::json monitor_json(const std::vector<Alert>& alerts);

// The JSON and the text that `scaling extrapolate` prints.
nlohmann::json extrapolation_json(const Extrapolation& e, double fraction);
std::string format_extrapolation(const Extrapolation& e, double fraction);

}  // namespace lm::scaling
