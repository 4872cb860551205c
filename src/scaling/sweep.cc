// sweep.cc: config, planning, the subprocess runner (posix_spawn, output to RUN/train.log) and
// the collect / fit / predict steps of an IsoFLOP sweep.
#include "scaling/sweep.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/log.h"
#include "scaling/approaches.h"
#include "scaling/curve.h"
#include "scaling/fit_io.h"
#include "scaling/fit_report.h"
#include "scaling/sweep_report.h"

extern char** environ;

namespace lm::scaling {
namespace {

template <typename T>
void get(const toml::table& t, const char* k, T* v) {
  if (auto x = t[k].value<T>()) *v = *x;
}

Status run_process(const std::vector<std::string>& argv, const std::string& log_path, bool append) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(),
                                   O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return io_error("cannot start '{}': {}", argv[0], std::strerror(rc));
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return io_error("waitpid failed for '{}'", argv[0]);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status(Code::kInternal,
                  fmt::format("trainer failed (status {}); see {}", status, log_path),
                  "fix the run and start the sweep again: finished runs are skipped");
  }
  return ok_status();
}

// A run the sweep started but did not finish (no done marker, but the trainer wrote to it):
// continue it from its checkpoint when it has one; otherwise clear what the trainer wrote (it
// refuses a directory that already holds a run) so that it starts over.
Result<bool> prepare_interrupted(const PlannedRun& r, bool* interrupted) {
  const bool ckpt = file_exists(r.dir + "/checkpoint/train_state.json") ||
                    file_exists(r.dir + "/checkpoint.old/train_state.json");
  *interrupted = ckpt || file_exists(r.dir + "/metrics.jsonl");
  if (ckpt || !*interrupted) return ckpt;
  std::error_code ec;
  for (const char* f : {"metrics.jsonl", "run.json", "config.toml"}) {
    std::filesystem::remove(r.dir + "/" + f, ec);
    if (ec) return io_error("{}/{}: cannot remove to restart the run: {}", r.dir, f, ec.message());
  }
  return false;
}

Status train_if_needed(const SweepConfig& c, const PlannedRun& r, bool* ran, bool* resumed) {
  const std::string marker = r.dir + "/sweep_done.json";
  *ran = *resumed = false;
  if (file_exists(marker)) return ok_status();
  LM_RETURN_IF_ERROR(make_dirs(r.dir));
  LM_ASSIGN_OR_RETURN(bool from_ckpt, prepare_interrupted(r, resumed));
  log_info("sweep: {} {} (N {:.3g}, D {:.3g}, {} steps)",
           from_ckpt ? "resuming" : (*resumed ? "restarting" : "training"), r.name, r.params,
           r.tokens, r.steps);
  LM_RETURN_IF_ERROR(run_process(trainer_argv(c, r, from_ckpt), r.dir + "/train.log", *resumed)
                         .with_context(r.name));
  LM_ASSIGN_OR_RETURN(double loss, final_loss(r.dir));
  nlohmann::json j = {{"name", r.name}, {"loss", loss}, {"params", r.params}, {"tokens", r.tokens}};
  LM_RETURN_IF_ERROR(write_file_atomic(marker, j.dump() + "\n"));
  *ran = true;
  return ok_status();
}

Run to_run(const PlannedRun& p, double loss) {
  Run r;
  r.params = p.params;
  r.tokens = p.tokens;
  r.flops = p.flops;
  r.loss = loss;
  r.name = p.name;
  r.extra = {fmt::format("{:.6g}", p.budget), std::to_string(p.shape.n_layer),
             std::to_string(p.shape.n_head), std::to_string(p.shape.n_embd),
             std::to_string(p.steps)};
  return r;
}

// A planned run, with its parameters apart (vocab: the data's vocabulary, as format_sweep uses).
nlohmann::json run_json(const PlannedRun& r, int vocab, int seq_len) {
  const ParamSplit ps = param_split(vocab, seq_len, r.shape);
  return {{"name", r.name},
          {"budget", r.budget},
          {"params", r.params},
          {"non_embedding_params", ps.non_embedding},
          {"embedding_params", ps.embedding},
          {"non_embedding_share", ps.share()},
          {"tokens", r.tokens},
          {"flops", r.flops},
          {"steps", r.steps},
          {"n_layer", r.shape.n_layer},
          {"n_head", r.shape.n_head},
          {"n_embd", r.shape.n_embd},
          {"mlp", r.shape.mlp},
          {"dir", r.dir}};
}

