// fit_io.h: the JSON form of fits (what `scaling fit --json` prints and writes, and what
// `scaling optimal --law FIT.json` reads back): E, A, B, alpha, beta, objective, converged and
// the bootstrap intervals, plus the Approach 1/2 and KM results when present.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"
#include "scaling/approach3.h"
#include "scaling/approaches.h"

namespace lm::scaling {

nlohmann::json approach3_json(const Approach3Result& r);
nlohmann::json allocation_fit_json(const AllocationFit& f);
nlohmann::json power_law_json(const PowerLawFit& f);

// Reads E, A, B, alpha, beta from a fit JSON (top level or under "approach3").
Result<ChinchillaParams> load_fit_params(const std::string& path);

}  // namespace lm::scaling
