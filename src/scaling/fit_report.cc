// fit_report.cc: fit_runs (Approach 3 + 1 + 2 + KM on one runs table), fit.json out and back
// in, and the text report of `scaling fit` / `scaling sweep`. The JSON of each part is
// fit_io.cc's; the fits themselves are approach3.cc's and approaches.cc's.
#include "scaling/fit_report.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <iterator>

#include "core/file_util.h"
#include "scaling/fit_io.h"

namespace lm::scaling {

using nlohmann::json;

Result<FitReport> fit_runs(const RunsTable& t, const Approach3Options& opt) {
  FitReport r;
  r.runs = t.runs.size();
  LM_ASSIGN_OR_RETURN(r.approach3, fit_approach3(t, opt));
  auto a1 = fit_approach1(t);
  if (a1.ok())
    r.approach1 = *a1;
  else
    r.approach1_error = a1.status().message();
  std::vector<IsoFlopGroup> groups;
  auto a2 = fit_approach2(t, &groups);
  if (a2.ok())
    r.approach2 = *a2;
  else
    r.approach2_error = a2.status().message();
  auto km = fit_km_laws(t);
  if (km.ok())
    r.km = *km;
  else
    r.km_error = km.status().message();
  return r;
}

json fit_report_json(const FitReport& r) {
  json j = approach3_json(r.approach3);
  j["runs"] = r.runs;
  j["approach1"] =
      r.approach1 ? allocation_fit_json(*r.approach1) : json({{"error", r.approach1_error}});
  j["approach2"] =
      r.approach2 ? allocation_fit_json(*r.approach2) : json({{"error", r.approach2_error}});
  if (r.km) {
    j["km"] = {{"L_N", power_law_json(r.km->l_n)},
               {"L_D", power_law_json(r.km->l_d)},
               {"L_C", power_law_json(r.km->l_c)}};
  } else {
    j["km"] = {{"error", r.km_error}};
  }
  if (!r.approach3.bootstrap_params.empty()) {
    json bp = json::array();
    for (const auto& p : r.approach3.bootstrap_params)
      bp.push_back({p.E, p.A, p.B, p.alpha, p.beta});
    j["bootstrap_params"] = bp;
  }
  return j;
}

Status write_fit_json(const std::string& path, const FitReport& r) {
  return write_file_atomic(path, fit_report_json(r).dump(1) + "\n");
}

namespace {

double num(const json& j, const char* key, double dflt = 0) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : dflt;
}

// nlohmann::json writes a non-finite double as null: an unbounded interval end, standard error
// or bootstrap parameter (A or B running off to inf when E is not identified) reads back as inf
// (-inf for an interval's lower end). Anything else that is not a number is not one.
bool number_or_null(const json& v) { return v.is_number() || v.is_null(); }
double number_or_inf(const json& v, double inf = INFINITY) {
  return v.is_number() ? v.get<double>() : inf;
}

Result<Interval> interval_of(const json& j, const char* key, const std::string& path) {
  Interval iv;
  if (j.contains("intervals") && j["intervals"].is_object() && j["intervals"].contains(key)) {
    const json& v = j["intervals"][key];
    if (!v.is_array() || v.size() != 2 || !number_or_null(v[0]) || !number_or_null(v[1]))
      return corrupt("{}: intervals.{} is not [lo, hi]", path, key);
    iv.lo = number_or_inf(v[0], -INFINITY);
    iv.hi = number_or_inf(v[1]);
  }
  if (j.contains("se") && j["se"].is_object() && j["se"].contains(key)) {
    const json& se = j["se"][key];
    iv.se = se.is_null() ? INFINITY : num(j["se"], key);
  }
  return iv;
}

std::optional<AllocationFit> allocation_of(const json& j, std::string* error) {
  if (!j.is_object() || !j.contains("a")) {
    *error = j.is_object() && j.contains("error") && j["error"].is_string()
                 ? j["error"].get<std::string>()
                 : (j.is_string() ? j.get<std::string>() : "not in the file");
    return std::nullopt;
  }
  AllocationFit f;
  f.a = num(j, "a");
  f.b = num(j, "b");
  f.g_n = num(j, "G_n");
  f.g_d = num(j, "G_d");
  if (j.contains("points") && j["points"].is_array()) {
    for (const auto& p : j["points"]) {
      f.c.push_back(num(p, "flops"));
      f.n_opt.push_back(num(p, "N_opt"));
      f.d_opt.push_back(num(p, "D_opt"));
      f.loss.push_back(num(p, "loss"));
    }
  }
  f.points = static_cast<int>(f.c.size());
  if (j.contains("note") && j["note"].is_string()) f.note = j["note"].get<std::string>();
  return f;
}

PowerLawFit power_law_of(const json& j) {
  PowerLawFit f;
  f.law = {num(j, "L_inf"), num(j, "x0"), num(j, "alpha")};
  if (j.contains("pure") && j["pure"].is_object())
    f.pure = {0, num(j["pure"], "x0"), num(j["pure"], "alpha")};
  f.rmse_log = num(j, "rmse_log");
  f.points = static_cast<int>(num(j, "points"));
  f.converged =
      j.contains("converged") && j["converged"].is_boolean() && j["converged"].get<bool>();
  return f;
}

}  // namespace

