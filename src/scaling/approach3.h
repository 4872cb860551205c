// approach3.h: Chinchilla Approach 3 (Hoffmann et al. 2022, App. D.2): minimise
// sum_i Huber_delta(LSE(a - alpha log N_i, b - beta log D_i, e) - log L_i), delta = 1e-3, with
// L-BFGS from every point of the 4500-start grid, keep the best; bootstrap confidence intervals
// by refitting resampled runs. Parallel over starts with OpenMP; same answer for any threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "scaling/laws.h"
#include "scaling/runs.h"

namespace lm::scaling {

struct Approach3Options {
  double delta = 1e-3;
  int threads = 0;    // 0 = all cores
  int bootstrap = 0;  // resamples for the confidence intervals (0 = none)
  uint64_t seed = 42;
  double ci = 0.95;           // two-sided interval from bootstrap percentiles
  bool coarse_grid = false;   // 3x3x3x3x3 grid instead of Chinchilla's 5x5x5x6x6 (tests)
  int max_iterations = 1000;  // per L-BFGS run; hitting it marks the fit as not converged
};

struct Interval {
  double lo = 0, hi = 0, se = 0;
};

struct Approach3Result {
  ChinchillaParams params;
  double objective = 0;
  std::vector<double> raw;  // a, b, e, alpha, beta (A = e^a, B = e^b, E = e^e)
  int starts = 0;
  int starts_near_best = 0;  // finished within 1e-5 (relative) of the best objective
  bool converged = false;
  std::string message;  // why it is (not) considered converged
  double seconds = 0;
  // Bootstrap (when requested): intervals for E, A, B, alpha, beta and the allocation share a.
  int bootstrap = 0;
  Interval E, A, B, alpha, beta, a_share;
  std::vector<ChinchillaParams> bootstrap_params;  // one per resample (for confidence bands)
  // E is identified unless the fit, or the lower end of its bootstrap interval, sits at the
  // E = 0 boundary (below 1% of the lowest loss): then the runs cannot separate the irreducible
  // loss from a slowly decaying model/data term, and `message` carries a warning.
  bool e_identified = false;
  double e_collapsed_share = 0;  // share of bootstrap resamples with E at ~0
};

// Objective value and gradient at raw parameters p (a, b, e, alpha, beta).
double huber_lse_objective(const std::vector<double>& p, const std::vector<double>& log_n,
                           const std::vector<double>& log_d, const std::vector<double>& log_l,
                           double delta, std::vector<double>* grad);

// Needs at least 5 runs (5 parameters). Errors name the reason.
Result<Approach3Result> fit_approach3(const RunsTable& runs, const Approach3Options& opt);

}  // namespace lm::scaling
