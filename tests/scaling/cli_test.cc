// cli_test.cc: the scaling and estimate subcommands through the lmforge binary: the --json
// contracts the issue lists (keys, SI units), the reference numbers, and bad input (a clear
// error naming the row, exit code 1; a fit that does not converge says so).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/file_util.h"

namespace {

using nlohmann::json;

int run_cli(const std::string& args, std::string* out, bool with_stderr = false) {
  std::string cmd =
      std::string(LMFORGE_BINARY) + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  out->clear();
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out->append(buf, n);
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string tmp(const std::string& name) {
  std::string d = std::string(LMFORGE_BUILD_DIR) + "/test-tmp/cli-" + std::to_string(getpid());
  EXPECT_TRUE(lm::make_dirs(d).ok());
  return d + "/" + name;
}

TEST(Cli, OptimalJson) {
  std::string out;
  ASSERT_EQ(run_cli("scaling optimal --compute 5.76e23 --json", &out), 0);
  json j = json::parse(out);
  for (const char* k : {"N_opt", "D_opt", "loss", "G", "a", "b"}) ASSERT_TRUE(j.contains(k)) << k;
  EXPECT_NEAR(j["N_opt"].get<double>() / 3.2190e10, 1, 1e-4);
  EXPECT_NEAR(j["loss"].get<double>(), 1.93075, 1e-5);
  EXPECT_NEAR(j["km"]["a"].get<double>(), 0.73, 0);
  ASSERT_EQ(run_cli("scaling optimal --compute 1e21 --law epoch --json", &out), 0);
  EXPECT_NEAR(json::parse(out)["N_opt"].get<double>() / 2.7821e9, 1, 1e-4);
  EXPECT_EQ(run_cli("scaling optimal --compute -1", &out), 1);
  EXPECT_EQ(run_cli("scaling optimal --compute 1e21 --law nosuch.json", &out), 1);
}

TEST(Cli, LawJson) {
  std::string out;
  ASSERT_EQ(run_cli("scaling law --params 1e9 --tokens 1e10 --unique-tokens 1e9 --json", &out), 0);
  json j = json::parse(out);
  EXPECT_NEAR(j["kaplan"]["L_N"]["loss"].get<double>(), 2.37564, 5e-6);
  EXPECT_NEAR(j["kaplan"]["L_ND"]["loss"].get<double>(), 2.41965, 5e-6);
  EXPECT_TRUE(j.contains("data_constrained"));
  auto& c = j["chinchilla"]["rounded"];
  EXPECT_NEAR(c["E"].get<double>() + c["model_term"].get<double>() + c["data_term"].get<double>(),
              c["loss"].get<double>(), 1e-12);
  EXPECT_EQ(run_cli("scaling law", &out), 1);
}

TEST(Cli, EstimateJson) {
  std::string out;
  ASSERT_EQ(run_cli("estimate --params 175e9 --layers 96 --width 12288 --heads 96 --tokens 300e9 "
                    "--gpus 1024 --gpu a100-80g --mfu 0.4 --zero 1 --recompute full --json",
                    &out),
            0);
  json j = json::parse(out);
  EXPECT_DOUBLE_EQ(j["params"].get<double>(), 175e9);
  EXPECT_DOUBLE_EQ(j["flops"].get<double>(), 3.15e23);
  for (const char* k : {"weights", "gradients", "optimizer", "activations", "total"})
    ASSERT_TRUE(j["memory"].contains(k)) << k;
  EXPECT_NEAR(j["memory"]["optimizer"].get<double>(), 12 * 175e9 / 1024, 1);
  EXPECT_NEAR(j["time"].get<double>() / 86400, 28.53, 0.01);
  EXPECT_EQ(run_cli("estimate --gpus 3 --tp 2 --params 1e9", &out), 1);
  // An HF GPT-2 config.json as `lmforge train` saves it: GPT-2 small, 124,439,808 parameters.
  std::string cfg = tmp("config.json");
  ASSERT_TRUE(
      lm::write_file_atomic(cfg, R"({"model_type":"gpt2","vocab_size":50257,"n_positions":1024,
      "n_ctx":1024,"n_embd":768,"n_layer":12,"n_head":12})")
          .ok());
  ASSERT_EQ(run_cli("estimate --config " + cfg + " --tokens 1e9 --json", &out), 0);
  EXPECT_DOUBLE_EQ(json::parse(out)["params"].get<double>(), 124439808);
  ASSERT_TRUE(lm::write_file_atomic(cfg, R"({"n_embd":768,"n_layer":12,"n_head":7})").ok());
  EXPECT_EQ(run_cli("estimate --config " + cfg, &out), 1);
  ASSERT_EQ(run_cli("estimate --table --json", &out), 0);
  EXPECT_EQ(json::parse(out)["rows"].size(), 4u);
}

TEST(Cli, FitJsonAndBadRunsCsv) {
  std::string csv = "params,tokens,loss\n";
  for (double n : {1e7, 3e7, 1e8, 3e8, 1e9})
    for (double tpp : {5.0, 20.0, 80.0})
      csv += fmt::format("{},{},{}\n", n, n * tpp,
                         1.8 + 500 / std::pow(n, 0.34) + 1500 / std::pow(n * tpp, 0.3));
  std::string path = tmp("runs.csv");
  ASSERT_TRUE(lm::write_file_atomic(path, csv).ok());
  std::string out;
  ASSERT_EQ(run_cli("scaling fit --runs " + path + " --bootstrap 10 --coarse --json --out " +
                        tmp("fit.json"),
                    &out),
            0);
  json j = json::parse(out);
  for (const char* k : {"E", "A", "B", "alpha", "beta", "objective", "intervals"})
    ASSERT_TRUE(j.contains(k)) << k;
  EXPECT_NEAR(j["E"].get<double>(), 1.8, 0.01);
  EXPECT_EQ(j["intervals"]["E"].size(), 2u);
  ASSERT_EQ(run_cli("scaling optimal --compute 1e21 --law " + tmp("fit.json") + " --json", &out),
            0);
  // Bad rows: the error names file:line and the column.
  ASSERT_TRUE(lm::write_file_atomic(path, "params,tokens,loss\n1e8,1e9,3\n1e8,1e9,NaN\n").ok());
  EXPECT_EQ(run_cli("scaling fit --runs " + path, &out, true), 1);
  EXPECT_NE(out.find("runs.csv:3: column 'loss'"), std::string::npos) << out;
  ASSERT_TRUE(lm::write_file_atomic(path, "params,loss\n1e8,3\n").ok());
  EXPECT_EQ(run_cli("scaling fit --runs " + path, &out, true), 1);
  EXPECT_NE(out.find("missing column(s): tokens"), std::string::npos) << out;
  ASSERT_TRUE(lm::write_file_atomic(path, "params,tokens,loss\n1e8,1e9,3\n2e8,1e9,2.9\n").ok());
  EXPECT_EQ(run_cli("scaling fit --runs " + path, &out, true), 1);
  EXPECT_NE(out.find("at least 5 runs"), std::string::npos) << out;
}

// Nine runs of a real tiny sweep (examples/sweep-tiny.toml on the sample): too few and too short
// for a law, so some bootstrap resamples run A off to infinity (here: 2 or more of 50). The
// spread is then unbounded: "s.e. inf" in the text and null in the JSON, never "nan" (which
// came from inf - inf).
TEST(Cli, UnboundedBootstrapSpreadIsInfNotNan) {
  std::string path = tmp("tiny_sweep_runs.csv");
  ASSERT_TRUE(lm::write_file_atomic(path, R"(params,tokens,loss
3312,251648,5.3034136295318604
12768,65280,5.7563028335571289
25472,32768,5.8733854293823242
12768,195840,5.2455754280090332
25472,98176,5.3109347820281982
56640,44160,5.814185619354248
25472,327168,4.7981595993041992
56640,147072,5.2702515125274658
100096,83200,5.4353578090667725
)")
                  .ok());
  std::string out;
  ASSERT_EQ(run_cli("scaling fit --runs " + path + " --bootstrap 50 --threads 1", &out), 0);
  EXPECT_EQ(out.find("nan"), std::string::npos) << out;
  ASSERT_EQ(run_cli("scaling fit --runs " + path + " --bootstrap 50 --threads 1 --json", &out), 0);
  json j = json::parse(out);
  for (const auto& [k, v] : j["se"].items()) {
    if (!v.is_null()) {
      EXPECT_TRUE(std::isfinite(v.get<double>())) << k;
    }
  }
}

TEST(Cli, NonConvergedFitSaysSo) {
  std::string csv = "params,tokens,loss\n";
  for (double n : {1e7, 3e7, 1e8, 3e8, 1e9})
    for (double tpp : {5.0, 20.0, 80.0})
      csv += fmt::format("{},{},{}\n", n, n * tpp,
                         1.8 + 500 / std::pow(n, 0.34) + 1500 / std::pow(n * tpp, 0.3));
  std::string path = tmp("runs2.csv");
  ASSERT_TRUE(lm::write_file_atomic(path, csv).ok());
  std::string out;
  ASSERT_EQ(
      run_cli("scaling fit --runs " + path + " --coarse --bootstrap 0 --max-iterations 2", &out),
      0);
  EXPECT_NE(out.find("NOT CONVERGED"), std::string::npos) << out;
  EXPECT_NE(out.find("best objective so far"), std::string::npos) << out;
  ASSERT_EQ(
      run_cli("scaling fit --runs " + path + " --coarse --bootstrap 0 --max-iterations 2 --json",
              &out),
      0);
  EXPECT_FALSE(json::parse(out)["converged"].get<bool>());
}

TEST(Cli, ExtrapolateMonitorSynthetic) {
  std::string m;
  for (int s = 1; s <= 400; ++s) {
    double t = s * 1000.0;
    m += fmt::format("{{\"step\":{},\"tokens\":{},\"loss\":{}}}\n", s, t,
                     2 + std::pow(1e5 / t, 0.4));
  }
  std::string path = tmp("metrics.jsonl");
  ASSERT_TRUE(lm::write_file_atomic(path, m).ok());
  std::string out;
  ASSERT_EQ(run_cli("scaling extrapolate --metrics " + path + " --json", &out), 0);
  json j = json::parse(out);
  EXPECT_NEAR(j["relative_error"].get<double>(), 0, 1e-3);
  ASSERT_EQ(run_cli("scaling monitor --metrics " + path + " --json", &out), 0);
  EXPECT_EQ(json::parse(out)["count"].get<int>(), 0);
  ASSERT_EQ(run_cli("scaling synthetic --out " + tmp("syn") + " --docs 20 --words 50 --json", &out),
            0);
  EXPECT_GT(json::parse(out)["entropy_nats_per_word"].get<double>(), 0);
}

}  // namespace
