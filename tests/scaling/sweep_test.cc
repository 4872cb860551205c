// sweep_test.cc: the IsoFLOP sweep end to end through the CLI with a fake trainer
// (tests/scaling/fake_trainer.py, losses from a known law): planning, running, resuming
// (finished runs skipped), collecting runs.csv, fitting, and the held-out prediction; plus
// config errors and a failing run. `lmforge train` is not used here (see docs/scaling.md).
#include "scaling/sweep.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "scaling/curve.h"
#include "scaling/sweep_report.h"

namespace lm::scaling {
namespace {

std::string tmpdir(const std::string& name) {
  return std::string(LMFORGE_BUILD_DIR) + "/test-tmp/sweep-" + name + "-" +
         std::to_string(getpid());
}

std::string write_config(const std::string& dir, const std::string& extra = "") {
  EXPECT_TRUE(make_dirs(dir).ok());
  std::string cfg = fmt::format(R"(data = "unused/prefix"
out = "{}/sweep"
trainer_prefix = ["/usr/bin/python3", "{}/tests/scaling/fake_trainer.py"]
budgets = [2e11, 6e11, 2e12]
holdout_budget = 8e12
seq_len = 64
batch_size = 8
min_steps = 20
min_tokens_per_param = 0.5
points_per_budget = 6
bootstrap = 20
shapes = [{{n_layer=1,n_head=1,n_embd=16}}, {{n_layer=1,n_head=2,n_embd=32}}, {{n_layer=2,n_head=2,n_embd=32}},
          {{n_layer=2,n_head=2,n_embd=48}}, {{n_layer=2,n_head=4,n_embd=64}}, {{n_layer=3,n_head=4,n_embd=64}},
          {{n_layer=4,n_head=4,n_embd=96}}, {{n_layer=4,n_head=4,n_embd=128}}, {{n_layer=6,n_head=4,n_embd=128}}]
{}
)",
                                dir, LMFORGE_SOURCE_DIR, extra);
  EXPECT_TRUE(write_file_atomic(dir + "/sweep.toml", cfg).ok());
  return dir + "/sweep.toml";
}

int run_cli(const std::string& args, std::string* out) {
  std::string cmd = std::string(LMFORGE_BINARY) + " --no-progress " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  out->clear();
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out->append(buf, n);
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(Sweep, PlanRunResumeFitAndPredict) {
  std::string dir = tmpdir("full");
  std::string cfg_path = write_config(dir);
  auto cfg = load_sweep_config(cfg_path);
  ASSERT_TRUE(cfg.ok()) << cfg.status().to_string();
  auto plan = plan_sweep(*cfg);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  ASSERT_GE(plan->size(), 9u);
  for (const auto& r : *plan) {
    EXPECT_NEAR(r.flops / r.budget, 1.0, 0.1) << r.name;  // 6 N D = C up to whole steps
    EXPECT_GE(r.steps, 20);
  }
  auto argv = trainer_argv(*cfg, (*plan)[0]);
  EXPECT_EQ(argv[2], "train");
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--max-steps"), argv.end());

  std::string out;
  ASSERT_EQ(run_cli("scaling sweep --config " + cfg_path, &out), 0) << out;
  auto s = nlohmann::json::parse(*read_file(dir + "/sweep/sweep.json"));
  EXPECT_EQ(s["ran"].get<int>(), static_cast<int>(plan->size()));
  // The fake trainer follows E 1.6, alpha 0.32, beta 0.30 with 0.2% noise.
  EXPECT_NEAR(s["fit"]["E"].get<double>(), 1.6, 0.1);
  double pred = s["holdout_predicted_loss"].get<double>(),
         act = s["holdout_actual_loss"].get<double>();
  EXPECT_NEAR(pred, act, 0.01 * act);
  auto runs = read_runs_csv(dir + "/sweep/runs.csv");
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  EXPECT_EQ(runs->runs.size(), plan->size());
  // fit.json has the schema of `scaling fit --out`: the same keys, the same Approach 3 numbers.
  auto fit = nlohmann::json::parse(*read_file(dir + "/sweep/fit.json"));
  EXPECT_EQ(fit["E"], s["fit"]["E"]);
  EXPECT_EQ(fit["runs"].get<size_t>(), plan->size());
  for (const char* k : {"approach1", "approach2", "km", "intervals", "bootstrap_params"})
    EXPECT_TRUE(fit.contains(k)) << k;
  ASSERT_EQ(run_cli("scaling fit --bootstrap 5 --coarse --runs " + dir + "/sweep/runs.csv --out " +
                        dir + "/fit2.json",
                    &out),
            0)
      << out;
  auto fit2 = nlohmann::json::parse(*read_file(dir + "/fit2.json"));
  for (auto& [k, v] : fit.items()) EXPECT_TRUE(fit2.contains(k)) << k;
  for (auto& [k, v] : fit2.items()) EXPECT_TRUE(fit.contains(k)) << k;
  EXPECT_EQ(runs->extra_columns[0], "budget");
  // Resume: everything is skipped the second time.
  ASSERT_EQ(run_cli("scaling sweep --config " + cfg_path + " --json", &out), 0) << out;
  auto s2 = nlohmann::json::parse(out);
  EXPECT_EQ(s2["ran"].get<int>(), 0);
  EXPECT_EQ(s2["skipped"].get<int>(), static_cast<int>(plan->size()));
}

// A sweep scores a run by its validation loss, never by the training loss (here far below it,
// as one lucky batch); a run without a val_loss is an error that says to pack a val split.
TEST(Sweep, ScoresRunsByValidationLoss) {
  std::string dir = tmpdir("val");
  ASSERT_TRUE(make_dirs(dir + "/run").ok());
  ASSERT_TRUE(write_file_atomic(dir + "/run/metrics.jsonl",
                                "{\"step\": 10, \"tokens\": 100, \"loss\": 5.0}\n"
                                "{\"step\": 20, \"tokens\": 200, \"loss\": 2.0}\n"
                                "{\"step\": 20, \"tokens\": 200, \"val_loss\": 4.25}\n")
                  .ok());
  auto v = final_loss(dir + "/run");
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  EXPECT_DOUBLE_EQ(*v, 4.25);
  ASSERT_TRUE(write_file_atomic(dir + "/run/metrics.jsonl",
                                "{\"step\": 10, \"tokens\": 100, \"loss\": 5.0}\n"
                                "{\"step\": 20, \"tokens\": 200, \"loss\": 2.0}\n")
                  .ok());
  auto none = final_loss(dir + "/run");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("run/metrics.jsonl: no val_loss"), std::string::npos)
      << none.status().message();
  EXPECT_NE(none.status().hint().find("--val-fraction"), std::string::npos);
}

// Non-embedding vs embedding parameters of a shape, and what the sweep prints about them and
// about what its fit can tell.
TEST(Sweep, ReportShowsNonEmbeddingShareAndWhatTheFitCanTell) {
  SweepShape sh{2, 4, 64};
  ParamSplit p = param_split(512, 64, sh);
  EXPECT_DOUBLE_EQ(p.non_embedding, 2 * (12 * 64 * 64 + 13 * 64) + 2 * 64);
  EXPECT_DOUBLE_EQ(p.embedding, (512 + 64) * 64);
  EXPECT_NEAR(p.share(), 100096.0 / (100096 + 36864), 1e-12);

  std::string dir = tmpdir("reading");
  std::string cfg_path = write_config(dir);
  std::string out;
  ASSERT_EQ(run_cli("scaling sweep --config " + cfg_path, &out), 0) << out;
  EXPECT_NE(out.find("N (non-emb)  embedding  share"), std::string::npos) << out;
  EXPECT_NE(out.find("val loss"), std::string::npos) << out;
  EXPECT_NE(out.find("What this fit can and cannot tell:"), std::string::npos) << out;
  EXPECT_NE(out.find("  - can: predict a run"), std::string::npos) << out;
  EXPECT_NE(out.find("  - cannot: "), std::string::npos) << out;
  // No pack here (data = "unused/prefix"): the config's vocabulary (4096) is used and recorded.
  auto s = nlohmann::json::parse(*read_file(dir + "/sweep/sweep.json"));
  EXPECT_EQ(s["vocab"].get<int>(), 4096);
  // sweep.json keeps the reading (for the HTML report), the text printed above.
  const std::string reading = s["reading"].get<std::string>();
  EXPECT_EQ(reading.rfind("What this fit can and cannot tell:", 0), 0u) << reading;
  EXPECT_NE(out.find(reading), std::string::npos) << reading;
  // With the config's 4096-token vocabulary the small shapes are mostly embedding: the reading
  // says so.
  EXPECT_NE(reading.find("under 50% non-embedding parameters"), std::string::npos) << reading;
  EXPECT_NE(reading.find("mostly lookup table"), std::string::npos) << reading;

  // plan.json and sweep.json's run_table give each run's parameters apart, its tokens, steps and
  // validation loss; the held-out run is the last row.
  auto plan = nlohmann::json::parse(*read_file(dir + "/sweep/plan.json"));
  ASSERT_TRUE(plan.is_array() && !plan.empty());
  for (const auto& p : plan) {
    SweepShape sh{p["n_layer"].get<int>(), p["n_head"].get<int>(), p["n_embd"].get<int>()};
    ParamSplit ps = param_split(4096, 64, sh);
    EXPECT_DOUBLE_EQ(p["non_embedding_params"].get<double>(), ps.non_embedding);
    EXPECT_DOUBLE_EQ(p["embedding_params"].get<double>(), ps.embedding);
    EXPECT_DOUBLE_EQ(p["non_embedding_share"].get<double>(), ps.share());
    // N is non-embedding here (count_embeddings = false).
    EXPECT_DOUBLE_EQ(p["params"].get<double>(), ps.non_embedding);
  }
  EXPECT_EQ(s["seq_len"].get<int>(), 64);
  const auto& table = s["run_table"];
  ASSERT_TRUE(table.is_array());
  ASSERT_EQ(table.size(), plan.size() + 1);
  auto runs = read_runs_csv(dir + "/sweep/runs.csv");
  ASSERT_TRUE(runs.ok());
  for (size_t i = 0; i < plan.size(); ++i) {
    const auto& row = table[i];
    EXPECT_EQ(row["name"], plan[i]["name"]);
    for (const char* k : {"budget", "n_layer", "n_head", "n_embd", "params", "non_embedding_params",
                          "embedding_params", "non_embedding_share", "tokens", "steps"})
      EXPECT_EQ(row[k], plan[i][k]) << i << " " << k;
    EXPECT_DOUBLE_EQ(row["val_loss"].get<double>(), runs->runs[i].loss) << i;
    EXPECT_FALSE(row["holdout"].get<bool>());
  }
  const auto& held = table.back();
  EXPECT_TRUE(held["holdout"].get<bool>());
  EXPECT_EQ(held["name"], s["holdout"]["name"]);
  EXPECT_DOUBLE_EQ(held["val_loss"].get<double>(), s["holdout_actual_loss"].get<double>());
  EXPECT_DOUBLE_EQ(held["predicted_loss"].get<double>(), s["holdout_predicted_loss"].get<double>());
  EXPECT_GT(held["non_embedding_share"].get<double>(), 0);
}

// The note on embedding-dominated runs appears only when a run has under 50% non-embedding
// parameters (with 512 tokens: 1 x 16 has 26%, 2 x 32 58%, 2 x 48 67%).
TEST(Sweep, ReadingNotesRunsWhereTheEmbeddingDominates) {
  SweepConfig c;
  c.vocab = 512;
  c.seq_len = 64;
  auto result = [&](std::vector<SweepShape> shapes) {
    SweepResult r;
    for (const auto& sh : shapes) {
      PlannedRun p = plan_run(c, sh, 1e11);
      r.planned.push_back(p);
      r.runs.runs.push_back(scaling::Run{p.params, p.tokens, 4.0, p.flops, p.name, {}});
    }
    return r;
  };
  const std::string mostly_layers = sweep_reading(c, result({{2, 4, 32}, {2, 6, 48}}));
  EXPECT_EQ(mostly_layers.find("under 50% non-embedding"), std::string::npos) << mostly_layers;
  EXPECT_NE(mostly_layers.find("non-embedding parameters are 58% to 67% of each model"),
            std::string::npos)
      << mostly_layers;
  const std::string with_small = sweep_reading(c, result({{1, 2, 16}, {2, 4, 32}, {2, 6, 48}}));
  EXPECT_NE(with_small.find("  - note: 1 of the 3 runs have under 50% non-embedding parameters "
                            "(down to 26%): the embedding dominates them, so the law's N there "
                            "is mostly lookup table"),
            std::string::npos)
      << with_small;
}

// A fit whose loss falls as N shrinks (alpha <= 0) has no optimum: the reading says so.
TEST(Sweep, ReadingSaysWhenTheFitHasNoOptimum) {
  SweepConfig c;
  c.vocab = 512;
  c.seq_len = 64;
  SweepResult r;
  PlannedRun p = plan_run(c, SweepShape{2, 2, 32}, 1e10);
  r.planned = {p, plan_run(c, SweepShape{2, 2, 48}, 1e10)};
  r.runs.runs = {
      scaling::Run{p.params, p.tokens, 5.0, p.flops, p.name, {}},
      scaling::Run{r.planned[1].params, r.planned[1].tokens, 5.2, r.planned[1].flops, "b", {}}};
  r.fit.params.alpha = -5.3;
  r.holdout_skipped = "the fit has alpha -5.3";
  std::string s = sweep_reading(c, r);
  EXPECT_NE(s.find("cannot, at these budgets: find a compute-optimal size (alpha -5.30"),
            std::string::npos)
      << s;
  EXPECT_EQ(s.find("  - can: "), std::string::npos) << s;
  EXPECT_NE(format_sweep(c, r, false).find("held-out: not predicted: the fit has alpha -5.3"),
            std::string::npos);
}

std::vector<std::string> lines(const std::string& path) {
  std::vector<std::string> out;
  auto text = read_file(path);
  if (!text.ok()) return out;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t nl = text->find('\n', pos);
    if (nl == std::string::npos) nl = text->size();
    out.push_back(text->substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

// The steps in a run's metrics.jsonl training records: strictly increasing, ending at `last`.
void expect_one_clean_run(const std::string& dir, int64_t last) {
  auto m = read_metrics(dir + "/metrics.jsonl");
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  for (size_t i = 1; i < m->points.size(); ++i) EXPECT_LT(m->points[i - 1].step, m->points[i].step);
  EXPECT_EQ(m->points.back().step, last);
  EXPECT_EQ(m->val.size(), 1u);
}

// A sweep stopped in the middle of a run: the run continues from its checkpoint (--resume) when
// it has one and starts over when it has none; the thread count reaches every trainer run.
TEST(Sweep, InterruptedRunResumesFromItsCheckpointOrRestarts) {
  for (const std::string mode : {"ckpt", "nockpt"}) {
    std::string dir = tmpdir("resume-" + mode);
    std::string cfg_path = write_config(dir, "threads = 3\n");
    auto cfg = load_sweep_config(cfg_path);
    ASSERT_TRUE(cfg.ok());
    EXPECT_EQ(cfg->threads, 3);
    auto plan = plan_sweep(*cfg);
    ASSERT_TRUE(plan.ok());
    const PlannedRun& victim = (*plan)[1];
    auto argv = trainer_argv(*cfg, victim, true);
    auto it = std::find(argv.begin(), argv.end(), "--threads");
    ASSERT_NE(it, argv.end());
    EXPECT_EQ(*(it + 1), "3");
    EXPECT_EQ(argv.back(), "--resume");
    setenv("FAKE_TRAINER_INTERRUPT", (victim.name + ":" + mode).c_str(), 1);
    std::string out;
    EXPECT_EQ(run_cli("scaling sweep --no-holdout --config " + cfg_path, &out), 1) << out;
    unsetenv("FAKE_TRAINER_INTERRUPT");
    EXPECT_TRUE(file_exists((*plan)[0].dir + "/sweep_done.json"));
    EXPECT_FALSE(file_exists(victim.dir + "/sweep_done.json"));
    EXPECT_EQ(file_exists(victim.dir + "/checkpoint/train_state.json"), mode == "ckpt");
    // Resumed with the thread count from the command line, which overrides the config's.
    ASSERT_EQ(run_cli("scaling sweep --no-holdout --threads 1 --json --config " + cfg_path, &out),
              0)
        << out;
    auto s = nlohmann::json::parse(out.substr(out.rfind("\n{") + 1));  // after the log lines
    EXPECT_EQ(s["resumed"].get<int>(), 1);
    EXPECT_EQ(s["skipped"].get<int>(), 1);
    EXPECT_EQ(s["ran"].get<int>(), static_cast<int>(plan->size()) - 1);
    EXPECT_EQ(s["threads"].get<int>(), 1);
    auto inv = lines(victim.dir + "/invocations.txt");
    ASSERT_EQ(inv.size(), 2u);
    EXPECT_EQ(inv[0], "threads=3 resume=0 start=0");
    if (mode == "ckpt")
      EXPECT_EQ(inv[1], fmt::format("threads=1 resume=1 start={}", victim.steps / 2));
    else
      EXPECT_EQ(inv[1], "threads=1 resume=0 start=0");
    expect_one_clean_run(victim.dir, victim.steps);
    EXPECT_NE(read_file(victim.dir + "/train.log")->find("fake interruption"), std::string::npos)
        << "the log of the interrupted attempt is kept (appended to)";
  }
}

// max_tokens (one epoch of the corpus) caps every planned run, so that none repeats data.
TEST(Sweep, MaxTokensCapsEveryRun) {
  auto uncapped = load_sweep_config(write_config(tmpdir("cap0")));
  auto capped = load_sweep_config(write_config(tmpdir("cap"), "max_tokens = 6e6\n"));
  ASSERT_TRUE(uncapped.ok() && capped.ok());
  EXPECT_EQ(capped->max_tokens, 6e6);
  auto p0 = plan_sweep(*uncapped), p1 = plan_sweep(*capped);
  ASSERT_TRUE(p0.ok() && p1.ok()) << p1.status().to_string();
  double max0 = 0;
  for (const auto& r : *p0) max0 = std::max(max0, r.tokens);
  EXPECT_GT(max0, 6e6);  // the cap matters for this grid
  for (const auto& r : *p1) EXPECT_LE(r.tokens, 6e6) << r.name;
  capped->max_tokens = 1e3;
  auto p2 = plan_sweep(*capped);
  ASSERT_FALSE(p2.ok());
  EXPECT_NE(p2.status().message().find("<= 1e+03 tokens"), std::string::npos)
      << p2.status().message();
}

TEST(Sweep, FailingRunAndBadConfigAreClearErrors) {
  std::string dir = tmpdir("fail");
  std::string cfg_path = write_config(dir);
  setenv("FAKE_TRAINER_FAIL", "e32", 1);
  std::string out;
  EXPECT_EQ(run_cli("scaling sweep --config " + cfg_path, &out), 1);
  unsetenv("FAKE_TRAINER_FAIL");
  EXPECT_NE(out.find("trainer failed"), std::string::npos) << out;
  EXPECT_NE(out.find("train.log"), std::string::npos) << out;
  std::string bad = write_config(tmpdir("bad"), "shapes = 3\n");
  EXPECT_FALSE(load_sweep_config(bad).ok());  // TOML redefinition error with the line
  EXPECT_TRUE(write_file_atomic(dir + "/few.toml",
                                "data=\"x\"\nout=\"y\"\nbudgets=[1e12]\n"
                                "shapes=[{n_layer=1,n_head=1,n_embd=16}]\n")
                  .ok());
  auto c = load_sweep_config(dir + "/few.toml");
  ASSERT_TRUE(c.ok());
  auto p = plan_sweep(*c);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("parabola needs 3"), std::string::npos);
}

// An attention-only shape (mlp = false): N without the MLP and ln_2 (4 L h^2 + 6 L h + 2 h), its
// own run name, and the trainer asked for it (--mlp false); a non-boolean mlp is an error.
TEST(Sweep, AttentionOnlyShapes) {
  const std::string dir = tmpdir("attn");
  ASSERT_TRUE(make_dirs(dir).ok());
  ASSERT_TRUE(write_file_atomic(dir + "/attn.toml",
                                "data=\"x\"\nout=\"y\"\nbudgets=[1e12]\n"
                                "shapes=[{n_layer=2,n_head=4,n_embd=64,mlp=false},"
                                "{n_layer=2,n_head=4,n_embd=64}]\n")
                  .ok());
  auto c = load_sweep_config(dir + "/attn.toml");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->shapes.size(), 2u);
  EXPECT_FALSE(c->shapes[0].mlp);
  EXPECT_TRUE(c->shapes[1].mlp);
  EXPECT_DOUBLE_EQ(param_split(257, 512, c->shapes[0]).non_embedding,
                   2 * (4 * 64 * 64 + 6 * 64) + 2 * 64);
  EXPECT_DOUBLE_EQ(param_split(257, 512, c->shapes[1]).non_embedding,
                   2 * (12 * 64 * 64 + 13 * 64) + 2 * 64);
  const PlannedRun a = plan_run(*c, c->shapes[0], 1e12), r = plan_run(*c, c->shapes[1], 1e12);
  EXPECT_EQ(a.name, r.name + "-attn");
  const auto argv = trainer_argv(*c, a);
  auto it = std::find(argv.begin(), argv.end(), "--mlp");
  ASSERT_NE(it, argv.end());
  EXPECT_EQ(*(it + 1), "false");
  const auto rargv = trainer_argv(*c, r);
  EXPECT_EQ(std::find(rargv.begin(), rargv.end(), "--mlp"), rargv.end());
  ASSERT_TRUE(write_file_atomic(dir + "/bad.toml",
                                "data=\"x\"\nout=\"y\"\nbudgets=[1e12]\n"
                                "shapes=[{n_layer=2,n_head=4,n_embd=64,mlp=0}]\n")
                  .ok());
  auto b = load_sweep_config(dir + "/bad.toml");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("mlp must be true or false"), std::string::npos);
}

}  // namespace
}  // namespace lm::scaling
