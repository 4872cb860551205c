// cmd_scaling.cc: `lmforge scaling law|optimal|fit|extrapolate|monitor|sweep|synthetic`:
// evaluate published laws, allocate compute, fit runs.csv (Chinchilla Approaches 1-3, bootstrap
// CIs, KM power laws), extrapolate / monitor a run's loss curve, run an IsoFLOP sweep with the
// trainer, and write a Markov corpus of known entropy (the issue's `corpus synthetic`).
#include <fmt/core.h>

#include "cli.h"
#include "scaling/curve.h"
#include "scaling/fit_report.h"
#include "scaling/law_report.h"
#include "scaling/sweep.h"
#include "scaling/sweep_report.h"
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

Status run_law() {
  LawQuery q{o.params, o.tokens, o.compute, o.unique, o.steps, o.batch, o.loss};
  LM_ASSIGN_OR_RETURN(json j, evaluate_laws(q));
  if (o.json)
    print_json(j);
  else
    fmt::print("{}", format_laws(j));
  return ok_status();
}

Status run_optimal() {
  LM_ASSIGN_OR_RETURN(OptimalReport r, optimal_allocation(o.law, o.compute));
  if (o.json)
    print_json(optimal_json(r));
  else
    fmt::print("{}", format_optimal(r));
  return ok_status();
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
  auto fit = fit_runs(t, opt);
  if (!fit.ok()) return fit.status().with_context(o.runs);
  if (!o.out.empty()) LM_RETURN_IF_ERROR(write_fit_json(o.out, *fit));
  if (o.json)
    print_json(fit_report_json(*fit));
  else
    fmt::print("{}", format_fit_report(*fit, o.runs));
  return ok_status();
}

Status run_extrapolate() {
  LM_ASSIGN_OR_RETURN(Metrics m, read_metrics(o.metrics));
  auto e = extrapolate(m, o.fraction, o.skip, o.target);
  if (!e.ok()) return e.status().with_context(o.metrics);
  if (o.json)
    print_json(extrapolation_json(*e, o.fraction));
  else
    fmt::print("{}", format_extrapolation(*e, o.fraction));
  return ok_status();
}

Status run_monitor() {
  WatchOptions wo;
  wo.monitor.band = o.band;
  wo.follow = o.follow;
  wo.interval = o.interval;
  wo.idle = o.idle;
  std::vector<Alert> alerts;
  LM_RETURN_IF_ERROR(watch_metrics(o.metrics, wo, [&](const Alert& a) {
    alerts.push_back(a);
    if (!o.json) fmt::print("{}", format_alert(a));
  }));
  if (o.json)
    print_json(monitor_json(alerts));
  else if (alerts.empty())
    fmt::print("no step left the predicted band\n");
  return ok_status();
}

Status run_sweep_cmd() {
  LM_ASSIGN_OR_RETURN(SweepConfig c, load_sweep_config(o.config));
  apply_sweep_overrides(&c, o.trainer, o.sweep_threads);
  LM_ASSIGN_OR_RETURN(SweepResult r, run_sweep(c, o.dry_run, o.no_holdout));
  if (o.json) {
    LM_ASSIGN_OR_RETURN(json j, read_sweep_json(c, o.dry_run));
    print_json(j);
  } else {
    fmt::print("{}", format_sweep(c, r, o.dry_run));
  }
  return ok_status();
}

Status run_synthetic() {
  if (o.syn.out_dir.empty()) return invalid_argument("--out DIR is required");
  LM_ASSIGN_OR_RETURN(SyntheticResult r, write_synthetic_corpus(o.syn));
  if (o.json)
    print_json(synthetic_json(o.syn, r));
  else
    fmt::print("{}", format_synthetic(o.syn, r));
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
