// learning_test.cc: the learning check of issue 6 on real text: the first shard of the sample
// corpus (the corpus_sample fixture; the KJV Bible and part of GCIDE, ~14 MB) is turned into a
// 512-token byte-level BPE tokenizer and a packed dataset with the CLI, as the pipeline does,
// and a small GPT trained on it must bring its validation loss below a stated value within a
// stated number of steps. The figures come from real runs; they are a regression check (a
// broken gradient, optimizer or loader stays near the unigram level), not a timing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "test_util.h"
#include "train/trainer.h"

namespace lm::train {
namespace {
namespace fs = std::filesystem;

int run(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

// Tokenizer (BPE, 512 tokens) and pack (2% validation) of the sample's first shard, once.
class SampleLearning : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::path shard = fs::path(LMFORGE_SAMPLE_DIR) / "sample-00000.jsonl.zst";
    if (!fs::exists(shard)) return;
    // One folder per process: ctest runs each test in its own process, possibly in parallel.
    root_ = fs::path(LMFORGE_BUILD_DIR) / "test_out" / ("learning-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    std::string bin = LMFORGE_BINARY, tok = (root_ / "tokenizer.json").string();
    prefix_ = (root_ / "pack" / "corpus").string();
    ok_ = run(bin + " --no-progress tokenizer train --algo bpe --vocab-size 512 --threads 1 --in " +
              shard.string() + " --out " + tok) == 0 &&
          run(bin + " --no-progress pack --threads 1 --val-fraction 0.02 --in " + shard.string() +
              " --tokenizer " + tok + " --out " + prefix_) == 0;
  }
  static void TearDownTestSuite() {
    if (!root_.empty()) fs::remove_all(root_);
  }
  void SetUp() override {
    if (root_.empty()) LM_SKIP_OR_FAIL_IN_CI("no sample corpus in " << LMFORGE_SAMPLE_DIR);
    ASSERT_TRUE(ok_) << "tokenizer train or pack failed (run them by hand in " << root_ << ")";
  }
  TrainConfig small(const std::string& name) {
    TrainConfig c;
    c.data = prefix_;
    c.out = (root_ / name).string();
    fs::remove_all(c.out);
    c.n_layer = 2, c.n_head = 4, c.n_embd = 64, c.seq_len = 64, c.batch_size = 16;
    c.max_steps = 200, c.warmup_steps = 20, c.lr = 3e-3, c.eval_interval = 50, c.eval_steps = 8;
    c.seed = 1, c.threads = 1, c.peak_flops = 1e11;
    return c;
  }
  static double first_loss(const std::string& run_dir) {
    std::ifstream f(run_dir + "/metrics.jsonl");
    std::string line;
    std::getline(f, line);
    return nlohmann::json::parse(line)["loss"].get<double>();
  }
  static inline fs::path root_;
  static inline std::string prefix_;
  static inline bool ok_ = false;
};

// Measured (2026-11-29, 1 thread): val loss 4.91 / 4.47 / 4.24 / 4.155 at steps 50..200 with
// seed 1, 4.153 at step 200 with seed 2; ln(512) = 6.24 at the start. Bound: 4.35 at step 200.
TEST_F(SampleLearning, ValidationLossFallsBelowBound) {
  TrainConfig c = small("concatenate");
  auto r = run_training(c, false, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_TRUE(r->final_val_loss.has_value());
  EXPECT_NEAR(first_loss(c.out), std::log(512.0), 0.1);
  EXPECT_LT(*r->final_val_loss, 4.35);
}

// docmask: the same run with attention kept inside each document (positions restarting) and
// evaluated the same way. Measured (2026-11-29, seed 1): val loss 4.90 / 4.45 / 4.24 / 4.142 at
// steps 50..200; seed 2: 4.160 at step 200. Bound: 4.35 at step 200.
TEST_F(SampleLearning, DocmaskValidationLossFallsBelowBound) {
  TrainConfig c = small("docmask");
  c.loader_mode = "docmask";
  auto r = run_training(c, false, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_TRUE(r->final_val_loss.has_value());
  EXPECT_LT(*r->final_val_loss, 4.35);
}

}  // namespace
}  // namespace lm::train
