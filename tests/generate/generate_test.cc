// generate_test.cc: the KV-cache decoder reproduces the full forward's logits at every
// position; greedy decoding is deterministic and equals top-k 1; sampling is reproducible per
// seed; the sampler's distribution honours temperature, top-k and top-p, and its draws follow it;
// the repetition penalty is HF's (each distinct earlier id once, by the sign of its logit).
#include "generate/generate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "generate/kv_decoder.h"

namespace lm::generate {
namespace {

model::Gpt tiny_model() {
  model::GptConfig c{.vocab_size = 41, .n_ctx = 24, .n_layer = 2, .n_head = 2, .n_embd = 16};
  model::Gpt g(c, kernels::cpu_kernels());
  g.init_weights(5);
  Rng r(2);
  for (size_t i = 0; i < g.num_params(); i++) g.params()[i] += (float)r.normal() * 0.2f;
  return g;
}

TEST(KvDecoderTest, MatchesFullForward) {
  model::Gpt g = tiny_model();
  std::vector<int32_t> toks = {3, 17, 40, 0, 5, 5, 9, 22, 31, 1, 2, 8};
  int T = (int)toks.size(), V = g.config().vocab_size;
  g.forward({.inputs = toks.data(), .B = 1, .T = T});
  std::vector<float> full(g.logits(), g.logits() + (size_t)T * V);
  KvDecoder dec(g);
  for (int t = 0; t < T; t++) {
    const float* l = dec.step(toks[t]);
    for (int v = 0; v < V; v++) EXPECT_NEAR(l[v], full[(size_t)t * V + v], 2e-5) << t << " " << v;
  }
}

// Attention-only (mlp false): the decoder skips the zero MLP and still reproduces the full
// forward, which equals the regular model of the same weights (its MLP zeroed).
TEST(KvDecoderTest, AttentionOnlyMatchesFullForwardAndTheZeroMlpModel) {
  model::GptConfig c{.vocab_size = 41, .n_ctx = 24, .n_layer = 2, .n_head = 2, .n_embd = 16};
  model::GptConfig ca = c;
  ca.mlp = false;
  model::Gpt g(ca, kernels::cpu_kernels()), ref(c, kernels::cpu_kernels());
  g.init_weights(5);
  Rng r(2);
  for (const auto& t : g.layout().tensors()) {
    if (model::is_mlp_tensor(t.name)) continue;
    for (size_t i = 0; i < t.size; i++) g.params()[t.offset + i] += (float)r.normal() * 0.2f;
  }
  std::copy(g.params(), g.params() + g.num_params(), ref.params());
  std::vector<int32_t> toks = {3, 17, 40, 0, 5, 5, 9, 22, 31, 1, 2, 8};
  int T = (int)toks.size(), V = c.vocab_size;
  g.forward({.inputs = toks.data(), .B = 1, .T = T});
  std::vector<float> full(g.logits(), g.logits() + (size_t)T * V);
  ref.forward({.inputs = toks.data(), .B = 1, .T = T});
  for (size_t i = 0; i < full.size(); i++) ASSERT_EQ(full[i], ref.logits()[i]) << i;
  KvDecoder dec(g), dref(ref);
  for (int t = 0; t < T; t++) {
    const float* l = dec.step(toks[t]);
    const float* lr = dref.step(toks[t]);
    for (int v = 0; v < V; v++) {
      EXPECT_NEAR(l[v], full[(size_t)t * V + v], 2e-5) << t << " " << v;
      EXPECT_EQ(l[v], lr[v]) << t << " " << v;
    }
  }
}

TEST(GenerateTest, GreedyAndSeeds) {
  model::Gpt g = tiny_model();
  GenerateOptions greedy;
  greedy.sampler.temperature = 0;
  greedy.max_new_tokens = 10;
  auto a = generate_tokens(g, {1, 2, 3}, greedy);
  auto b = generate_tokens(g, {1, 2, 3}, greedy);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->size(), 10u);
  GenerateOptions top1;
  top1.sampler.top_k = 1;
  top1.max_new_tokens = 10;
  EXPECT_EQ(*generate_tokens(g, {1, 2, 3}, top1), *a);
  GenerateOptions s1;
  s1.max_new_tokens = 15;
  s1.seed = 7;
  auto x = generate_tokens(g, {4}, s1), y = generate_tokens(g, {4}, s1);
  s1.seed = 8;
  auto z = generate_tokens(g, {4}, s1);
  EXPECT_EQ(*x, *y);
  EXPECT_NE(*x, *z);
  GenerateOptions lng;
  lng.max_new_tokens = 100;
  EXPECT_FALSE(generate_tokens(g, {}, lng).ok());
  EXPECT_FALSE(generate_tokens(g, {99}, lng).ok());
}

TEST(SamplerTest, DistributionAndDraws) {
  std::vector<float> logits = {2.0f, 1.0f, 0.5f, -1.0f, 2.0f};
  Sampler plain({.temperature = 1.0f});
  auto d = plain.distribution(logits.data(), 5);
  double z = 0;
  for (float l : logits) z += std::exp(l);
  for (int v = 0; v < 5; v++) EXPECT_NEAR(d[v], std::exp(logits[v]) / z, 1e-6);
  Sampler topk({.temperature = 1.0f, .top_k = 2});
  d = topk.distribution(logits.data(), 5);
  EXPECT_NEAR(d[0], 0.5, 1e-9);
  EXPECT_NEAR(d[4], 0.5, 1e-9);
  Sampler topp({.temperature = 1.0f, .top_p = 0.8f});
  d = topp.distribution(logits.data(), 5);
  // 0.379 + 0.379 = 0.757 < 0.8 needs the third (p 0.139, logit 1); logit 0.5 is cut
  EXPECT_GT(d[1], 0.0);
  EXPECT_EQ(d[2], 0.0);
  EXPECT_EQ(d[3], 0.0);
  EXPECT_NEAR(d[0] + d[1] + d[4], 1.0, 1e-12);
  Sampler cold({.temperature = 0.1f});
  d = cold.distribution(logits.data(), 5);
  EXPECT_NEAR(d[0] + d[4], 1.0, 1e-3);
  Sampler greedy({.temperature = 0.0f});
  Rng rng(1);
  EXPECT_EQ(greedy.sample(logits.data(), 5, rng), 0);  // first of the tied maxima
  // draws follow the distribution (20000 draws; 5 sigma)
  std::vector<int> counts(5, 0);
  d = plain.distribution(logits.data(), 5);
  for (int i = 0; i < 20000; i++) counts[plain.sample(logits.data(), 5, rng)]++;
  for (int v = 0; v < 5; v++) {
    double sd = std::sqrt(20000 * d[v] * (1 - d[v]));
    EXPECT_NEAR(counts[v], 20000 * d[v], 5 * sd + 1) << v;
  }
  EXPECT_FALSE(SamplerOptions{.top_p = 0.0f}.validate().ok());
  EXPECT_FALSE(SamplerOptions{.temperature = -1}.validate().ok());
}

// HF's RepetitionPenaltyLogitsProcessor: score < 0 ? score * p : score / p, on each distinct id
// of the context once (an id repeated in the context is not penalised twice).
TEST(SamplerTest, RepetitionPenaltyIsHfs) {
  std::vector<float> logits = {2.0f, -1.0f, 0.5f, 3.0f, 0.0f};
  std::vector<int> context = {0, 1, 1, 4, 0, 99, -1};  // ids out of range are ignored
  apply_repetition_penalty(logits, context, 2.0f);
  EXPECT_EQ(logits, (std::vector<float>{1.0f, -2.0f, 0.5f, 3.0f, 0.0f}));
  std::vector<float> same = {2.0f, -1.0f};
  apply_repetition_penalty(same, context, 1.0f);
  EXPECT_EQ(same, (std::vector<float>{2.0f, -1.0f}));
}

// With a penalty, greedy decoding takes the next-best token where the best already occurred:
// each step equals greedy over the penalised logits of the full forward (checked), and the
// output differs from plain greedy on this model; a penalty <= 0 is refused.
TEST(GenerateTest, RepetitionPenaltyInTheLoop) {
  model::Gpt g = tiny_model();
  GenerateOptions greedy;
  greedy.sampler.temperature = 0;
  greedy.max_new_tokens = 12;
  GenerateOptions pen = greedy;
  pen.repetition_penalty = 1.5f;
  std::vector<int> prompt = {1, 2, 3};
  auto plain = generate_tokens(g, prompt, greedy);
  auto out = generate_tokens(g, prompt, pen);
  ASSERT_TRUE(plain.ok() && out.ok());
  EXPECT_NE(*plain, *out);
  std::vector<int> seq(prompt);
  const int V = g.config().vocab_size;
  for (int next : *out) {
    std::vector<int32_t> in(seq.begin(), seq.end());
    g.forward({.inputs = in.data(), .B = 1, .T = (int)in.size()});
    const float* l = g.logits() + (in.size() - 1) * V;
    std::vector<float> p(l, l + V);
    apply_repetition_penalty(p, seq, 1.5f);
    EXPECT_EQ(std::max_element(p.begin(), p.end()) - p.begin(), next);
    seq.push_back(next);
  }
  pen.repetition_penalty = 0;
  EXPECT_FALSE(generate_tokens(g, prompt, pen).ok());
}

// Past the context length (24), each token is chosen from the full forward over the last 24
// tokens (nanoGPT's crop), checked greedily against Gpt::forward.
TEST(GenerateTest, SlidesTheWindowPastTheContext) {
  model::Gpt g = tiny_model();
  GenerateOptions greedy;
  greedy.sampler.temperature = 0;
  greedy.max_new_tokens = 40;
  std::vector<int> prompt = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
  auto out = generate_tokens(g, prompt, greedy);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 40u);
  std::vector<int> seq(prompt);
  seq.insert(seq.end(), out->begin(), out->end());
  const int n_ctx = g.config().n_ctx, V = g.config().vocab_size;
  for (size_t i = prompt.size(); i < seq.size(); i++) {  // seq[i] follows seq[i - n_ctx .. i)
    size_t from = i > (size_t)n_ctx ? i - n_ctx : 0;
    std::vector<int32_t> window(seq.begin() + from, seq.begin() + i);
    int T = (int)window.size();
    g.forward({.inputs = window.data(), .B = 1, .T = T});
    const float* l = g.logits() + (size_t)(T - 1) * V;
    EXPECT_EQ(std::max_element(l, l + V) - l, seq[i]) << "token " << i;
  }
}

}  // namespace
}  // namespace lm::generate
