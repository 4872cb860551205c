// trainer_test.cc: the trainer end to end on a synthetic packed dataset: it learns (val loss
// below a stated value), resume is bit-identical to an uninterrupted run, results do not depend
// on the thread count, a diverging run stops with the last good checkpoint kept, and bad input
// (config keys, shapes, vocabulary, foreign or truncated checkpoints) fails before any work.
#include "train/trainer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/rng.h"
#include "kernels/kernels.h"
#include "model/checkpoint.h"
#include "synthetic_data.h"
#include "train/adamw.h"

namespace lm::train {
namespace {
namespace fs = std::filesystem;

class TrainerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // ctest runs each TEST in its own process, in parallel: one folder per process, or one
    // process's set-up deletes the checkpoint another is writing.
    root_ = fs::path(LMFORGE_BUILD_DIR) / "test_out" / ("trainer-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    prefix_ = testing::make_synthetic_data(root_ / "data");
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  TrainConfig tiny(const std::string& name) {
    TrainConfig c;
    c.data = prefix_;
    c.out = (root_ / name).string();
    fs::remove_all(c.out);
    c.n_layer = 2, c.n_head = 2, c.n_embd = 32, c.seq_len = 32, c.batch_size = 4;
    c.max_steps = 20, c.warmup_steps = 5, c.lr = 3e-3, c.eval_interval = 10, c.eval_steps = 4;
    c.threads = 1, c.peak_flops = 1e11;  // 1 thread: fast on a busy machine
    return c;
  }
  static std::vector<nlohmann::json> metrics(const std::string& run) {
    std::vector<nlohmann::json> out;
    std::ifstream f(run + "/metrics.jsonl");
    std::string line;
    while (std::getline(f, line)) out.push_back(nlohmann::json::parse(line));
    return out;
  }
  static inline fs::path root_;
  static inline std::string prefix_;
};

TEST_F(TrainerTest, LearnsTheSyntheticChain) {
  TrainConfig c = tiny("learn");
  c.max_steps = 100, c.eval_interval = 50, c.lr = 1e-2;
  auto r = run_training(c, false, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_TRUE(r->final_val_loss.has_value());
  // ln(40) = 3.69 at the start; the chain's entropy floor is ~0.53. Measured: ~0.7 at step 150.
  EXPECT_LT(*r->final_val_loss, 1.2);
  auto m = metrics(c.out);
  ASSERT_EQ(m.size(), 100u);
  EXPECT_GT(m[0]["loss"].get<double>(), 3.3);
  for (const char* k : {"step", "tokens", "loss", "lr", "grad_norm", "tokens_per_sec", "mfu"})
    EXPECT_TRUE(m[0].contains(k)) << k;
  EXPECT_TRUE(m[49].contains("val_loss"));
  EXPECT_FALSE(m[48].contains("val_loss"));
  EXPECT_EQ(m[99]["tokens"].get<uint64_t>(), 100u * 4 * 32);
  // HF-style checkpoint directory
  for (const char* f :
       {"model.safetensors", "config.json", "optimizer.safetensors", "train_state.json"})
    EXPECT_TRUE(file_exists(c.out + "/checkpoint/" + f)) << f;
}

// An attention-only run (mlp = false): it learns, its MLP stays exactly zero through every AdamW
// step (weight decay included), config.json says lmforge_mlp false, the summary counts only the
// used parameters, and it resumes as an attention-only model.
TEST_F(TrainerTest, AttentionOnlyKeepsItsMlpZero) {
  TrainConfig c = tiny("attn");
  c.mlp = false, c.max_steps = 60, c.eval_interval = 30, c.lr = 1e-2, c.checkpoint_interval = 30;
  auto r = run_training(c, false, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_TRUE(r->final_val_loss.has_value());
  EXPECT_LT(*r->final_val_loss, 2.5);  // ln(40) = 3.69 at the start
  const model::GptConfig mc = c.model_config(40);
  EXPECT_FALSE(mc.mlp);
  EXPECT_EQ(r->params, mc.num_params());
  auto loaded = model::load_model(c.out + "/checkpoint", kernels::cpu_kernels());
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_FALSE((*loaded)->config().mlp);
  size_t zeros = 0, moved = 0;
  model::Gpt init((*loaded)->config(), kernels::cpu_kernels());
  init.init_weights(c.seed);
  for (const auto& t : (*loaded)->layout().tensors())
    for (size_t i = 0; i < t.size; i++) {
      const float w = (*loaded)->params()[t.offset + i];
      if (model::is_mlp_tensor(t.name)) {
        zeros += w == 0.0f;
        EXPECT_EQ(w, 0.0f) << t.name;
      } else if (t.name.find(".ln_2.") != std::string::npos) {
        EXPECT_EQ(w, init.params()[t.offset + i]) << t.name;  // unused: left at its init
      } else {
        moved += w != init.params()[t.offset + i];
      }
    }
  EXPECT_EQ(zeros, 2u * (4 * 32 * 32 + 4 * 32 + 4 * 32 * 32 + 32));
  EXPECT_GT(moved, 1000u);
  auto cfg = read_file(c.out + "/checkpoint/config.json");
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(nlohmann::json::parse(*cfg)["lmforge_mlp"], false);
  // resuming with the regular model's flags is refused (another model config)
  TrainConfig regular = c;
  regular.mlp = true, regular.max_steps = 70;
  EXPECT_FALSE(run_training(regular, true, nullptr).ok());
  c.max_steps = 70;
  auto resumed = run_training(c, true, nullptr);
  ASSERT_TRUE(resumed.ok()) << resumed.status().to_string();
}

// AdamW steps on the attention-only model equal those on the reference (the regular model of the
// same seed with its MLP zeroed, whose MLP gradients are zeroed before each update): the same
// weights after 5 steps, and the attention-only MLP exactly zero.
TEST(AttentionOnly, AdamWStepsEqualTheZeroMlpReference) {
  kernels::set_kernel_threads(1);
  model::GptConfig c{.vocab_size = 40, .n_ctx = 32, .n_layer = 2, .n_head = 2, .n_embd = 16};
  model::GptConfig ca = c;
  ca.mlp = false;
  model::Gpt a(ca, kernels::cpu_kernels()), ref(c, kernels::cpu_kernels());
  a.init_weights(3);
  ref.init_weights(3);
  model::zero_mlp(ref.params(), ref.layout());
  AdamW oa(a.layout(), {}), oref(ref.layout(), {});
  Rng rng(5);
  const int B = 3, T = 29;
  std::vector<int32_t> in(B * T), tg(B * T);
  for (int step = 0; step < 5; step++) {
    for (int i = 0; i < B * T; i++) in[i] = rng.below(40), tg[i] = rng.below(40);
    model::Batch b{.inputs = in.data(), .targets = tg.data(), .B = B, .T = T};
    a.zero_grad(), ref.zero_grad();
    EXPECT_EQ(a.forward(b), ref.forward(b)) << step;
    a.backward(), ref.backward();
    for (const auto& t : ref.layout().tensors())
      if (model::is_mlp_tensor(t.name) || t.name.find(".ln_2.") != std::string::npos)
        std::fill(ref.grads() + t.offset, ref.grads() + t.offset + t.size, 0.0f);
    clip_grad_norm(a.grads(), a.num_params(), 1.0);
    clip_grad_norm(ref.grads(), ref.num_params(), 1.0);
    oa.update(a.params(), a.grads(), 1e-2f);
    oref.update(ref.params(), ref.grads(), 1e-2f);
  }
  double d = 0;
  for (size_t i = 0; i < a.num_params(); i++)
    d = std::max(d, (double)std::fabs(a.params()[i] - ref.params()[i]));
  EXPECT_LT(d, 1e-6);
  for (const auto& t : a.layout().tensors()) {
    if (!model::is_mlp_tensor(t.name)) continue;
    for (size_t i = 0; i < t.size; i++) ASSERT_EQ(a.params()[t.offset + i], 0.0f) << t.name;
  }
}

// The peak MFU divides by is the best of the sgemm measurements and of the rates steps achieved:
// a step faster than a measurement that read low (a busy core) has the peak measured again, and
// raised to the step's rate when still faster, so MFU never passes 100%. A configured peak stays.
TEST(PeakFlops, ReMeasuresAndNeverLetsMfuPassOne) {
  std::vector<double> readings = {150, 120, 130, 500};
  size_t next = 0;
  PeakFlops p(90, [&] { return readings[next++]; });
  EXPECT_EQ(p.observe(80), 90);  // slower than the peak: nothing measured
  EXPECT_EQ(next, 0u);
  EXPECT_EQ(p.observe(140), 150);  // faster: measured again, 150
  EXPECT_EQ(p.remeasured(), 1);
  EXPECT_FALSE(p.raised_to_achieved());
  EXPECT_EQ(p.observe(160), 160);  // measured 120 (still low): the step's own rate is the peak
  EXPECT_TRUE(p.raised_to_achieved());
  EXPECT_EQ(p.observe(170), 170);  // measured 130
  EXPECT_EQ(p.remeasured(), 3);
  EXPECT_EQ(p.observe(175), 175);  // no measurements left: raised without measuring
  EXPECT_EQ(next, 3u);
  EXPECT_EQ(p.value(), 175);
  PeakFlops fixed(100, {});  // peak_flops from the config
  EXPECT_EQ(fixed.observe(250), 100);
  EXPECT_EQ(fixed.remeasured(), 0);
}

// With the peak measured (peak_flops = 0) no step's MFU passes 100%, and run.json has the peak
// every MFU of the run's end was divided by.
TEST_F(TrainerTest, MeasuredPeakKeepsMfuAtMostOne) {
  TrainConfig c = tiny("mfu");
  c.peak_flops = 0;
  auto r = run_training(c, false, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  for (const auto& m : metrics(c.out)) {
    EXPECT_GT(m["mfu"].get<double>(), 0) << m.dump();
    EXPECT_LE(m["mfu"].get<double>(), 1.0) << m.dump();
  }
  auto info = nlohmann::json::parse(*read_file(c.out + "/run.json"));
  EXPECT_DOUBLE_EQ(info["peak_flops"].get<double>(), r->peak_flops);
  EXPECT_GT(r->peak_flops, 1e8);
  EXPECT_TRUE(info.contains("peak_flops_remeasured"));
}

TEST_F(TrainerTest, ResumeIsBitIdentical) {
  TrainConfig a = tiny("full");
  a.grad_accum = 2;
  ASSERT_TRUE(run_training(a, false, nullptr).ok());
  // The same run, interrupted after step 12 (last checkpoint: step 8), then resumed.
  TrainConfig b = tiny("resumed");
  b.grad_accum = 2, b.checkpoint_interval = 8;
  TrainHooks stop;
  stop.should_stop = [](int64_t step) { return step == 12; };
  auto r1 = run_training(b, false, nullptr, stop);
  ASSERT_TRUE(r1.ok()) << r1.status().to_string();
  EXPECT_EQ(r1->steps, 12);
  EXPECT_EQ(metrics(b.out).size(), 12u);
  auto r2 = run_training(b, true, nullptr);
  ASSERT_TRUE(r2.ok()) << r2.status().to_string();
  auto ma = metrics(a.out), mb = metrics(b.out);
  ASSERT_EQ(ma.size(), 20u);
  ASSERT_EQ(mb.size(), 20u);
  for (size_t i = 0; i < 20; i++)
    for (const char* k : {"step", "tokens", "loss", "lr", "grad_norm", "val_loss"})
      EXPECT_EQ(ma[i].value(k, nlohmann::json()), mb[i].value(k, nlohmann::json()))
          << "line " << i << " key " << k;
  auto wa = read_file(a.out + "/checkpoint/model.safetensors");
  auto wb = read_file(b.out + "/checkpoint/model.safetensors");
  ASSERT_TRUE(wa.ok() && wb.ok());
  EXPECT_TRUE(*wa == *wb) << "final weights differ";
}

TEST_F(TrainerTest, SameBytesForAnyThreadCount) {
  TrainConfig a = tiny("threads1"), b = tiny("threads2");
  a.max_steps = b.max_steps = 6;
  a.threads = 1, b.threads = 2;
  ASSERT_TRUE(run_training(a, false, nullptr).ok());
  ASSERT_TRUE(run_training(b, false, nullptr).ok());
  auto wa = read_file(a.out + "/checkpoint/model.safetensors");
  auto wb = read_file(b.out + "/checkpoint/model.safetensors");
  ASSERT_TRUE(wa.ok() && wb.ok());
  EXPECT_TRUE(*wa == *wb);
}

// kernels = "cpu-bf16": the run learns the chain as fp32 does, run.json names the set that ran
// (cpu-bf16 with AMX, cpu without), and the bytes do not depend on the thread count.
TEST_F(TrainerTest, Bf16KernelsLearnAndRecordTheSetThatRan) {
  TrainConfig a = tiny("bf16-1"), b = tiny("bf16-2");
  for (TrainConfig* c : {&a, &b}) {
    c->kernels = "cpu-bf16";
    c->max_steps = 100, c->eval_interval = 50, c->lr = 1e-2;
  }
  b.threads = 2;
  auto r = run_training(a, false, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_TRUE(r->final_val_loss.has_value());
  EXPECT_LT(*r->final_val_loss, 1.2);  // the fp32 bound of LearnsTheSyntheticChain
  auto info = nlohmann::json::parse(*read_file(a.out + "/run.json"));
  EXPECT_EQ(info["kernels"], "cpu-bf16");
  EXPECT_EQ(info["kernels_used"], kernels::bf16_kernels().name);
  ASSERT_TRUE(run_training(b, false, nullptr).ok());
  auto wa = read_file(a.out + "/checkpoint/model.safetensors");
  auto wb = read_file(b.out + "/checkpoint/model.safetensors");
  ASSERT_TRUE(wa.ok() && wb.ok());
  EXPECT_TRUE(*wa == *wb);
}

TEST_F(TrainerTest, DivergenceStopsAndKeepsLastGoodCheckpoint) {
  TrainConfig c = tiny("diverge");
  c.checkpoint_interval = 2, c.max_loss = 8.0, c.lr = 0.5, c.warmup_steps = 0, c.grad_clip = 0;
  auto r = run_training(c, false, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("diverged"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().hint().find("checkpoint"), std::string::npos);
  auto m = metrics(c.out);
  ASSERT_GE(m.size(), 1u);
  auto st = read_file(c.out + "/checkpoint/train_state.json");
  ASSERT_TRUE(st.ok());
  int64_t saved = nlohmann::json::parse(*st)["step"].get<int64_t>();
  EXPECT_LE(saved, (int64_t)m.size());
  EXPECT_EQ(saved % 2, 0);
}

TEST_F(TrainerTest, BadInputFailsBeforeAnyWork) {
  {
    TrainConfig c = tiny("bad_heads");
    c.n_head = 3;
    auto r = run_training(c, false, nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("does not divide"), std::string::npos);
    EXPECT_FALSE(fs::exists(c.out));
  }
  {
    TrainConfig c = tiny("bad_vocab");
    c.vocab_size = 20;  // the data has 40
    auto r = run_training(c, false, nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("vocabulary"), std::string::npos);
    EXPECT_FALSE(fs::exists(c.out));
  }
  {
    TrainConfig c = tiny("bad_ctx");
    c.n_ctx = 16;  // seq_len 32
    EXPECT_FALSE(run_training(c, false, nullptr).ok());
    TrainConfig d = tiny("too_long");
    d.seq_len = 100000;
    d.n_ctx = 0;
    auto r = run_training(d, false, nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("100000"), std::string::npos) << r.status().message();
  }
  {
    // A checkpoint from another config, then a truncated checkpoint.
    TrainConfig c = tiny("foreign");
    c.max_steps = 2;
    ASSERT_TRUE(run_training(c, false, nullptr).ok());
    TrainConfig other = c;
    other.n_layer = 3;
    other.max_steps = 4;
    auto r = run_training(other, true, nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("differs"), std::string::npos) << r.status().message();
    std::string w = c.out + "/checkpoint/model.safetensors";
    fs::resize_file(w, fs::file_size(w) - 100);
    c.max_steps = 4;
    r = run_training(c, true, nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("model.safetensors"), std::string::npos)
        << r.status().message();
  }
}

TEST(TrainConfigTest, TomlAndFlags) {
  fs::path dir = fs::path(LMFORGE_BUILD_DIR) / "test_out" / "train_config";
  fs::create_directories(dir);
  std::string good = (dir / "good.toml").string(), bad = (dir / "bad.toml").string();
  ASSERT_TRUE(write_file_atomic(good,
                                "n_layer = 6\nn-head = 6\nlr = 0.0006\nbias = false\n"
                                "kernels = \"ref\"\nmlp = false\n")
                  .ok());
  ASSERT_TRUE(write_file_atomic(bad, "n_layer = 2\n\nn_layers = 4\n").ok());
  TrainConfig c;
  ASSERT_TRUE(load_config_toml(good, &c).ok());
  EXPECT_EQ(c.n_layer, 6);
  EXPECT_EQ(c.n_head, 6);
  EXPECT_DOUBLE_EQ(c.lr, 6e-4);
  EXPECT_FALSE(c.bias);
  EXPECT_EQ(c.kernels, "ref");
  EXPECT_FALSE(c.mlp);
  EXPECT_FALSE(c.model_config(50).mlp);
  EXPECT_TRUE(set_config_key(&c, "mlp", "true", "--mlp").ok());  // the flag --mlp true|false
  EXPECT_TRUE(c.mlp);
  EXPECT_FALSE(set_config_key(&c, "mlp", "none", "--mlp").ok());
  c.mlp = false;
  Status s = load_config_toml(bad, &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("bad.toml:3"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("n_layers"), std::string::npos);
  EXPECT_TRUE(set_config_key(&c, "n-embd", "384", "--n-embd").ok());
  EXPECT_EQ(c.n_embd, 384);
  EXPECT_FALSE(set_config_key(&c, "n-embd", "38x", "--n-embd").ok());
  EXPECT_FALSE(set_config_key(&c, "lr", "fast", "--lr").ok());
  // the written config reads back identically
  ASSERT_TRUE(write_file_atomic((dir / "round.toml").string(), c.to_toml()).ok());
  TrainConfig d;
  ASSERT_TRUE(load_config_toml((dir / "round.toml").string(), &d).ok());
  EXPECT_EQ(d.to_toml(), c.to_toml());
  // the schedule and wsd's decay share are checked
  TrainConfig w;
  EXPECT_TRUE(set_config_key(&w, "lr-schedule", "wsd", "--lr-schedule").ok());
  EXPECT_TRUE(set_config_key(&w, "decay-fraction", "0.25", "--decay-fraction").ok());
  EXPECT_TRUE(w.validate().ok());
  w.decay_fraction = 0;
  EXPECT_NE(w.validate().message().find("decay_fraction"), std::string::npos);
  w.decay_fraction = 0.2;
  w.lr_schedule = "linear";
  EXPECT_NE(w.validate().message().find("cosine, constant or wsd"), std::string::npos);
}

TEST(LrScheduleTest, WarmupThenCosine) {
  LrSchedule s{.lr = 1.0f, .min_lr_ratio = 0.1f, .warmup_steps = 10, .max_steps = 110};
  EXPECT_FLOAT_EQ(s.at(0), 0.1f);
  EXPECT_FLOAT_EQ(s.at(9), 1.0f);
  EXPECT_FLOAT_EQ(s.at(10), 1.0f);
  EXPECT_NEAR(s.at(60), 0.55f, 1e-6);
  EXPECT_NEAR(s.at(110), 0.1f, 1e-6);
}

TEST(LrScheduleTest, WarmupStableThenLinearDecay) {
  // 10 warm-up steps, stable to step 80, then linear to 0 over the last 20% (steps 80..100).
  LrSchedule s{.lr = 1.0f,
               .min_lr_ratio = 0.0f,
               .warmup_steps = 10,
               .max_steps = 100,
               .shape = LrShape::kWsd,
               .decay_fraction = 0.2f};
  EXPECT_FLOAT_EQ(s.at(0), 0.1f);
  EXPECT_FLOAT_EQ(s.at(10), 1.0f);
  EXPECT_FLOAT_EQ(s.at(79), 1.0f);
  EXPECT_FLOAT_EQ(s.at(80), 1.0f);
  EXPECT_NEAR(s.at(90), 0.5f, 1e-6);
  EXPECT_NEAR(s.at(99), 0.05f, 1e-6);
  EXPECT_NEAR(s.at(100), 0.0f, 1e-6);
  s.min_lr_ratio = 0.1f;  // the decay ends at lr * min_lr_ratio
  EXPECT_NEAR(s.at(90), 0.55f, 1e-6);
  EXPECT_NEAR(s.at(100), 0.1f, 1e-6);
  s.decay_fraction = 1.0f;  // the decay never starts inside the warm-up
  EXPECT_FLOAT_EQ(s.at(5), 0.6f);
  EXPECT_FLOAT_EQ(s.at(10), 1.0f);
  EXPECT_NEAR(s.at(55), 0.55f, 1e-6);
  LrSchedule c{.lr = 1.0f, .warmup_steps = 2, .max_steps = 10, .shape = LrShape::kConstant};
  EXPECT_FLOAT_EQ(c.at(9), 1.0f);
}

}  // namespace
}  // namespace lm::train
