// law_report.h: what `scaling law` and `scaling optimal` compute and print: the published laws
// (KM, Chinchilla rounded / unrounded / Epoch 2024, Muennighoff's data-constrained law) at the
// given N, D, C, U, S, B, L as one JSON object and its text form, and the compute-optimal
// allocation of a budget under a law named on the command line (or a fit.json).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"
#include "scaling/laws.h"

namespace lm::scaling {

// Zero means "not given".
struct LawQuery {
  double params = 0, tokens = 0, compute = 0, unique = 0, steps = 0, batch = 0, loss = 0;
};

// Every law that the given quantities determine; an error when none does.
Result<nlohmann::json> evaluate_laws(const LawQuery& q);
std::string format_laws(const nlohmann::json& laws);

// law: chinchilla, chinchilla-unrounded, epoch, km, or the path of a fit.json.
Result<Allocation> law_allocation(const std::string& law, double compute);

struct OptimalReport {
  std::string law;
  double compute = 0;
  Allocation allocation, km;  // km: KM's Fig. 14 allocation, shown beside every other law
};
Result<OptimalReport> optimal_allocation(const std::string& law, double compute);
nlohmann::json optimal_json(const OptimalReport& r);
std::string format_optimal(const OptimalReport& r);

}  // namespace lm::scaling
