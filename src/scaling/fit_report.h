// fit_report.h: the one fit of a runs table that `scaling fit` and `scaling sweep` both compute
// and write as fit.json: Approach 3 (with its bootstrap resamples), Approaches 1 and 2 and KM's
// single-variable laws. One schema (fit_report_json): Approach 3's fields at the top level, then
// "runs", "approach1", "approach2", "km" (each an object, or {"error": ...} when not fitted) and,
// with a bootstrap, "bootstrap_params". `report` and `scaling optimal --law` read it back.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/status.h"
#include "scaling/approach3.h"
#include "scaling/approaches.h"

namespace lm::scaling {

struct FitReport {
  size_t runs = 0;
  Approach3Result approach3;
  std::optional<AllocationFit> approach1, approach2;  // empty: not fitted, see *_error
  std::string approach1_error, approach2_error;
  std::optional<KmFits> km;
  std::string km_error;
};

// Approach 3 must succeed (its error is returned); the others are reported when they fail.
Result<FitReport> fit_runs(const RunsTable& t, const Approach3Options& opt);

nlohmann::json fit_report_json(const FitReport& r);
Status write_fit_json(const std::string& path, const FitReport& r);
// Reads a fit.json written by `scaling fit --out` or `scaling sweep` (intervals, bootstrap
// resamples and Approach 1/2 slopes included); errors name the file and the missing field.
Result<FitReport> read_fit_json(const std::string& path);

// The text `scaling fit` prints (header line "<runs_path>: N runs" first).
std::string format_fit_report(const FitReport& r, const std::string& runs_path);
// The Approach 3 block alone (as `scaling sweep` prints it).
std::string format_approach3(const Approach3Result& r);

}  // namespace lm::scaling
