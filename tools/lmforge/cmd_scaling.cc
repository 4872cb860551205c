// cmd_scaling.cc: `lmforge scaling law|optimal|fit|extrapolate|monitor|sweep|synthetic`:
// evaluate published laws, allocate compute, fit runs.csv (Chinchilla Approaches 1-3, bootstrap
// CIs, KM power laws), extrapolate / monitor a run's loss curve, run an IsoFLOP sweep with the
// trainer, and write a Markov corpus of known entropy (the issue's `corpus synthetic`).
#include <fmt/core.h>
#include <unistd.h>

#include <climits>
#include <cmath>
#include <thread>

#include "cli.h"
#include "core/file_util.h"
#include "scaling/approach3.h"
#include "scaling/approaches.h"
#include "scaling/curve.h"
#include "scaling/fit_io.h"
#include "scaling/laws.h"
#include "scaling/sweep.h"
#include "scaling/synthetic.h"

namespace lm::cli {
namespace {

using namespace lm::scaling;
using nlohmann::json;

struct Opts {
  bool json = false;
  int threads = 0;
  // law / optimal
  double params = 0, tokens = 0, compute = 0, unique = 0, steps = 0, batch = 0, loss = 0;
  std::string law = "chinchilla";
  // fit
  std::string runs, out, col_params = "params", col_tokens = "tokens", col_loss = "loss",
                         col_flops = "flops";
  int drop_top = 0, bootstrap = 200, max_iterations = 1000;
  bool coarse = false;
  // extrapolate / monitor
  std::string metrics;
  double fraction = 0.5, skip = 0.05, target = 0, band = 4.0;
  bool follow = false;
  double interval = 10, idle = 600;
  // sweep
  std::string config, trainer;
  bool dry_run = false, no_holdout = false;
  int sweep_threads = -1;  // -1: the config's `threads`
  // synthetic
  SyntheticOptions syn;
};
Opts o;

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

void print_law(const json& j) {
  auto pl = [](const char* name, const json& v) {
    fmt::print("{:<28} {:.5f}  = {} + ({:.4g}/x)^{}\n", name, v["loss"].get<double>(),
               v["irreducible"].get<double>(), v["x0"].get<double>(), v["alpha"].get<double>());
  };
  if (j.contains("kaplan")) {
    fmt::print(
        "Kaplan et al. 2020 (N non-embedding, loss in nats/token, L_inf = 0 as published):\n");
    if (j["kaplan"].contains("L_N")) pl("  L(N)", j["kaplan"]["L_N"]);
    if (j["kaplan"].contains("L_D")) pl("  L(D)", j["kaplan"]["L_D"]);
    if (j["kaplan"].contains("L_Cmin")) pl("  L(C_min) [C in PF-days]", j["kaplan"]["L_Cmin"]);
    if (j["kaplan"].contains("L_NS")) {
      const auto& v = j["kaplan"]["L_NS"];
      fmt::print(
          "  {:<26} {:.5f}  (eq. 1.6: (8.8e13/N)^0.076 + (2.1e3/S_min)^0.76, S_min {:.4g}, "
          "B_crit {:.4g} tokens)\n",
          "L(N,S_min)", v["loss"].get<double>(), v["S_min"].get<double>(),
          v["B_crit"].get<double>());
    }
    if (j["kaplan"].contains("B_crit"))
      fmt::print("  B_crit(L = {}) = {:.4g} tokens (eq. 5.1: 2e8 / L^(1/0.21))\n",
                 j["kaplan"]["B_crit"]["loss"].get<double>(),
                 j["kaplan"]["B_crit"]["tokens"].get<double>());
    if (j["kaplan"].contains("L_ND"))
      fmt::print("  {:<26} {:.5f}  (Table 2: [(6.4e13/N)^(0.076/0.103) + 1.8e13/D]^0.103)\n",
                 "L(N,D)", j["kaplan"]["L_ND"]["loss"].get<double>());
  }
  if (j.contains("chinchilla")) {
    fmt::print(
        "Chinchilla L(N,D) = E + A/N^alpha + B/D^beta (irreducible + model + data terms):\n");
    for (auto& [k, v] : j["chinchilla"].items())
      fmt::print("  {:<26} {:.5f}  = {:.4f} + {:.4f} + {:.4f}\n", k, v["loss"].get<double>(),
                 v["E"].get<double>(), v["model_term"].get<double>(), v["data_term"].get<double>());
  }
  if (j.contains("data_constrained")) {
    auto& d = j["data_constrained"];
    fmt::print(
        "Muennighoff et al. 2023 (repeated data, {:.3g} epochs): L = {:.5f}, D' = {:.4g}, N' = "
        "{:.4g}\n",
        d["epochs"].get<double>(), d["loss"].get<double>(), d["D_eff"].get<double>(),
        d["N_eff"].get<double>());
  }
}

// KM eq. 1.6 L(N, S_min) (at --batch B tokens: S_min from B_crit(L), solved for L) and eq. 5.1
// B_crit(L) at --loss L.
void add_km_steps(json* j) {
  if (o.params > 0 && o.steps > 0) {
    double l = o.batch > 0 ? km_loss_ns_at_batch(o.params, o.steps, o.batch)
                           : km_loss_ns(o.params, o.steps);
    double s_min = o.batch > 0 ? km_s_min(o.steps, o.batch, l) : o.steps;
    (*j)["kaplan"]["L_NS"] = {
        {"loss", l}, {"S_min", s_min}, {"B_crit", km_b_crit(l)}, {"irreducible", 0.0}};
  }
  if (o.loss > 0) (*j)["kaplan"]["B_crit"] = {{"loss", o.loss}, {"tokens", km_b_crit(o.loss)}};
}

Status run_law() {
  json j;
  if (o.params > 0) j["kaplan"]["L_N"] = law_json({0, 8.8e13, 0.076}, o.params);
  if (o.tokens > 0) j["kaplan"]["L_D"] = law_json({0, 5.4e13, 0.095}, o.tokens);
  if (o.compute > 0) {
    j["kaplan"]["L_Cmin"] = law_json({0, 3.1e8, 0.050}, o.compute / kPfDay);
    j["kaplan"]["L_Cmin"]["compute_pf_days"] = o.compute / kPfDay;
  }
  add_km_steps(&j);
  if (o.params > 0 && o.tokens > 0) {
    j["kaplan"]["L_ND"] = {{"loss", km_loss_nd(o.params, o.tokens)}, {"irreducible", 0.0}};
    j["chinchilla"]["rounded"] = chinchilla_json(chinchilla_rounded(), o.params, o.tokens);
    j["chinchilla"]["unrounded"] = chinchilla_json(chinchilla_unrounded(), o.params, o.tokens);
    j["chinchilla"]["epoch_2024"] = chinchilla_json(epoch_2024(), o.params, o.tokens);
    if (o.unique > 0) {
      DataConstrained d = data_constrained_loss(o.params, o.tokens, o.unique);
      j["data_constrained"] = {{"loss", d.loss},
                               {"D_eff", d.d_eff},
                               {"N_eff", d.n_eff},
                               {"epochs", o.tokens / o.unique},
                               {"U_N", d.u_n}};
    }
  }
  if (j.is_null()) {
    return Status(Code::kInvalidArgument, "nothing to evaluate",
                  "give --params N and/or --tokens D and/or --compute C (FLOPs), "
                  "--unique-tokens U for the data-constrained law, --steps S [--batch B] for "
                  "KM's L(N, S_min), --loss L for B_crit");
  }
  if (o.json)
    print_json(j);
  else
    print_law(j);
  return ok_status();
}

json alloc_json(const Allocation& a, const std::string& law) {
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

Status run_optimal() {
  LM_RETURN_IF_ERROR(check_positive("--compute", o.compute));
  Allocation a;
  if (o.law == "km")
    a = km_allocation(o.compute);
  else if (o.law == "chinchilla")
    a = chinchilla_allocation(chinchilla_rounded(), o.compute);
  else if (o.law == "chinchilla-unrounded")
    a = chinchilla_allocation(chinchilla_unrounded(), o.compute);
  else if (o.law == "epoch")
    a = chinchilla_allocation(epoch_2024(), o.compute);
  else {
    auto p = load_fit_params(o.law);
    if (!p.ok()) {
      return p.status().with_hint(
          "--law is chinchilla, chinchilla-unrounded, epoch, km or a FIT.json");
    }
    a = chinchilla_allocation(*p, o.compute);
  }
  Allocation km = km_allocation(o.compute);
  json j = alloc_json(a, o.law);
  if (o.law != "km") j["km"] = alloc_json(km, "km");
  if (o.json) {
    print_json(j);
    return ok_status();
  }
  auto row = [](const char* name, const Allocation& x) {
    fmt::print("{:<22} {:>11.4g} {:>11.4g} {:>9.2f} {:>9.5f} {:>10.4g} {:>7.4f} {:>7.4f}\n", name,
               x.n_opt, x.d_opt, x.tokens_per_param(), x.loss, x.G, x.a, x.b);
  };
  fmt::print("C = {:.4g} FLOPs ({:.4g} PF-days), C = 6 N D\n", o.compute, o.compute / kPfDay);
  fmt::print("{:<22} {:>11} {:>11} {:>9} {:>9} {:>10} {:>7} {:>7}\n", "law", "N_opt", "D_opt",
             "D/N", "loss", "G", "a", "b");
  row(o.law.c_str(), a);
  if (o.law != "km") row("km (Fig. 14, a=0.73)", km);
  return ok_status();
}

void print_fit_human(const Approach3Result& r) {
  if (!r.converged) fmt::print("NOT CONVERGED: {}\n", r.message);
  fmt::print("Approach 3 (Huber delta 1e-3 on log loss, {} L-BFGS starts, {:.3f} s):\n", r.starts,
             r.seconds);
  fmt::print("  objective {:.10g}  ({})\n", r.objective, r.message);
  auto p = [&](const char* n, double v, const Interval& iv) {
    if (r.bootstrap > 0)
      fmt::print("  {:<6} {:>12.6g}   [{:.6g}, {:.6g}]  s.e. {:.3g}\n", n, v, iv.lo, iv.hi, iv.se);
    else
      fmt::print("  {:<6} {:>12.6g}\n", n, v);
  };
  if (r.bootstrap > 0)
    fmt::print("  ({} bootstrap resamples, 95% percentile intervals)\n", r.bootstrap);
  p("E", r.params.E, r.E);
  if (!r.E_identified)
    fmt::print("  E NOT IDENTIFIED: read E (and A, alpha) as a fit artefact, not the floor\n");
  p("A", r.params.A, r.A);
  p("B", r.params.B, r.B);
  p("alpha", r.params.alpha, r.alpha);
  p("beta", r.params.beta, r.beta);
  Allocation al = chinchilla_allocation(r.params, 1e21);
  p("a", al.a, r.a_share);
  fmt::print("  G {:.5g}: N_opt = G (C/6)^a, D_opt = (C/6)^b / G\n", al.G);
}

Status run_fit() {
  RunsColumns cols{o.col_params, o.col_tokens, o.col_loss, o.col_flops, "name"};
  LM_ASSIGN_OR_RETURN(RunsTable t, read_runs_csv(o.runs, cols));
  if (o.drop_top > 0) t = drop_highest_losses(t, o.drop_top);
  Approach3Options opt;
  opt.threads = o.threads;
  opt.bootstrap = o.bootstrap;
  opt.coarse_grid = o.coarse;
  opt.max_iterations = o.max_iterations;
  auto a3 = fit_approach3(t, opt);
  if (!a3.ok()) return a3.status().with_context(o.runs);
  json j = approach3_json(*a3);
  j["runs"] = t.runs.size();
  auto a1 = fit_approach1(t);
  std::vector<IsoFlopGroup> groups;
  auto a2 = fit_approach2(t, &groups);
  auto km = fit_km_laws(t);
  j["approach1"] = a1.ok() ? allocation_fit_json(*a1) : json({{"error", a1.status().message()}});
  j["approach2"] = a2.ok() ? allocation_fit_json(*a2) : json({{"error", a2.status().message()}});
  if (km.ok()) {
    j["km"] = {{"L_N", power_law_json(km->l_n)},
               {"L_D", power_law_json(km->l_d)},
               {"L_C", power_law_json(km->l_c)}};
  } else {
    j["km"] = {{"error", km.status().message()}};
  }
  if (!o.out.empty()) LM_RETURN_IF_ERROR(write_file_atomic(o.out, j.dump(1) + "\n"));
  if (o.json) {
    print_json(j);
    return ok_status();
  }
  fmt::print("{}: {} runs\n", o.runs, t.runs.size());
  print_fit_human(*a3);
  auto pa = [](const char* n, const Result<AllocationFit>& f) {
    if (f.ok())
      fmt::print("{}: N_opt ~ C^{:.4f}, D_opt ~ C^{:.4f} ({} points; {})\n", n, f->a, f->b,
                 f->points, f->note);
    else
      fmt::print("{}: not fitted: {}\n", n, f.status().message());
  };
  pa("Approach 1", a1);
  pa("Approach 2", a2);
  if (km.ok()) {
    auto pk = [](const char* n, const PowerLawFit& f) {
      fmt::print("  {} = {:.4f} + ({:.4g}/x)^{:.4f}   (KM pure form: ({:.4g}/x)^{:.4f})\n", n,
                 f.law.l_inf, f.law.x0, f.law.alpha, f.pure.x0, f.pure.alpha);
    };
    fmt::print("KM single-variable laws on the frontier (minimum loss per log bin):\n");
    pk("L(N)", km->l_n);
    pk("L(D)", km->l_d);
    pk("L(C)", km->l_c);
  }
  return ok_status();
}

Status run_extrapolate() {
  LM_ASSIGN_OR_RETURN(Metrics m, read_metrics(o.metrics));
  auto e = extrapolate(m, o.fraction, o.skip, o.target);
  if (!e.ok()) return e.status().with_context(o.metrics);
  json j = {{"fraction", o.fraction},          {"fit_until_tokens", e->fit_until},
            {"final_tokens", e->final_tokens}, {"predicted_loss", e->predicted},
            {"L_inf", e->fit.law.l_inf},       {"x0", e->fit.law.x0},
            {"alpha", e->fit.law.alpha},       {"points_used", e->points_used}};
  if (std::isfinite(e->actual)) {
    j["actual_loss"] = e->actual;
    j["error"] = e->error;
    j["relative_error"] = e->rel_error;
  }
  if (o.json) {
    print_json(j);
    return ok_status();
  }
  fmt::print(
      "fit on the first {:.0f}% ({} points up to {:.4g} tokens): L = {:.4f} + ({:.4g}/t)^{:.4f}\n",
      o.fraction * 100, e->points_used, e->fit_until, e->fit.law.l_inf, e->fit.law.x0,
      e->fit.law.alpha);
  fmt::print("predicted loss at {:.4g} tokens: {:.4f}\n", e->final_tokens, e->predicted);
  if (std::isfinite(e->actual))
    fmt::print("actual {:.4f}; error {:+.4f} ({:+.2f}%)\n", e->actual, e->error,
               e->rel_error * 100);
  return ok_status();
}

Status run_monitor() {
  MonitorOptions mo;
  mo.band = o.band;
  size_t reported = 0, last_size = 0;
  double idle = 0;
  json all = json::array();
  for (;;) {
    auto text = read_file(o.metrics);
    if (text.ok() && text->size() != last_size) {
      last_size = text->size();
      idle = 0;
      LM_ASSIGN_OR_RETURN(Metrics m, parse_metrics(*text, o.metrics));
      LM_ASSIGN_OR_RETURN(auto alerts, monitor(m, mo));
      for (; reported < alerts.size(); ++reported) {
        const Alert& a = alerts[reported];
        json aj = {{"step", a.step},
                   {"tokens", a.tokens},
                   {"kind", a.kind},
                   {"loss", std::isfinite(a.loss) ? json(a.loss) : json()},
                   {"predicted", std::isfinite(a.predicted) ? json(a.predicted) : json()},
                   {"upper", std::isfinite(a.upper) ? json(a.upper) : json()}};
        all.push_back(aj);
        if (!o.json)
          fmt::print("step {:>8.0f}  {:<10} loss {:.4f}  predicted {:.4f}  band upper {:.4f}\n",
                     a.step, a.kind, a.loss, a.predicted, a.upper);
      }
    } else if (!text.ok() && !o.follow) {
      return text.status();
    }
    if (!o.follow || idle >= o.idle) break;
    std::this_thread::sleep_for(std::chrono::duration<double>(o.interval));
    idle += o.interval;
  }
  if (o.json)
    print_json({{"alerts", all}, {"count", all.size()}});
  else if (all.empty())
    fmt::print("no step left the predicted band\n");
  return ok_status();
}

std::string self_exe() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, n) : "lmforge";
}

Status run_sweep_cmd() {
  LM_ASSIGN_OR_RETURN(SweepConfig c, load_sweep_config(o.config));
  if (!o.trainer.empty()) {
    c.trainer = o.trainer;
    c.trainer_prefix.clear();
  }
  if (c.trainer.empty() && c.trainer_prefix.empty()) c.trainer = self_exe();
  if (o.sweep_threads >= 0) c.threads = o.sweep_threads;
  LM_ASSIGN_OR_RETURN(SweepResult r, run_sweep(c, o.dry_run, o.no_holdout));
  if (o.json) {
    LM_ASSIGN_OR_RETURN(std::string s,
                        read_file(c.out + (o.dry_run ? "/plan.json" : "/sweep.json")));
    print_json(json::parse(s));
    return ok_status();
  }
  fmt::print("{} runs planned ({} trained now, {} already done, {} interrupted runs resumed)\n",
             r.planned.size(), r.ran, r.skipped, r.resumed);
  for (const auto& p : r.planned)
    fmt::print("  {:<32} N {:>10.4g}  D {:>10.4g}  steps {:>7}\n", p.name, p.params, p.tokens,
               p.steps);
  if (o.dry_run) return ok_status();
  print_fit_human(r.fit);
  fmt::print("held-out {}: predicted loss {:.4f}", r.holdout.name, r.holdout_predicted);
  if (r.holdout_done)
    fmt::print(", actual {:.4f} (error {:+.4f})", r.holdout_actual,
               r.holdout_predicted - r.holdout_actual);
  fmt::print("\n");
  if (c.entropy > 0)
    fmt::print("fitted E {:.4f} vs true entropy {:.4f} nats/token\n", r.fit.params.E, c.entropy);
  fmt::print("wrote {0}/runs.csv, {0}/fit.json, {0}/sweep.json\n", c.out);
  return ok_status();
}

Status run_synthetic() {
  if (o.syn.out_dir.empty()) return invalid_argument("--out DIR is required");
  LM_ASSIGN_OR_RETURN(SyntheticResult r, write_synthetic_corpus(o.syn));
  json j = {
      {"out", o.syn.out_dir},
      {"files", r.files},
      {"words", r.words},
      {"bytes", r.bytes},
      {"entropy_nats_per_word", r.source.entropy_nats_per_word},
      {"entropy_nats_per_byte", r.source.entropy_nats_per_word / r.source.mean_bytes_per_word},
      {"empirical_entropy_nats_per_word", r.empirical_entropy},
      {"entropy_nats_per_token", token_floor_nats(r.source, o.syn.words_per_document)}};
  if (o.json) {
    print_json(j);
    return ok_status();
  }
  fmt::print("wrote {} files, {} words, {} bytes to {}\n", r.files.size(), r.words, r.bytes,
             o.syn.out_dir);
  fmt::print("entropy rate {:.5f} nats/word ({:.5f} nats/byte); empirical {:.5f}\n",
             r.source.entropy_nats_per_word,
             r.source.entropy_nats_per_word / r.source.mean_bytes_per_word, r.empirical_entropy);
  fmt::print(
      "loss floor {:.5f} nats/token with one token per word and an end-of-text token "
      "after each document\n",
      j["entropy_nats_per_token"].get<double>());
  return ok_status();
}

void setup_law_optimal(CLI::App* sc) {
  auto* law = sc->add_subcommand("law", "Evaluate KM, Chinchilla and data-constrained laws");
  law->add_option("--params", o.params, "N, parameters");
  law->add_option("--tokens", o.tokens, "D, training tokens");
  law->add_option("--compute", o.compute, "C, training FLOPs");
  law->add_option("--unique-tokens", o.unique, "U, unique tokens (data-constrained law)");
  law->add_option("--steps", o.steps, "S, optimizer steps (KM L(N, S_min) with --params)");
  law->add_option("--batch", o.batch, "B, batch size in tokens (S_min = S / (1 + B_crit/B))");
  law->add_option("--loss", o.loss, "L, nats/token: KM's critical batch B_crit(L)");
  add_json_flag(law, &o.json);
  set_action(law, run_law);
  auto* opt = sc->add_subcommand("optimal", "Compute-optimal N and D for a budget");
  opt->add_option("--compute", o.compute, "C, training FLOPs")->required();
  opt->add_option("--law", o.law, "chinchilla|chinchilla-unrounded|epoch|km|FIT.json")
      ->capture_default_str();
  add_json_flag(opt, &o.json);
  set_action(opt, run_optimal);
}

void setup_fit(CLI::App* sc) {
  auto* fit = sc->add_subcommand("fit", "Fit runs.csv: Approach 3 (+ bootstrap), 1, 2 and KM laws");
  fit->add_option("--runs", o.runs, "runs.csv (params,tokens,loss[,flops,name,...])")->required();
  fit->add_option("--bootstrap", o.bootstrap, "Bootstrap resamples (0 = none)")
      ->capture_default_str();
  fit->add_option("--drop-top", o.drop_top, "Drop the K highest losses (Epoch: 5)");
  fit->add_option("--out", o.out, "Also write the fit JSON here");
  fit->add_option("--col-params", o.col_params, "Column holding N")->capture_default_str();
  fit->add_option("--col-tokens", o.col_tokens, "Column holding D")->capture_default_str();
  fit->add_option("--col-loss", o.col_loss, "Column holding the loss")->capture_default_str();
  fit->add_option("--col-flops", o.col_flops, "Column holding C (D = C/6N without tokens)")
      ->capture_default_str();
  fit->add_flag("--coarse", o.coarse, "243-start grid instead of Chinchilla's 4500");
  fit->add_option("--max-iterations", o.max_iterations, "L-BFGS iterations per start")
      ->capture_default_str();
  add_threads_option(fit, &o.threads);
  add_json_flag(fit, &o.json);
  set_action(fit, run_fit);
}

void setup_curves(CLI::App* sc) {
  auto* ex = sc->add_subcommand("extrapolate", "Predict a run's final loss from its first part");
  ex->add_option("--metrics", o.metrics, "RUN/metrics.jsonl")->required();
  ex->add_option("--fraction", o.fraction, "Share of the run's tokens to fit on")
      ->capture_default_str();
  ex->add_option("--skip", o.skip, "Share of tokens ignored as warm-up")->capture_default_str();
  ex->add_option("--target-tokens", o.target, "Predict at this many tokens instead of the end");
  add_json_flag(ex, &o.json);
  set_action(ex, run_extrapolate);
  auto* mon = sc->add_subcommand("monitor", "Flag steps whose loss leaves the predicted band");
  mon->add_option("--metrics", o.metrics, "RUN/metrics.jsonl")->required();
  mon->add_option("--band", o.band, "Band width in robust sigmas")->capture_default_str();
  mon->add_flag("--follow", o.follow, "Keep reading the file while the run goes on");
  mon->add_option("--interval", o.interval, "Seconds between reads with --follow")
      ->capture_default_str();
  mon->add_option("--idle", o.idle, "Stop after this many seconds without growth")
      ->capture_default_str();
  add_json_flag(mon, &o.json);
  set_action(mon, run_monitor);
}

void setup_sweep_synthetic(CLI::App* sc) {
  auto* sw = sc->add_subcommand("sweep", "Plan, train, collect and fit an IsoFLOP sweep");
  sw->add_option("--config", o.config, "sweep.toml (see examples/sweep.toml)")->required();
  sw->add_option("--trainer", o.trainer, "Trainer program (default: this lmforge)");
  sw->add_flag("--dry-run", o.dry_run, "Plan only (writes OUT/plan.json)");
  sw->add_flag("--no-holdout", o.no_holdout, "Predict the held-out run but do not train it");
  sw->add_option("--threads", o.sweep_threads,
                 "Threads for each trainer run and the fit (0 = all cores; default: the "
                 "config's `threads`, else 0)");
  add_json_flag(sw, &o.json);
  set_action(sw, run_sweep_cmd);
}

// `scaling synthetic`, also reachable as `corpus synthetic` (the corpus commands' home).
void setup_synthetic(CLI::App* parent) {
  auto* syn = parent->add_subcommand(
      "synthetic", "Markov corpus of known entropy, to check a fitted E against the truth");
  syn->add_option("--out", o.syn.out_dir, "Output folder")->required();
  syn->add_option("--vocab", o.syn.vocab, "Distinct words")->capture_default_str();
  syn->add_option("--branching", o.syn.branching, "Successors per word")->capture_default_str();
  syn->add_option("--concentration", o.syn.concentration, "Dirichlet parameter of each row")
      ->capture_default_str();
  syn->add_option("--docs", o.syn.documents, "Documents")->capture_default_str();
  syn->add_option("--words", o.syn.words_per_document, "Words per document")->capture_default_str();
  syn->add_option("--seed", o.syn.seed, "Seed")->capture_default_str();
  add_json_flag(syn, &o.json);
  set_action(syn, run_synthetic);
}

void setup(CLI::App& app) {
  auto* sc =
      app.add_subcommand("scaling", "Scaling laws: evaluate, allocate, fit, extrapolate, sweep");
  sc->require_subcommand(1);
  setup_law_optimal(sc);
  setup_fit(sc);
  setup_curves(sc);
  setup_sweep_synthetic(sc);
  setup_synthetic(sc);
  // Registered after `corpus` (order 10), so the alias can join it.
  auto corpus = app.get_subcommands([](CLI::App* a) { return a->get_name() == "corpus"; });
  if (!corpus.empty()) setup_synthetic(corpus.front());
}

Registrar reg(90, "scaling", setup);

}  // namespace
}  // namespace lm::cli