Result<FitReport> read_fit_json(const std::string& path) {
  LM_ASSIGN_OR_RETURN(ChinchillaParams params, load_fit_params(path));
  LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  json top = json::parse(text, nullptr, false);
  // Files of older sweeps kept Approach 3 under "approach3".
  const json& j =
      top.contains("approach3") && top["approach3"].is_object() ? top["approach3"] : top;
  FitReport r;
  Approach3Result& a = r.approach3;
  a.params = params;
  a.objective = num(j, "objective");
  a.converged =
      j.contains("converged") && j["converged"].is_boolean() && j["converged"].get<bool>();
  if (j.contains("message") && j["message"].is_string())
    a.message = j["message"].get<std::string>();
  a.starts = static_cast<int>(num(j, "starts"));
  a.starts_near_best = static_cast<int>(num(j, "starts_near_best"));
  a.seconds = num(j, "seconds");
  a.e_identified =
      j.contains("E_identified") && j["E_identified"].is_boolean() && j["E_identified"].get<bool>();
  a.bootstrap = static_cast<int>(num(j, "bootstrap"));
  a.e_collapsed_share = num(j, "E_collapsed_share");
  LM_ASSIGN_OR_RETURN(a.E, interval_of(j, "E", path));
  LM_ASSIGN_OR_RETURN(a.A, interval_of(j, "A", path));
  LM_ASSIGN_OR_RETURN(a.B, interval_of(j, "B", path));
  LM_ASSIGN_OR_RETURN(a.alpha, interval_of(j, "alpha", path));
  LM_ASSIGN_OR_RETURN(a.beta, interval_of(j, "beta", path));
  LM_ASSIGN_OR_RETURN(a.a_share, interval_of(j, "a", path));
  if (top.contains("bootstrap_params") && top["bootstrap_params"].is_array()) {
    for (const auto& p : top["bootstrap_params"]) {
      if (!p.is_array() || p.size() != 5 ||
          !std::all_of(p.begin(), p.end(), [](const json& v) { return number_or_null(v); }))
        return corrupt("{}: bootstrap_params holds a row that is not [E, A, B, alpha, beta]", path);
      a.bootstrap_params.push_back({number_or_inf(p[0]), number_or_inf(p[1]), number_or_inf(p[2]),
                                    number_or_inf(p[3]), number_or_inf(p[4])});
    }
  }
  r.runs = static_cast<size_t>(num(top, "runs"));
  r.approach1 = allocation_of(top.value("approach1", json()), &r.approach1_error);
  r.approach2 = allocation_of(top.value("approach2", json()), &r.approach2_error);
  if (top.contains("km") && top["km"].is_object() && top["km"].contains("L_N")) {
    r.km = KmFits{power_law_of(top["km"]["L_N"]), power_law_of(top["km"]["L_D"]),
                  power_law_of(top["km"]["L_C"])};
  } else {
    r.km_error = "not in the file";
  }
  return r;
}

std::string format_approach3(const Approach3Result& r) {
  std::string s;
  auto out = std::back_inserter(s);
  if (!r.converged) fmt::format_to(out, "NOT CONVERGED: {}\n", r.message);
  fmt::format_to(out, "Approach 3 (Huber delta 1e-3 on log loss, {} L-BFGS starts, {:.3f} s):\n",
                 r.starts, r.seconds);
  fmt::format_to(out, "  objective {:.10g}  ({})\n", r.objective, r.message);
  auto p = [&](const char* n, double v, const Interval& iv) {
    if (r.bootstrap > 0)
      fmt::format_to(out, "  {:<6} {:>12.6g}   [{:.6g}, {:.6g}]  s.e. {:.3g}\n", n, v, iv.lo, iv.hi,
                     iv.se);
    else
      fmt::format_to(out, "  {:<6} {:>12.6g}\n", n, v);
  };
  if (r.bootstrap > 0)
    fmt::format_to(out, "  ({} bootstrap resamples, 95% percentile intervals)\n", r.bootstrap);
  p("E", r.params.E, r.E);
  if (!r.e_identified)
    s += "  E NOT IDENTIFIED: read E (and A, alpha) as a fit artefact, not the floor\n";
  p("A", r.params.A, r.A);
  p("B", r.params.B, r.B);
  p("alpha", r.params.alpha, r.alpha);
  p("beta", r.params.beta, r.beta);
  Allocation al = chinchilla_allocation(r.params, 1e21);
  p("a", al.a, r.a_share);
  fmt::format_to(out, "  G {:.5g}: N_opt = G (C/6)^a, D_opt = (C/6)^b / G\n", al.G);
  return s;
}

std::string format_fit_report(const FitReport& r, const std::string& runs_path) {
  std::string s = fmt::format("{}: {} runs\n", runs_path, r.runs);
  s += format_approach3(r.approach3);
  auto out = std::back_inserter(s);
  auto pa = [&](const char* n, const std::optional<AllocationFit>& f, const std::string& err) {
    if (f)
      fmt::format_to(out, "{}: N_opt ~ C^{:.4f}, D_opt ~ C^{:.4f} ({} points; {})\n", n, f->a, f->b,
                     f->points, f->note);
    else
      fmt::format_to(out, "{}: not fitted: {}\n", n, err);
  };
  pa("Approach 1", r.approach1, r.approach1_error);
  pa("Approach 2", r.approach2, r.approach2_error);
  if (r.km) {
    auto pk = [&](const char* n, const PowerLawFit& f) {
      fmt::format_to(out, "  {} = {:.4f} + ({:.4g}/x)^{:.4f}   (KM pure form: ({:.4g}/x)^{:.4f})\n",
                     n, f.law.l_inf, f.law.x0, f.law.alpha, f.pure.x0, f.pure.alpha);
    };
    s += "KM single-variable laws on the frontier (minimum loss per log bin):\n";
    pk("L(N)", r.km->l_n);
    pk("L(D)", r.km->l_d);
    pk("L(C)", r.km->l_c);
  }
  return s;
}

}  // namespace lm::scaling
