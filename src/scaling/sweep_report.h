// sweep_report.h: the text `scaling sweep` prints: the planned runs (trained, skipped, resumed)
// with their non-embedding and embedding parameters and validation loss, then (not for a dry
// run) the Approach 3 fit, the held-out prediction against its actual loss, the fitted E against
// the data's true entropy when known, what the fit can and cannot tell at this size
// (sweep_reading), and the files written.
#pragma once

#include <string>

#include "scaling/sweep.h"

namespace lm::scaling {

std::string format_sweep(const SweepConfig& c, const SweepResult& r, bool dry_run);

// What the fit of `r` can and cannot tell, from its own figures: the span of N and D and the
// non-embedding share, whether E is identified, the held-out error and how far it extrapolated.
std::string sweep_reading(const SweepConfig& c, const SweepResult& r);

}  // namespace lm::scaling
