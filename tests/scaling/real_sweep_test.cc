// real_sweep_test.cc: a tiny IsoFLOP sweep with the real `lmforge train` on a synthetic Markov
// corpus (scaling synthetic -> tokenizer train -> pack -> scaling sweep): 9 runs + a held-out
// run, resumable, with the fitted E printed beside the corpus's true entropy. Skips when the
// binary was built without the tokenizer/dataset/train modules. About 0.5M tokens of training.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/file_util.h"

namespace {

using nlohmann::json;

int sh(const std::string& cmd, std::string* out) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  out->clear();
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out->append(buf, n);
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

bool has(const std::string& sub, const std::string& flag) {
  std::string out;
  sh(std::string(LMFORGE_BINARY) + " " + sub + " --help", &out);
  return out.find(flag) != std::string::npos;
}

TEST(RealSweep, TinySweepWithTheTrainerOnASyntheticCorpus) {
  if (!has("train", "--max-steps") || !has("pack", "--val-fraction") ||
      !has("tokenizer train", "--vocab-size")) {
    GTEST_SKIP() << "lmforge was built without train/pack/tokenizer";
  }
  const std::string bin = LMFORGE_BINARY;
  const std::string dir =
      std::string(LMFORGE_BUILD_DIR) + "/test-tmp/real-sweep-" + std::to_string(getpid());
  std::string out;
  ASSERT_EQ(sh(bin + " scaling synthetic --out " + dir +
                   "/corpus --vocab 256 --branching 8 "
                   "--docs 2000 --words 200 --json",
               &out),
            0)
      << out;
  double entropy = json::parse(out.substr(out.find('{')))["entropy_nats_per_word"].get<double>();
  ASSERT_EQ(sh(bin + " tokenizer train --algo bpe --vocab-size 700 --in " + dir + "/corpus --out " +
                   dir + "/tokenizer.json",
               &out),
            0)
      << out;
  ASSERT_EQ(sh(bin + " pack --in " + dir + "/corpus --tokenizer " + dir + "/tokenizer.json --out " +
                   dir + "/pack/corpus --val-fraction 0.02",
               &out),
            0)
      << out;
  std::string cfg = fmt::format(R"(data = "{0}/pack/corpus"
out = "{0}/sweep"
budgets = [2e8, 6e8, 2e9]
holdout_budget = 5e9
points_per_budget = 3
seq_len = 16
batch_size = 4
lr = 3e-3
min_steps = 10
min_tokens_per_param = 0.5
max_tokens_per_param = 60
bootstrap = 30
entropy = {1}
extra_args = ["--warmup-steps", "5", "--eval-interval", "100000", "--eval-steps", "10", "--threads", "1"]
shapes = [{{n_layer = 1, n_head = 1, n_embd = 8}}, {{n_layer = 1, n_head = 1, n_embd = 16}},
          {{n_layer = 1, n_head = 2, n_embd = 24}}, {{n_layer = 1, n_head = 2, n_embd = 32}},
          {{n_layer = 2, n_head = 2, n_embd = 32}}, {{n_layer = 2, n_head = 2, n_embd = 48}}]
)",
                                dir, entropy);
  ASSERT_TRUE(lm::write_file_atomic(dir + "/sweep.toml", cfg).ok());
  ASSERT_EQ(sh(bin + " --no-progress scaling sweep --config " + dir + "/sweep.toml", &out), 0)
      << out;
  std::printf("%s\n", out.c_str());
  auto s = json::parse(*lm::read_file(dir + "/sweep/sweep.json"));
  EXPECT_EQ(s["runs"].get<int>(), 9);
  double pred = s["holdout_predicted_loss"].get<double>(),
         act = s["holdout_actual_loss"].get<double>();
  EXPECT_TRUE(std::isfinite(act));
  EXPECT_NEAR(pred, act, 0.25 * act);  // tiny, noisy runs: a sanity bound, not a quality claim
  // Not asserted: on runs this short the fitted E collapses to 0, far below the true entropy
  // (a known gap, see docs/scaling.md); the line below reports it.
  std::printf("held-out predicted %.4f actual %.4f; fitted E %.4f vs entropy %.4f nats/word\n",
              pred, act, s["fit"]["E"].get<double>(), entropy);
  ASSERT_EQ(sh(bin + " scaling sweep --config " + dir + "/sweep.toml --json", &out), 0) << out;
  EXPECT_EQ(json::parse(out.substr(out.find('{')))["ran"].get<int>(), 0);  // resumed: all skipped
  ASSERT_EQ(sh(bin + " report " + dir + "/sweep --bootstrap 20", &out), 0) << out;
}

}  // namespace
