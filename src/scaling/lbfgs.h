// lbfgs.h: a small unconstrained L-BFGS minimiser (Nocedal & Wright, Alg. 7.4 and 7.5) with a
// backtracking line search that also checks the curvature condition before updating the history.
// Used by the scaling-law fits; deterministic and allocation-free per iteration.
// Stops on a small gradient, a stalled relative decrease or the iteration cap, and says which.
#pragma once

#include <functional>
#include <vector>

namespace lm::scaling {

// f(x, grad) returns the objective and fills grad (same size as x).
using Objective = std::function<double(const std::vector<double>& x, std::vector<double>* grad)>;

struct LbfgsOptions {
  int history = 10;
  int max_iterations = 1000;
  double gtol = 1e-5;       // stop when max |grad_i| <= gtol
  double ftol = 2.2e-9;     // stop when (f_k - f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) <= ftol
  double ftol_scale = 1.0;  // the "1" above; 0 makes ftol purely relative
};

struct LbfgsResult {
  std::vector<double> x;
  double f = 0;
  int iterations = 0;
  int evaluations = 0;
  bool converged = false;  // gradient or decrease criterion met (not the iteration cap)
  const char* reason = "";
};

LbfgsResult lbfgs_minimize(const Objective& f, std::vector<double> x0, const LbfgsOptions& opt);

}  // namespace lm::scaling
