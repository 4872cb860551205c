// model_test.cc: GptConfig counts (GPT-2 124M has 124,439,808 parameters), the parameter layout,
// ref vs cpu kernels through the whole model (loss and every gradient), safetensors round trip
// and its errors on truncated or foreign files, and HF config.json round trip; the
// attention-only model (mlp false) against the zero-MLP regular model, its counts and files.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/file_util.h"
#include "core/rng.h"
#include "model/checkpoint.h"
#include "model/safetensors.h"

namespace lm::model {
namespace {
namespace fs = std::filesystem;

fs::path out_dir(const std::string& name) {
  fs::path p = fs::path(LMFORGE_BUILD_DIR) / "test_out" / "model" / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// Every gradient tensor of b within tol of a's (max |a-b| over max |a|).
void expect_same_gradients(Gpt& a, Gpt& b, double tol) {
  for (const auto& p : a.layout().tensors()) {
    double d = 0, m = 1e-8;
    for (size_t i = 0; i < p.size; i++) {
      d = std::max(d, (double)std::fabs(a.grads()[p.offset + i] - b.grads()[p.offset + i]));
      m = std::max(m, (double)std::fabs(a.grads()[p.offset + i]));
    }
    EXPECT_LT(d / m, tol) << p.name;
  }
}

TEST(GptConfigTest, CountsMatchTheTrainingNotes) {
  GptConfig gpt2;  // defaults are GPT-2 124M
  EXPECT_EQ(gpt2.num_params(), 124439808);
  EXPECT_EQ(ParamLayout(gpt2).total(), (size_t)gpt2.num_params());
  GptConfig c1{.vocab_size = 8192, .n_ctx = 256, .n_layer = 4, .n_head = 4, .n_embd = 256};
  EXPECT_NEAR(c1.num_params_no_position() / 1e6, 5.257,
              0.001);                                     // notes: 5.52 M with a 1024-row wpe
  EXPECT_NEAR(c1.flops_per_token(256) / 1e6, 34.8, 0.3);  // notes: 34.7 M
  GptConfig c2{.vocab_size = 8192, .n_ctx = 256, .n_layer = 6, .n_head = 6, .n_embd = 384};
  EXPECT_NEAR(c2.flops_per_token(256) / 1e6, 89.8, 0.3);
  GptConfig bad = c1;
  bad.n_head = 3;
  EXPECT_FALSE(bad.validate().ok());
  GptConfig nobias = c1;
  nobias.bias = false;
  EXPECT_EQ(ParamLayout(nobias).total(), (size_t)nobias.num_params());
}

TEST(GptConfigTest, HfJsonRoundTrip) {
  GptConfig c{
      .vocab_size = 300, .n_ctx = 64, .n_layer = 3, .n_head = 2, .n_embd = 16, .bias = false};
  auto j = c.to_hf_json();
  EXPECT_EQ(j["model_type"], "gpt2");
  EXPECT_EQ(j["n_ctx"], 64);
  EXPECT_EQ(j["activation_function"], "gelu_new");
  auto back = GptConfig::from_hf_json(j, "x");
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == c);
  j["n_head"] = 5;
  EXPECT_FALSE(GptConfig::from_hf_json(j, "x").ok());
  j["n_head"] = 2;
  j["model_type"] = "llama";
  EXPECT_FALSE(GptConfig::from_hf_json(j, "x").ok());
}

// docmask: a row holding two documents (segments, positions restarting at each) gives each
// token the same loss as running the documents in rows of their own.
TEST(GptTest, SegmentsEqualSeparateDocuments) {
  kernels::set_kernel_threads(2);
  GptConfig c{.vocab_size = 41, .n_ctx = 80, .n_layer = 2, .n_head = 2, .n_embd = 16};
  for (const kernels::KernelSet* ks : {&kernels::ref_kernels(), &kernels::cpu_kernels()}) {
    Gpt g(c, *ks);
    g.init_weights(3);
    const int T = 77, cut = 70;  // two documents of 70 and 7 tokens (crossing 64-row blocks)
    Rng rng(4);
    std::vector<int32_t> in(T), tg(T), seg(T), pos(T);
    for (int t = 0; t < T; t++) {
      in[t] = (int32_t)rng.below(c.vocab_size), tg[t] = (int32_t)rng.below(c.vocab_size);
      seg[t] = t < cut ? 0 : 1;
      pos[t] = t < cut ? t : t - cut;
    }
    g.forward({.inputs = in.data(),
               .targets = tg.data(),
               .positions = pos.data(),
               .segments = seg.data(),
               .B = 1,
               .T = T});
    std::vector<float> joint(g.losses(), g.losses() + T);
    g.forward({.inputs = in.data(), .targets = tg.data(), .B = 1, .T = cut});
    std::vector<float> first(g.losses(), g.losses() + cut);
    g.forward({.inputs = in.data() + cut, .targets = tg.data() + cut, .B = 1, .T = T - cut});
    std::vector<float> second(g.losses(), g.losses() + (T - cut));
    for (int t = 0; t < T; t++)
      EXPECT_NEAR(joint[t], t < cut ? first[t] : second[t - cut], 1e-5) << ks->name << " " << t;
  }
}

TEST(GptTest, RefAndCpuAgreeThroughTheModel) {
  kernels::set_kernel_threads(2);
  GptConfig c{.vocab_size = 53, .n_ctx = 20, .n_layer = 2, .n_head = 3, .n_embd = 24};
  Gpt a(c, kernels::ref_kernels()), b(c, kernels::cpu_kernels());
  a.init_weights(3);
  b.init_weights(3);
  EXPECT_EQ(0, std::memcmp(a.params(), b.params(), a.num_params() * 4));
  int B = 2, T = 17;
  std::vector<int32_t> in(B * T), tg(B * T), pos(B * T);
  Rng rng(1);
  for (int i = 0; i < B * T; i++) in[i] = rng.below(53), tg[i] = rng.below(53), pos[i] = i % T / 2;
  Batch batch{.inputs = in.data(), .targets = tg.data(), .positions = pos.data(), .B = B, .T = T};
  ASSERT_TRUE(a.check_batch(batch).ok());
  a.zero_grad();
  b.zero_grad();
  float la = a.forward(batch), lb = b.forward(batch);
  EXPECT_NEAR(la, lb, 1e-5 * std::fabs(la));
  EXPECT_NEAR(la, std::log(53.0), 0.1);  // near-uniform at init
  a.backward();
  b.backward();
  expect_same_gradients(a, b, 1e-4);
  tg[3] = 99;  // out of vocabulary
  EXPECT_FALSE(a.check_batch(batch).ok());
}

// cpu-bf16 (AMX bf16 products, fp32 elsewhere) through the whole model: the loss and every
// gradient agree with ref to bf16's precision, and differ (the products are bf16). Skipped
// without AMX, where the set is the cpu one.
TEST(GptTest, Bf16KernelsAgreeWithRefToBf16Precision) {
  if (std::string(kernels::bf16_kernels().name) != "cpu-bf16")
    GTEST_SKIP() << "this CPU has no AMX-BF16 (cpu-bf16 runs as cpu)";
  kernels::set_kernel_threads(2);
  GptConfig c{.vocab_size = 301, .n_ctx = 70, .n_layer = 2, .n_head = 2, .n_embd = 64};
  Gpt a(c, kernels::ref_kernels()), b(c, kernels::bf16_kernels());
  a.init_weights(5);
  b.init_weights(5);
  int B = 2, T = 67;
  std::vector<int32_t> in(B * T), tg(B * T);
  Rng rng(2);
  for (int i = 0; i < B * T; i++) in[i] = rng.below(301), tg[i] = rng.below(301);
  Batch batch{.inputs = in.data(), .targets = tg.data(), .B = B, .T = T};
  a.zero_grad();
  b.zero_grad();
  float la = a.forward(batch), lb = b.forward(batch);
  EXPECT_NEAR(la, lb, 1e-3 * std::fabs(la));
  EXPECT_NE(la, lb);
  a.backward();
  b.backward();
  expect_same_gradients(a, b, 3e-2);
}

TEST(SafetensorsTest, RoundTripAndErrors) {
  fs::path dir = out_dir("st");
  GptConfig c{.vocab_size = 31, .n_ctx = 8, .n_layer = 1, .n_head = 2, .n_embd = 8};
  Gpt g(c, kernels::cpu_kernels());
  g.init_weights(9);
  ASSERT_TRUE(save_model(dir.string(), g).ok());
  auto loaded = load_model(dir.string(), kernels::ref_kernels());
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_EQ(0, std::memcmp((*loaded)->params(), g.params(), g.num_params() * 4));
  // Conv1D layout [in, out] under HF names
  auto st = SafeTensorsFile::open((dir / "model.safetensors").string());
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->find("transformer.h.0.mlp.c_fc.weight")->shape, (std::vector<int64_t>{8, 32}));
  EXPECT_EQ(st->metadata().at("format"), "pt");
  // another config
  GptConfig other = c;
  other.n_embd = 16;
  Gpt o(other, kernels::cpu_kernels());
  Status s = load_model_weights(dir.string(), &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("shape"), std::string::npos);
  // truncated file
  fs::path w = dir / "model.safetensors";
  fs::resize_file(w, fs::file_size(w) - 7);
  auto t = SafeTensorsFile::open(w.string());
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("model.safetensors"), std::string::npos);
  // garbage header
  ASSERT_TRUE(
      write_file_atomic(w.string(), std::string("\x10\0\0\0\0\0\0\0{not json}xxxxxx", 24)).ok());
  EXPECT_FALSE(SafeTensorsFile::open(w.string()).ok());
  ASSERT_TRUE(write_file_atomic(w.string(), "abc").ok());
  EXPECT_FALSE(SafeTensorsFile::open(w.string()).ok());
}

