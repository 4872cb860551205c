// sweep_report.h: the text `scaling sweep` prints: the planned runs (trained, skipped, resumed),
// then (not for a dry run) the Approach 3 fit, the held-out prediction against its actual loss,
// the fitted E against the data's true entropy when known, and the files written.
#pragma once

#include <string>

#include "scaling/sweep.h"

namespace lm::scaling {

std::string format_sweep(const SweepConfig& c, const SweepResult& r, bool dry_run);

}  // namespace lm::scaling
