// powerlaw_fit.h: least-squares fits of single-variable laws in log space:
// L(x) = L_inf + (x0/x)^alpha (irreducible + reducible; log-sum-exp form, L-BFGS from a small grid)
// and KM's pure form L(x) = (x0/x)^alpha (ordinary least squares of log L on log x); also the
// straight line y = c + k x used by Approaches 1 and 2 for N_opt = G C^a.
#pragma once

#include <vector>

#include "core/status.h"
#include "scaling/laws.h"

namespace lm::scaling {

struct LineFit {
  double intercept = 0, slope = 0, r2 = 0;
};
// Ordinary least squares; needs >= 2 distinct x.
Result<LineFit> fit_line(const std::vector<double>& x, const std::vector<double>& y);

struct PowerLawFit {
  PowerLaw law;         // L_inf + (x0/x)^alpha
  PowerLaw pure;        // KM form, L_inf = 0
  double rmse_log = 0;  // of the irreducible form, in log loss
  int points = 0;
  bool converged = false;
};

// x > 0, loss > 0; needs >= 3 points (4 or more recommended). `init` (a previous fit, e.g. while
// monitoring a live run) replaces the 60-start grid by itself plus 4 starts.
Result<PowerLawFit> fit_power_law(const std::vector<double>& x, const std::vector<double>& loss,
                                  const PowerLaw* init = nullptr);

// Parabola y = c0 + c1 t + c2 t^2 by least squares (>= 3 distinct t).
Result<std::vector<double>> fit_parabola(const std::vector<double>& t,
                                         const std::vector<double>& y);

}  // namespace lm::scaling