// sweep.json's run_table: one row per run the fit saw (plan.json's fields and its validation
// loss), then the held-out run when one was planned (holdout true; val_loss null until it is
// trained, and its predicted loss).
nlohmann::json run_table(const SweepResult& res, int seq_len) {
  nlohmann::json t = nlohmann::json::array();
  auto row = [&](const PlannedRun& p, bool holdout, const nlohmann::json& loss) {
    nlohmann::json j = run_json(p, res.vocab, seq_len);  // plan.json's row, then its outcome
    j["val_loss"] = loss;
    j["holdout"] = holdout;
    if (holdout) j["predicted_loss"] = res.holdout_predicted;
    t.push_back(j);
  };
  for (size_t i = 0; i < res.planned.size(); ++i)
    row(res.planned[i], false,
        i < res.runs.runs.size() ? nlohmann::json(res.runs.runs[i].loss) : nlohmann::json());
  if (res.holdout_skipped.empty() && !res.holdout.name.empty())
    row(res.holdout, true,
        res.holdout_done ? nlohmann::json(res.holdout_actual) : nlohmann::json());
  return t;
}

}  // namespace

Result<SweepConfig> load_sweep_config(const std::string& path) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return corrupt("{}:{}: {}", path, e.source().begin.line, std::string(e.description()));
  }
  SweepConfig c;
  get(t, "data", &c.data);
  get(t, "out", &c.out);
  get(t, "trainer", &c.trainer);
  get(t, "holdout_budget", &c.holdout_budget);
  int64_t i64 = 0;
  if (auto v = t["points_per_budget"].value<int64_t>()) c.points_per_budget = static_cast<int>(*v);
  if (auto v = t["seq_len"].value<int64_t>()) c.seq_len = static_cast<int>(*v);
  if (auto v = t["batch_size"].value<int64_t>()) c.batch_size = static_cast<int>(*v);
  if (auto v = t["vocab"].value<int64_t>()) c.vocab = static_cast<int>(*v);
  if (auto v = t["seed"].value<int64_t>()) c.seed = static_cast<uint64_t>(*v);
  if (auto v = t["bootstrap"].value<int64_t>()) c.bootstrap = static_cast<int>(*v);
  if (auto v = t["threads"].value<int64_t>()) c.threads = static_cast<int>(*v);
  get(t, "min_steps", &c.min_steps);
  get(t, "lr", &c.lr);
  get(t, "min_tokens_per_param", &c.min_tokens_per_param);
  get(t, "max_tokens_per_param", &c.max_tokens_per_param);
  get(t, "max_tokens", &c.max_tokens);
  get(t, "count_embeddings", &c.count_embeddings);
  get(t, "entropy", &c.entropy);
  (void)i64;
  if (auto* a = t["budgets"].as_array())
    for (auto& v : *a)
      if (auto d = v.value<double>()) c.budgets.push_back(*d);
  if (auto* a = t["trainer_prefix"].as_array())
    for (auto& v : *a)
      if (auto s = v.value<std::string>()) c.trainer_prefix.push_back(*s);
  if (auto* a = t["extra_args"].as_array())
    for (auto& v : *a)
      if (auto s = v.value<std::string>()) c.extra_args.push_back(*s);
  if (auto* a = t["shapes"].as_array()) {
    for (auto& v : *a) {
      auto* s = v.as_table();
      if (!s)
        return invalid_argument("{}: shapes must be tables {{n_layer=, n_head=, n_embd=}}", path);
      SweepShape sh;
      get(*s, "n_layer", &sh.n_layer);
      get(*s, "n_head", &sh.n_head);
      get(*s, "n_embd", &sh.n_embd);
      if ((*s)["mlp"] && !(*s)["mlp"].is_boolean())
        return invalid_argument("{}: a shape's mlp must be true or false (false: attention-only)",
                                path);
      if (auto* m = (*s)["mlp"].as_boolean()) sh.mlp = m->get();
      if (sh.n_layer <= 0 || sh.n_head <= 0 || sh.n_embd <= 0 || sh.n_embd % sh.n_head != 0) {
        return invalid_argument(
            "{}: shape {}/{}/{} needs positive n_layer, n_head, n_embd with n_head dividing n_embd",
            path, sh.n_layer, sh.n_head, sh.n_embd);
      }
      c.shapes.push_back(sh);
    }
  }
  if (c.data.empty() || c.out.empty() || c.budgets.empty() || c.shapes.empty()) {
    return Status(Code::kInvalidArgument,
                  fmt::format("{}: needs data, out, budgets and shapes", path),
                  "see examples/sweep.toml");
  }
  for (double b : c.budgets) LM_RETURN_IF_ERROR(check_positive(path + ": budget", b));
  return c;
}