// Attention-only (mlp false): the stored layout is GPT-2's, the counts leave out the zero MLP
// and ln_2 (8 C^2 + 7 C per block with biases, 8 C^2 + C without), the FLOPs follow.
TEST(GptConfigTest, AttentionOnlyCountsOnlyTheUsedParameters) {
  GptConfig c{.vocab_size = 257, .n_ctx = 512, .n_layer = 2, .n_head = 4, .n_embd = 64};
  GptConfig a = c;
  a.mlp = false;
  EXPECT_FALSE(a == c);
  EXPECT_EQ(ParamLayout(a).total(), ParamLayout(c).total());
  EXPECT_EQ(ParamLayout(a).total(), (size_t)c.num_params());
  const int64_t C = 64, L = 2;
  EXPECT_EQ(c.num_params() - a.num_params(), L * (8 * C * C + 7 * C));
  EXPECT_EQ(c.num_params_no_position() - a.num_params_no_position(), L * (8 * C * C + 7 * C));
  // non-embedding: 4 L C^2 + 6 L C + 2 C (ln_1, c_attn, attn c_proj; ln_f)
  EXPECT_EQ(a.num_params_no_position() - 257 * C, L * (4 * C * C + 6 * C) + 2 * C);
  EXPECT_DOUBLE_EQ(c.flops_per_token(512) - a.flops_per_token(512), 6.0 * L * (8 * C * C + 7 * C));
  GptConfig nb = a;
  nb.bias = false;
  GptConfig nbm = c;
  nbm.bias = false;
  EXPECT_EQ(nbm.num_params() - nb.num_params(), L * (8 * C * C + C));
  // every MLP tensor (weights and biases of c_fc and mlp.c_proj) and nothing else
  int mlp = 0;
  const ParamLayout la(a);
  for (const auto& t : la.tensors()) mlp += is_mlp_tensor(t.name);
  EXPECT_EQ(mlp, 4 * L);
  EXPECT_FALSE(is_mlp_tensor("transformer.h.0.attn.c_proj.weight"));
  EXPECT_FALSE(is_mlp_tensor("transformer.h.0.ln_2.weight"));
}

