// sweep.h: `scaling sweep`: plan an IsoFLOP grid (a few compute budgets x model shapes whose
// token counts make 6 N D = C), run each with the trainer as a subprocess (resumable: a run with
// a done marker is skipped), collect runs.csv, fit Approach 3 + 2, then predict the loss of a
// larger held-out run, train it, and compare. Config: TOML (examples/sweep*.toml).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "scaling/approach3.h"
#include "scaling/runs.h"

namespace lm::scaling {

struct SweepShape {
  int n_layer = 0, n_head = 0, n_embd = 0;
  bool mlp = true;  // false: attention-only (model/config.h; the trainer's --mlp false)
};

struct SweepConfig {
  std::string data;     // --data PREFIX for the trainer
  std::string out;      // sweep directory
  std::string trainer;  // program run as `TRAINER train --data ...` (default: this lmforge)
  std::vector<std::string> trainer_prefix;  // e.g. ["/usr/bin/python3", "fake.py"] (tests)
  std::vector<double> budgets;              // FLOPs
  double holdout_budget = 0;                // 0: 4x the largest budget
  std::vector<SweepShape> shapes;
  int points_per_budget = 5;
  int seq_len = 128, batch_size = 8, vocab = 4096;
  double lr = 1e-3;
  uint64_t seed = 1;
  int64_t min_steps = 20;
  double min_tokens_per_param = 1, max_tokens_per_param = 1000;
  double max_tokens = 0;  // no run (held-out included) above this many tokens, e.g. one epoch
                          // of the corpus, so that no run repeats data (0 = no cap)
  bool count_embeddings = false;  // N: non-embedding (default, Kaplan) or total
  double entropy = 0;             // true entropy rate of the data (synthetic), nats/token
  std::vector<std::string> extra_args;
  int bootstrap = 100;
  int threads = 0;  // passed to every trainer run as --threads, and used by the fit (0 = all cores)
};

Result<SweepConfig> load_sweep_config(const std::string& path);
// The command line's overrides: `trainer` (non-empty) replaces the config's trainer; without one
// the trainer is this program; threads >= 0 replaces the config's `threads`.
void apply_sweep_overrides(SweepConfig* c, const std::string& trainer, int threads);

struct PlannedRun {
  std::string name, dir;
  SweepShape shape;
  double budget = 0, params = 0, tokens = 0, flops = 0;
  int64_t steps = 0;
};

double sweep_params(const SweepConfig& c, const SweepShape& s);
// One run per (budget, shape) chosen: shapes with enough steps and a sane tokens/param, spread
// evenly in N (points_per_budget of them).
Result<std::vector<PlannedRun>> plan_sweep(const SweepConfig& c);
PlannedRun plan_run(const SweepConfig& c, const SweepShape& s, double budget);
// The argv of one trainer run; `resume` adds --resume (a run interrupted after a checkpoint).
std::vector<std::string> trainer_argv(const SweepConfig& c, const PlannedRun& r,
                                      bool resume = false);

// The loss a sweep scores a finished run by: its last val_loss (the trainer validates at the last
// step), never the training loss, whose last values are one noisy batch each. A run without a
// val_loss is an error that says to pack a validation split.
Result<double> final_loss(const std::string& run_dir);

// Parameters of a shape apart: non-embedding (12 L h^2 + 13 L h + 2 h, the sweep's N unless
// count_embeddings; attention-only, without the unused MLP and ln_2: 4 L h^2 + 6 L h + 2 h) and
// embedding ((vocab + seq_len) h: token and position tables, the output layer tied to the token
// table).
struct ParamSplit {
  double non_embedding = 0, embedding = 0;
  double share() const { return non_embedding / (non_embedding + embedding); }
};
ParamSplit param_split(int vocab, int seq_len, const SweepShape& s);

struct SweepResult {
  std::vector<PlannedRun> planned;
  int ran = 0, skipped = 0, resumed = 0;  // resumed: interrupted runs continued or restarted
  RunsTable runs;
  Approach3Result fit;
  PlannedRun holdout;
  double holdout_predicted = 0, holdout_actual = 0;
  bool holdout_done = false;
  std::string holdout_skipped;  // why no held-out run was predicted (the fit has no optimum)
  int vocab = 0;                // the data's vocabulary (DATA.meta.json), else the config's `vocab`
};

// dry_run: plan only (writes plan.json). Otherwise runs/collects/fits/predicts and writes
// OUT/runs.csv, OUT/fit.json, OUT/sweep.json.
Result<SweepResult> run_sweep(const SweepConfig& c, bool dry_run, bool skip_holdout);
// What run_sweep wrote for `scaling sweep --json`: OUT/plan.json (dry run) or OUT/sweep.json.
Result<nlohmann::json> read_sweep_json(const SweepConfig& c, bool dry_run);

}  // namespace lm::scaling