double sweep_params(const SweepConfig& c, const SweepShape& s) {
  const double h = s.n_embd, L = s.n_layer;
  // per block: ln_1 2h, c_attn 3h^2 + 3h, attn c_proj h^2 + h; with the MLP also ln_2 2h,
  // c_fc 4h^2 + 4h, mlp c_proj 4h^2 + h (GptConfig::num_params_no_position, less wte)
  double n = L * (s.mlp ? 12 * h * h + 13 * h : 4 * h * h + 6 * h) + 2 * h;
  if (c.count_embeddings) n += (static_cast<double>(c.vocab) + c.seq_len) * h;
  return n;
}

PlannedRun plan_run(const SweepConfig& c, const SweepShape& s, double budget) {
  PlannedRun r;
  r.shape = s;
  r.budget = budget;
  r.params = sweep_params(c, s);
  const double per_step = static_cast<double>(c.batch_size) * c.seq_len;
  r.steps = std::max<int64_t>(1, std::llround(budget / (6 * r.params) / per_step));
  r.tokens = r.steps * per_step;
  r.flops = 6 * r.params * r.tokens;
  r.name = fmt::format("c{:.2e}-l{}-h{}-e{}{}", budget, s.n_layer, s.n_head, s.n_embd,
                       s.mlp ? "" : "-attn");
  r.dir = c.out + "/runs/" + r.name;
  return r;
}

Result<std::vector<PlannedRun>> plan_sweep(const SweepConfig& c) {
  std::vector<PlannedRun> out;
  for (double b : c.budgets) {
    std::vector<PlannedRun> ok;
    for (const auto& s : c.shapes) {
      PlannedRun r = plan_run(c, s, b);
      double tpp = r.tokens / r.params;
      if (r.steps >= c.min_steps && tpp >= c.min_tokens_per_param &&
          tpp <= c.max_tokens_per_param && (c.max_tokens <= 0 || r.tokens <= c.max_tokens))
        ok.push_back(r);
    }
    std::sort(ok.begin(), ok.end(), [](auto& x, auto& y) { return x.params < y.params; });
    if (ok.size() < 3) {
      return Status(
          Code::kInvalidArgument,
          fmt::format("budget {:.3g} FLOPs: only {} shapes give >= {} steps, "
                      "{}-{} tokens/param{}; an IsoFLOP parabola needs 3",
                      b, ok.size(), c.min_steps, c.min_tokens_per_param, c.max_tokens_per_param,
                      c.max_tokens > 0 ? fmt::format(" and <= {:.3g} tokens", c.max_tokens) : ""),
          "add smaller/larger shapes or change the budget");
    }
    int k = std::min<int>(c.points_per_budget, static_cast<int>(ok.size()));
    for (int i = 0; i < k; ++i) out.push_back(ok[k == 1 ? 0 : i * (ok.size() - 1) / (k - 1)]);
  }
  return out;
}

