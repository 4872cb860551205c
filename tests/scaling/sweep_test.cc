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
  EXPECT_EQ(runs->extra_columns[0], "budget");
  // Resume: everything is skipped the second time.
  ASSERT_EQ(run_cli("scaling sweep --config " + cfg_path + " --json", &out), 0) << out;
  auto s2 = nlohmann::json::parse(out);
  EXPECT_EQ(s2["ran"].get<int>(), 0);
  EXPECT_EQ(s2["skipped"].get<int>(), static_cast<int>(plan->size()));
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

}  // namespace
}  // namespace lm::scaling