// config.json: "lmforge_mlp": false for an attention-only model (read back), absent for a regular
// one (absent = true), a non-boolean value an error.
TEST(GptConfigTest, AttentionOnlyHfJsonRoundTrip) {
  GptConfig c{.vocab_size = 300, .n_ctx = 64, .n_layer = 2, .n_head = 2, .n_embd = 16};
  EXPECT_FALSE(c.to_hf_json().contains("lmforge_mlp"));
  c.mlp = false;
  auto j = c.to_hf_json();
  EXPECT_EQ(j["lmforge_mlp"], false);
  EXPECT_EQ(j["model_type"], "gpt2");
  auto back = GptConfig::from_hf_json(j, "x");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_FALSE(back->mlp);
  EXPECT_TRUE(*back == c);
  j.erase("lmforge_mlp");
  auto regular = GptConfig::from_hf_json(j, "x");
  ASSERT_TRUE(regular.ok());
  EXPECT_TRUE(regular->mlp);
  j["lmforge_mlp"] = "no";
  EXPECT_FALSE(GptConfig::from_hf_json(j, "x").ok());
}

// The attention-only model against a reference computation: the regular model of the same seed
// with its MLP zeroed computes the same function (exactly: its MLP adds 0), so the loss and every
// non-MLP gradient agree; the attention-only model's MLP and ln_2 gradients are exactly 0 (the
// reference's mlp.c_proj.bias gets the residual gradient). Both kernel sets.
TEST(GptTest, AttentionOnlyEqualsTheZeroMlpModel) {
  kernels::set_kernel_threads(2);
  GptConfig c{.vocab_size = 53, .n_ctx = 40, .n_layer = 2, .n_head = 4, .n_embd = 32};
  GptConfig ca = c;
  ca.mlp = false;
  for (const kernels::KernelSet* ks : {&kernels::ref_kernels(), &kernels::cpu_kernels()}) {
    Gpt a(ca, *ks), ref(c, *ks);
    a.init_weights(7);
    ref.init_weights(7);
    zero_mlp(ref.params(), ref.layout());
    ASSERT_EQ(a.num_params(), ref.num_params());
    EXPECT_EQ(0, std::memcmp(a.params(), ref.params(), a.num_params() * 4)) << ks->name;
    for (const auto& t : a.layout().tensors()) {
      if (!is_mlp_tensor(t.name)) continue;
      for (size_t i = 0; i < t.size; i++) ASSERT_EQ(a.params()[t.offset + i], 0.0f) << t.name;
    }
    const int B = 2, T = 37;
    std::vector<int32_t> in(B * T), tg(B * T);
    Rng rng(8);
    for (int i = 0; i < B * T; i++) in[i] = rng.below(53), tg[i] = rng.below(53);
    Batch batch{.inputs = in.data(), .targets = tg.data(), .B = B, .T = T};
    a.zero_grad();
    ref.zero_grad();
    float la = a.forward(batch), lr = ref.forward(batch);
    EXPECT_EQ(la, lr) << ks->name;
    EXPECT_EQ(0, std::memcmp(a.losses(), ref.losses(), B * T * 4)) << ks->name;
    a.backward();
    ref.backward();
    for (const auto& t : a.layout().tensors()) {
      const bool unused = is_mlp_tensor(t.name) || t.name.find(".ln_2.") != std::string::npos;
      double d = 0, m = 1e-12;
      for (size_t i = 0; i < t.size; i++) {
        const float g = a.grads()[t.offset + i];
        if (unused) {
          ASSERT_EQ(g, 0.0f) << ks->name << " " << t.name;
        }
        d = std::max(d, (double)std::fabs(g - ref.grads()[t.offset + i]));
        m = std::max(m, (double)std::fabs(ref.grads()[t.offset + i]));
      }
      if (!unused) {
        EXPECT_LT(d / m, 1e-6) << ks->name << " " << t.name;
      }
    }
    // logits only (the generation path): the same too
    a.forward({.inputs = in.data(), .B = B, .T = T});
    ref.forward({.inputs = in.data(), .B = B, .T = T});
    EXPECT_EQ(0, std::memcmp(a.logits(), ref.logits(), (size_t)B * T * 53 * 4)) << ks->name;
  }
}