std::vector<std::string> trainer_argv(const SweepConfig& c, const PlannedRun& r, bool resume) {
  std::vector<std::string> a = c.trainer_prefix;
  if (a.empty()) a.push_back(c.trainer.empty() ? "lmforge" : c.trainer);
  std::vector<std::string> rest = {"train",
                                   "--data",
                                   c.data,
                                   "--out",
                                   r.dir,
                                   "--n-layer",
                                   std::to_string(r.shape.n_layer),
                                   "--n-head",
                                   std::to_string(r.shape.n_head),
                                   "--n-embd",
                                   std::to_string(r.shape.n_embd),
                                   "--seq-len",
                                   std::to_string(c.seq_len),
                                   "--batch-size",
                                   std::to_string(c.batch_size),
                                   "--max-steps",
                                   std::to_string(r.steps),
                                   "--lr",
                                   fmt::format("{}", c.lr),
                                   "--seed",
                                   std::to_string(c.seed),
                                   "--threads",
                                   std::to_string(c.threads)};
  a.insert(a.end(), rest.begin(), rest.end());
  if (!r.shape.mlp) a.insert(a.end(), {"--mlp", "false"});
  if (resume) a.push_back("--resume");
  a.insert(a.end(), c.extra_args.begin(), c.extra_args.end());
  return a;
}

Result<double> final_loss(const std::string& dir) {
  LM_ASSIGN_OR_RETURN(Metrics m, read_metrics(dir + "/metrics.jsonl"));
  if (m.val.empty())
    return invalid_argument(
               "{}/metrics.jsonl: no val_loss: a sweep scores each run by its "
               "validation loss, not the noisy last training loss",
               dir)
        .with_hint("pack the data with a validation split (lmforge pack --val-fraction 0.02)");
  const double v = m.val.back().val_loss;
  if (!std::isfinite(v)) return corrupt("{}/metrics.jsonl: the last val_loss is not finite", dir);
  return v;
}

ParamSplit param_split(int vocab, int seq_len, const SweepShape& s) {
  SweepConfig c;
  c.vocab = vocab;
  c.seq_len = seq_len;
  ParamSplit p;
  p.non_embedding = sweep_params(c, s);
  p.embedding = (static_cast<double>(vocab) + seq_len) * s.n_embd;
  return p;
}

// The data's vocabulary from DATA.meta.json (tokenizer.vocab_size), else the config's.
static int data_vocab(const SweepConfig& c) {
  auto text = read_file(c.data + ".meta.json");
  if (!text.ok()) return c.vocab;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.contains("tokenizer") || !j["tokenizer"].is_object() ||
      !j["tokenizer"].contains("vocab_size") || !j["tokenizer"]["vocab_size"].is_number_integer())
    return c.vocab;
  return j["tokenizer"]["vocab_size"].get<int>();
}

// Held-out prediction: the shape nearest the fitted N_opt at the held-out budget; trains it.
static Status predict_holdout(const SweepConfig& c, bool skip_holdout, SweepResult* res) {
  double hb = c.holdout_budget > 0 ? c.holdout_budget
                                   : 4 * *std::max_element(c.budgets.begin(), c.budgets.end());
  Allocation al = chinchilla_allocation(res->fit.params, hb);
  if (!(res->fit.params.alpha > 0) || !std::isfinite(al.n_opt) || !(al.n_opt > 0)) {
    // The loss fell as N shrank at every budget: no compute-optimal size to train at.
    res->holdout_skipped = fmt::format(
        "the fit has alpha {:.3g} (N_opt {:.3g}): at these budgets the smallest model is best, "
        "the runs are limited by their steps, so the law has no optimum to predict at; raise "
        "the budgets or add smaller shapes so that each budget's loss is lowest at a middle size",
        res->fit.params.alpha, al.n_opt);
    log_warn("sweep: no held-out prediction: {}", res->holdout_skipped);
    return ok_status();
  }
  double best = INFINITY;
  for (const auto& s : c.shapes) {
    PlannedRun r = plan_run(c, s, hb);
    if (c.max_tokens > 0 && r.tokens > c.max_tokens) continue;
    double d = std::fabs(std::log(r.params / al.n_opt));
    if (d < best) {
      best = d;
      res->holdout = r;
    }
  }
  if (!std::isfinite(best)) {
    return invalid_argument("held-out budget {:.3g}: every shape needs more than max_tokens {:.3g}",
                            hb, c.max_tokens)
        .with_hint("add larger shapes or lower holdout_budget");
  }
  res->holdout.name = "holdout-" + res->holdout.name;
  res->holdout.dir = c.out + "/runs/" + res->holdout.name;
  res->holdout_predicted = res->fit.params.loss(res->holdout.params, res->holdout.tokens);
  if (skip_holdout) return ok_status();
  bool ran = false, resumed = false;
  LM_RETURN_IF_ERROR(train_if_needed(c, res->holdout, &ran, &resumed));
  LM_ASSIGN_OR_RETURN(res->holdout_actual, final_loss(res->holdout.dir));
  res->holdout_done = true;
  return ok_status();
}

