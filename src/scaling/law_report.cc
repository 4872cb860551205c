// law_report.cc: the published laws evaluated at the user's quantities (JSON + text) and the
// law-name dispatch of compute-optimal allocation. The constants live in laws.cc.
#include "scaling/law_report.h"

#include <fmt/core.h>

#include <cmath>
#include <iterator>

#include "scaling/fit_io.h"

namespace lm::scaling {
namespace {

using nlohmann::json;

json law_json(const PowerLaw& p, double x) {
  double l = p(x);
  return {{"loss", l},
          {"irreducible", p.l_inf},
          {"reducible", l - p.l_inf},
          {"x0", p.x0},
          {"alpha", p.alpha}};
}

json chinchilla_json(const ChinchillaParams& p, double n, double d) {
  return {
      {"loss", p.loss(n, d)},
      {"E", p.E},
      {"model_term", p.A / std::pow(n, p.alpha)},
      {"data_term", p.B / std::pow(d, p.beta)},
      {"A", p.A},
      {"B", p.B},
      {"alpha", p.alpha},
      {"beta", p.beta},
      {"L_of_N", {{"irreducible", p.E}, {"x0", std::pow(p.A, 1 / p.alpha)}, {"alpha", p.alpha}}},
      {"L_of_D", {{"irreducible", p.E}, {"x0", std::pow(p.B, 1 / p.beta)}, {"alpha", p.beta}}}};
}

// KM eq. 1.6 L(N, S_min) (at batch B tokens: S_min from B_crit(L), solved for L) and eq. 5.1
// B_crit(L) at loss L.
void add_km_steps(const LawQuery& q, json* j) {
  if (q.params > 0 && q.steps > 0) {
    double l = q.batch > 0 ? km_loss_ns_at_batch(q.params, q.steps, q.batch)
                           : km_loss_ns(q.params, q.steps);
    double s_min = q.batch > 0 ? km_s_min(q.steps, q.batch, l) : q.steps;
    (*j)["kaplan"]["L_NS"] = {
        {"loss", l}, {"S_min", s_min}, {"B_crit", km_b_crit(l)}, {"irreducible", 0.0}};
  }
  if (q.loss > 0) (*j)["kaplan"]["B_crit"] = {{"loss", q.loss}, {"tokens", km_b_crit(q.loss)}};
}

json allocation_json(const Allocation& a, const std::string& law) {
  return {{"law", law},
          {"compute", a.compute},
          {"N_opt", a.n_opt},
          {"D_opt", a.d_opt},
          {"tokens_per_param", a.tokens_per_param()},
          {"loss", a.loss},
          {"G", a.G},
          {"a", a.a},
          {"b", a.b}};
}

}  // namespace

Result<json> evaluate_laws(const LawQuery& q) {
  json j;
  if (q.params > 0) j["kaplan"]["L_N"] = law_json(km_law_n(), q.params);
  if (q.tokens > 0) j["kaplan"]["L_D"] = law_json(km_law_d(), q.tokens);
  if (q.compute > 0) {
    j["kaplan"]["L_Cmin"] = law_json(km_law_cmin(), q.compute / kPfDay);
    j["kaplan"]["L_Cmin"]["compute_pf_days"] = q.compute / kPfDay;
  }
  add_km_steps(q, &j);
  if (q.params > 0 && q.tokens > 0) {
    j["kaplan"]["L_ND"] = {{"loss", km_loss_nd(q.params, q.tokens)}, {"irreducible", 0.0}};
    j["chinchilla"]["rounded"] = chinchilla_json(chinchilla_rounded(), q.params, q.tokens);
    j["chinchilla"]["unrounded"] = chinchilla_json(chinchilla_unrounded(), q.params, q.tokens);
    j["chinchilla"]["epoch_2024"] = chinchilla_json(epoch_2024(), q.params, q.tokens);
    if (q.unique > 0) {
      DataConstrained d = data_constrained_loss(q.params, q.tokens, q.unique);
      j["data_constrained"] = {{"loss", d.loss},
                               {"D_eff", d.d_eff},
                               {"N_eff", d.n_eff},
                               {"epochs", q.tokens / q.unique},
                               {"U_N", d.u_n}};
    }
  }
  if (j.is_null()) {
    return Status(Code::kInvalidArgument, "nothing to evaluate",
                  "give --params N and/or --tokens D and/or --compute C (FLOPs), "
                  "--unique-tokens U for the data-constrained law, --steps S [--batch B] for "
                  "KM's L(N, S_min), --loss L for B_crit");
  }
  return j;
}

std::string format_laws(const json& j) {
  std::string s;
  auto out = std::back_inserter(s);
  auto pl = [&](const char* name, const json& v) {
    fmt::format_to(out, "{:<28} {:.5f}  = {} + ({:.4g}/x)^{}\n", name, v["loss"].get<double>(),
                   v["irreducible"].get<double>(), v["x0"].get<double>(), v["alpha"].get<double>());
  };
  if (j.contains("kaplan")) {
    const json& k = j["kaplan"];
    s += "Kaplan et al. 2020 (N non-embedding, loss in nats/token, L_inf = 0 as published):\n";
    if (k.contains("L_N")) pl("  L(N)", k["L_N"]);
    if (k.contains("L_D")) pl("  L(D)", k["L_D"]);
    if (k.contains("L_Cmin")) pl("  L(C_min) [C in PF-days]", k["L_Cmin"]);
    if (k.contains("L_NS")) {
      const auto& v = k["L_NS"];
      fmt::format_to(
          out,
          "  {:<26} {:.5f}  (eq. 1.6: (8.8e13/N)^0.076 + (2.1e3/S_min)^0.76, S_min {:.4g}, "
          "B_crit {:.4g} tokens)\n",
          "L(N,S_min)", v["loss"].get<double>(), v["S_min"].get<double>(),
          v["B_crit"].get<double>());
    }
    if (k.contains("B_crit"))
      fmt::format_to(out, "  B_crit(L = {}) = {:.4g} tokens (eq. 5.1: 2e8 / L^(1/0.21))\n",
                     k["B_crit"]["loss"].get<double>(), k["B_crit"]["tokens"].get<double>());
    if (k.contains("L_ND"))
      fmt::format_to(out,
                     "  {:<26} {:.5f}  (Table 2: [(6.4e13/N)^(0.076/0.103) + 1.8e13/D]^0.103)\n",
                     "L(N,D)", k["L_ND"]["loss"].get<double>());
  }
  if (j.contains("chinchilla")) {
    s += "Chinchilla L(N,D) = E + A/N^alpha + B/D^beta (irreducible + model + data terms):\n";
    for (auto& [k, v] : j["chinchilla"].items())
      fmt::format_to(out, "  {:<26} {:.5f}  = {:.4f} + {:.4f} + {:.4f}\n", k,
                     v["loss"].get<double>(), v["E"].get<double>(), v["model_term"].get<double>(),
                     v["data_term"].get<double>());
  }
  if (j.contains("data_constrained")) {
    const json& d = j["data_constrained"];
    fmt::format_to(out,
                   "Muennighoff et al. 2023 (repeated data, {:.3g} epochs): L = {:.5f}, D' = "
                   "{:.4g}, N' = {:.4g}\n",
                   d["epochs"].get<double>(), d["loss"].get<double>(), d["D_eff"].get<double>(),
                   d["N_eff"].get<double>());
  }
  return s;
}

Result<Allocation> law_allocation(const std::string& law, double compute) {
  if (law == "km") return km_allocation(compute);
  if (law == "chinchilla") return chinchilla_allocation(chinchilla_rounded(), compute);
  if (law == "chinchilla-unrounded") return chinchilla_allocation(chinchilla_unrounded(), compute);
  if (law == "epoch") return chinchilla_allocation(epoch_2024(), compute);
  auto p = load_fit_params(law);
  if (!p.ok()) {
    return p.status().with_hint(
        "--law is chinchilla, chinchilla-unrounded, epoch, km or a FIT.json");
  }
  return chinchilla_allocation(*p, compute);
}

Result<OptimalReport> optimal_allocation(const std::string& law, double compute) {
  LM_RETURN_IF_ERROR(check_positive("--compute", compute));
  OptimalReport r;
  r.law = law;
  r.compute = compute;
  LM_ASSIGN_OR_RETURN(r.allocation, law_allocation(law, compute));
  r.km = km_allocation(compute);
  return r;
}

json optimal_json(const OptimalReport& r) {
  json j = allocation_json(r.allocation, r.law);
  if (r.law != "km") j["km"] = allocation_json(r.km, "km");
  return j;
}

std::string format_optimal(const OptimalReport& r) {
  std::string s;
  auto out = std::back_inserter(s);
  auto row = [&](const char* name, const Allocation& x) {
    fmt::format_to(out,
                   "{:<22} {:>11.4g} {:>11.4g} {:>9.2f} {:>9.5f} {:>10.4g} {:>7.4f} {:>7.4f}\n",
                   name, x.n_opt, x.d_opt, x.tokens_per_param(), x.loss, x.G, x.a, x.b);
  };
  fmt::format_to(out, "C = {:.4g} FLOPs ({:.4g} PF-days), C = 6 N D\n", r.compute,
                 r.compute / kPfDay);
  fmt::format_to(out, "{:<22} {:>11} {:>11} {:>9} {:>9} {:>10} {:>7} {:>7}\n", "law", "N_opt",
                 "D_opt", "D/N", "loss", "G", "a", "b");
  row(r.law.c_str(), r.allocation);
  if (r.law != "km") row("km (Fig. 14, a=0.73)", r.km);
  return s;
}

}  // namespace lm::scaling