// Checkpoints of an attention-only model: saved in the full GPT-2 layout with config.json's
// lmforge_mlp false, loaded back as attention-only; weights whose MLP is not zero under such a
// config.json are refused.
TEST(SafetensorsTest, AttentionOnlyRoundTripAndNonZeroMlpRefused) {
  fs::path dir = out_dir("st-attn");
  GptConfig c{.vocab_size = 31, .n_ctx = 8, .n_layer = 2, .n_head = 2, .n_embd = 8, .mlp = false};
  Gpt g(c, kernels::cpu_kernels());
  g.init_weights(9);
  ASSERT_TRUE(save_model(dir.string(), g).ok());
  auto loaded = load_model(dir.string(), kernels::ref_kernels());
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_FALSE((*loaded)->config().mlp);
  EXPECT_EQ(0, std::memcmp((*loaded)->params(), g.params(), g.num_params() * 4));
  auto st = SafeTensorsFile::open((dir / "model.safetensors").string());
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->tensors().size(), g.layout().tensors().size());
  EXPECT_EQ(st->find("transformer.h.1.mlp.c_fc.weight")->shape, (std::vector<int64_t>{8, 32}));
  // the same weights with a nonzero MLP
  GptConfig r = c;
  r.mlp = true;
  Gpt regular(r, kernels::cpu_kernels());
  regular.init_weights(9);
  fs::path bad = out_dir("st-attn-bad");
  ASSERT_TRUE(save_model(bad.string(), regular).ok());
  ASSERT_TRUE(write_file_atomic((bad / "config.json").string(), c.to_hf_json().dump()).ok());
  auto refused = load_model(bad.string(), kernels::cpu_kernels());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("attention-only"), std::string::npos);
}

}  // namespace
}  // namespace lm::model
