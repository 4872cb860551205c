// fit_io.cc: fit results to and from JSON (plain numbers, SI units).
#include "scaling/fit_io.h"

#include <cmath>

#include "core/file_util.h"

namespace lm::scaling {

nlohmann::json approach3_json(const Approach3Result& r) {
  nlohmann::json j = {{"E", r.params.E},
                      {"A", r.params.A},
                      {"B", r.params.B},
                      {"alpha", r.params.alpha},
                      {"beta", r.params.beta},
                      {"objective", r.objective},
                      {"converged", r.converged},
                      {"message", r.message},
                      {"starts", r.starts},
                      {"starts_near_best", r.starts_near_best},
                      {"seconds", r.seconds},
                      {"E_identified", r.e_identified},
                      {"a", r.params.beta / (r.params.alpha + r.params.beta)},
                      {"b", r.params.alpha / (r.params.alpha + r.params.beta)}};
  if (r.bootstrap > 0) {
    auto iv = [](const Interval& v) { return nlohmann::json::array({v.lo, v.hi}); };
    j["bootstrap"] = r.bootstrap;
    j["E_collapsed_share"] = r.e_collapsed_share;
    j["intervals"] = {{"E", iv(r.E)},         {"A", iv(r.A)},       {"B", iv(r.B)},
                      {"alpha", iv(r.alpha)}, {"beta", iv(r.beta)}, {"a", iv(r.a_share)}};
    j["se"] = {{"E", r.E.se},         {"A", r.A.se},       {"B", r.B.se},
               {"alpha", r.alpha.se}, {"beta", r.beta.se}, {"a", r.a_share.se}};
  } else {
    j["intervals"] = nullptr;
  }
  return j;
}

nlohmann::json allocation_fit_json(const AllocationFit& f) {
  nlohmann::json pts = nlohmann::json::array();
  for (size_t i = 0; i < f.c.size(); ++i)
    pts.push_back(
        {{"flops", f.c[i]}, {"N_opt", f.n_opt[i]}, {"D_opt", f.d_opt[i]}, {"loss", f.loss[i]}});
  return {{"a", f.a},     {"b", f.b},      {"G_n", f.g_n},
          {"G_d", f.g_d}, {"points", pts}, {"note", f.note}};
}

nlohmann::json power_law_json(const PowerLawFit& f) {
  return {{"L_inf", f.law.l_inf},
          {"x0", f.law.x0},
          {"alpha", f.law.alpha},
          {"rmse_log", f.rmse_log},
          {"points", f.points},
          {"converged", f.converged},
          {"pure", {{"x0", f.pure.x0}, {"alpha", f.pure.alpha}}}};
}

Result<ChinchillaParams> load_fit_params(const std::string& path) {
  LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return corrupt("{}: not a JSON object", path);
  if (j.contains("approach3") && j["approach3"].is_object()) j = j["approach3"];
  ChinchillaParams p;
  double* fields[] = {&p.E, &p.A, &p.B, &p.alpha, &p.beta};
  const char* names[] = {"E", "A", "B", "alpha", "beta"};
  for (int i = 0; i < 5; ++i) {
    if (!j.contains(names[i]) || !j[names[i]].is_number()) {
      return invalid_argument("{}: no number '{}'", path, names[i])
          .with_hint("give a JSON written by `lmforge scaling fit --json` (or --out)");
    }
    *fields[i] = j[names[i]].get<double>();
  }
  if (!(p.A > 0 && p.B > 0 && p.alpha > 0 && p.beta > 0 && std::isfinite(p.E))) {
    return invalid_argument("{}: A, B, alpha, beta must be positive", path);
  }
  return p;
}

}  // namespace lm::scaling
