// approaches.h: Chinchilla Approaches 1 and 2 and KM's single-variable power laws on runs.csv.
// Approach 1: envelope of minimum loss over compute (per-run curves when rows share a name,
// else the best run per log-compute bin), then N_opt = G C^a. Approach 2: a parabola of loss in
// log N per IsoFLOP budget, its minimum, then a power law through the minima.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "scaling/powerlaw_fit.h"
#include "scaling/runs.h"

namespace lm::scaling {

struct AllocationFit {
  double a = 0;    // N_opt ~ C^a
  double b = 0;    // D_opt ~ C^b
  double g_n = 0;  // N_opt = G_n C^a  (C in FLOPs)
  double g_d = 0;  // D_opt = G_d C^b
  int points = 0;
  std::vector<double> c, n_opt, d_opt, loss;  // the optima the power law went through
  std::string note;
  double n_at(double c_flops) const;
  double d_at(double c_flops) const;
};

struct IsoFlopGroup {
  double compute = 0;            // geometric mean of the group's FLOPs
  std::vector<size_t> runs;      // indices into the table
  std::vector<double> parabola;  // loss = p0 + p1 ln N + p2 (ln N)^2 (empty: not fitted)
  double n_opt = 0, loss_opt = 0;
  bool inside = false;  // the minimum lies within the group's N range
};

// Groups runs whose FLOPs agree within `rel_tol` (relative, in log space).
std::vector<IsoFlopGroup> isoflop_groups(const RunsTable& t, double rel_tol = 0.1);

Result<AllocationFit> fit_approach1(const RunsTable& t);
Result<AllocationFit> fit_approach2(const RunsTable& t, std::vector<IsoFlopGroup>* groups);

struct KmFits {
  PowerLawFit l_n, l_d, l_c;  // frontier (minimum loss per log bin) of each variable
};
Result<KmFits> fit_km_laws(const RunsTable& t);

}  // namespace lm::scaling