void apply_sweep_overrides(SweepConfig* c, const std::string& trainer, int threads) {
  if (!trainer.empty()) {
    c->trainer = trainer;
    c->trainer_prefix.clear();
  }
  if (c->trainer.empty() && c->trainer_prefix.empty()) c->trainer = self_executable();
  if (threads >= 0) c->threads = threads;
}

Result<nlohmann::json> read_sweep_json(const SweepConfig& c, bool dry_run) {
  const std::string path = c.out + (dry_run ? "/plan.json" : "/sweep.json");
  LM_ASSIGN_OR_RETURN(std::string s, read_file(path));
  nlohmann::json j = nlohmann::json::parse(s, nullptr, false);
  if (j.is_discarded()) return corrupt("{}: not JSON", path);
  return j;
}

Result<SweepResult> run_sweep(const SweepConfig& c, bool dry_run, bool skip_holdout) {
  SweepResult res;
  res.vocab = data_vocab(c);
  LM_ASSIGN_OR_RETURN(res.planned, plan_sweep(c));
  LM_RETURN_IF_ERROR(make_dirs(c.out));
  nlohmann::json plan = nlohmann::json::array();
  for (const auto& r : res.planned) plan.push_back(run_json(r, res.vocab, c.seq_len));
  LM_RETURN_IF_ERROR(write_file_atomic(c.out + "/plan.json", plan.dump(1) + "\n"));
  if (dry_run) return res;
  res.runs.extra_columns = {"budget", "n_layer", "n_head", "n_embd", "steps"};
  for (const auto& r : res.planned) {
    bool ran = false, resumed = false;
    LM_RETURN_IF_ERROR(train_if_needed(c, r, &ran, &resumed));
    (ran ? res.ran : res.skipped) += 1;
    res.resumed += resumed;
    LM_ASSIGN_OR_RETURN(double loss, final_loss(r.dir));
    res.runs.runs.push_back(to_run(r, loss));
  }
  LM_RETURN_IF_ERROR(write_runs_csv(c.out + "/runs.csv", res.runs));
  Approach3Options fo;
  fo.bootstrap = c.bootstrap;
  fo.threads = c.threads;
  LM_ASSIGN_OR_RETURN(FitReport fit, fit_runs(res.runs, fo));  // the schema of `scaling fit`
  res.fit = fit.approach3;
  LM_RETURN_IF_ERROR(write_fit_json(c.out + "/fit.json", fit));
  LM_RETURN_IF_ERROR(predict_holdout(c, skip_holdout, &res));
  Allocation al = chinchilla_allocation(res.fit.params, res.holdout.budget);
  if (!res.holdout_skipped.empty()) al.n_opt = 0;
  nlohmann::json s = {
      {"runs", res.runs.runs.size()},   {"ran", res.ran},
      {"skipped", res.skipped},         {"resumed", res.resumed},
      {"threads", c.threads},           {"vocab", res.vocab},
      {"seq_len", c.seq_len},           {"run_table", run_table(res, c.seq_len)},
      {"fit", approach3_json(res.fit)}, {"holdout", run_json(res.holdout, res.vocab, c.seq_len)},
      {"holdout_N_opt", al.n_opt},      {"holdout_predicted_loss", res.holdout_predicted}};
  if (!res.holdout_skipped.empty()) s["holdout_skipped"] = res.holdout_skipped;
  s["reading"] = sweep_reading(c, res);  // what the fit can and cannot tell (the HTML report too)
  if (res.holdout_done) {
    s["holdout_actual_loss"] = res.holdout_actual;
    s["holdout_error"] = res.holdout_predicted - res.holdout_actual;
  }
  if (c.entropy > 0) {
    s["entropy"] = c.entropy;
    s["E_minus_entropy"] = res.fit.params.E - c.entropy;
  }
  LM_RETURN_IF_ERROR(write_file_atomic(c.out + "/sweep.json", s.dump(1) + "\n"));
  return res;
}

}  // namespace lm::scaling
