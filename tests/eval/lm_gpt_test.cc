// lm_gpt_test.cc: the GPT backend of the task harness against Gpt::forward on a random tiny
// model: the packed GEMM and the batched KV forward (bitwise independent of batch, prefix split
// and thread count), the harness's boundary rule (trailing whitespace moved, empty context on
// EOT, left truncation, the zero-token continuation error), prefix-shared multiple choice equal
// to per-choice scoring, rolling windows, batched generation (greedy equal to the KV decoder,
// stop strings, seeds), and open_model on lmforge and HF-named folders.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/file_util.h"
#include "core/rng.h"
#include "eval/gpt_lm.h"
#include "eval/lm.h"
#include "generate/batch_forward.h"
#include "generate/generate.h"
#include "generate/packed_gemm.h"
#include "kernels/kernels.h"
#include "model/checkpoint.h"
#include "model/safetensors.h"
#include "tokenizer/tokenizer.h"
#include "uni/utf8.h"

namespace lm::eval {
namespace {

namespace fs = std::filesystem;

model::GptConfig tiny_config(int vocab = 260, int n_ctx = 32) {
  return {.vocab_size = vocab, .n_ctx = n_ctx, .n_layer = 2, .n_head = 2, .n_embd = 16};
}

std::unique_ptr<model::Gpt> tiny_model(model::GptConfig c = tiny_config(), uint64_t seed = 5) {
  auto g = std::make_unique<model::Gpt>(c, kernels::cpu_kernels());
  g->init_weights(seed);
  Rng r(seed + 1);
  for (size_t i = 0; i < g->num_params(); i++) g->params()[i] += (float)r.normal() * 0.3f;
  return g;
}

// log-softmax rows of Gpt::forward on one sequence.
std::vector<std::vector<double>> ref_logprobs(model::Gpt& g, const std::vector<int>& input) {
  std::vector<int32_t> in(input.begin(), input.end());
  g.forward({.inputs = in.data(), .B = 1, .T = (int)in.size()});
  int V = g.config().vocab_size;
  std::vector<std::vector<double>> out;
  for (size_t t = 0; t < in.size(); t++) {
    const float* l = g.logits() + t * V;
    double mx = *std::max_element(l, l + V), s = 0;
    for (int v = 0; v < V; v++) s += std::exp(l[v] - mx);
    std::vector<double> row(V);
    for (int v = 0; v < V; v++) row[v] = l[v] - mx - std::log(s);
    out.push_back(row);
  }
  return out;
}

std::unique_ptr<LanguageModel> bytes_lm(model::GptConfig c = tiny_config(), ModelOptions o = {}) {
  auto codec = generate::TextCodec::for_checkpoint("", "bytes");
  EXPECT_TRUE(codec.ok());
  ModelInfo info;
  info.path = "tiny";
  auto lm = make_gpt_lm(tiny_model(c), std::move(*codec), info, o);
  EXPECT_TRUE(lm.ok()) << lm.status().to_string();
  return std::move(*lm);
}

std::vector<int> bytes_of(const std::string& s) { return std::vector<int>(s.begin(), s.end()); }

TEST(PackedGemmTest, MatchesNaiveAndRowsAreIndependent) {
  int M = 13, K = 37, N = 29;
  Rng r(1);
  std::vector<float> a(M * K), w(K * N), b(N);
  for (auto& x : a) x = (float)r.normal();
  for (auto& x : w) x = (float)r.normal();
  for (auto& x : b) x = (float)r.normal();
  auto pm = generate::PackedMatrix::pack(w.data(), b.data(), K, N);
  std::vector<float> out(M * N), one(N), out2(M * N);
  kernels::set_kernel_threads(2);
  pm.multiply(a.data(), K, M, out.data(), N);
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double s = b[j];
      for (int k = 0; k < K; k++) s += (double)a[i * K + k] * w[k * N + j];
      EXPECT_NEAR(out[i * N + j], s, 1e-4 * (1 + std::fabs(s)));
    }
  pm.multiply(a.data() + 5 * K, K, 1, one.data(), N);
  for (int j = 0; j < N; j++) EXPECT_EQ(one[j], out[5 * N + j]);
  kernels::set_kernel_threads(1);
  pm.multiply(a.data(), K, M, out2.data(), N);
  EXPECT_EQ(out, out2);
  // the transposed packing (the tied head)
  auto pt =
      generate::PackedMatrix::pack_transposed(w.data(), N, K);  // w as (K rows of N) = (N',K')
  std::vector<float> o3(2 * K);
  pt.multiply(a.data(), K, 0, o3.data(), K);  // M = 0 is a no-op
  std::vector<float> x(N);
  for (auto& v : x) v = (float)r.normal();
  pt.multiply(x.data(), N, 1, o3.data(), K);
  for (int k = 0; k < K; k++) {
    double s = 0;
    for (int j = 0; j < N; j++) s += (double)x[j] * w[k * N + j];
    EXPECT_NEAR(o3[k], s, 1e-4 * (1 + std::fabs(s)));
  }
}

// Attention-only (mlp false): BatchForward skips the zero MLP and equals the full forward.
TEST(BatchForwardTest, AttentionOnlyEqualsFullForward) {
  model::GptConfig c{.vocab_size = 61, .n_ctx = 32, .n_layer = 2, .n_head = 2, .n_embd = 16};
  c.mlp = false;
  model::Gpt g(c, kernels::cpu_kernels());
  g.init_weights(4);
  const int V = c.vocab_size;
  std::vector<int32_t> toks = {3, 17, 40, 0, 5, 5, 9, 22, 31, 1, 2, 8, 60, 7};
  const int T = (int)toks.size();
  g.forward({.inputs = toks.data(), .B = 1, .T = T});
  std::vector<float> full(g.logits(), g.logits() + (size_t)T * V);
  generate::BatchForward bf(g);
  generate::KvBlock whole;
  generate::Segment s{{}, &whole, toks, 0};
  ASSERT_TRUE(bf.forward(std::span(&s, 1)).ok());
  ASSERT_EQ(bf.logit_rows(), (size_t)T);
  for (size_t i = 0; i < full.size(); i++) EXPECT_NEAR(bf.logits(0)[i], full[i], 1e-4) << i;
}

TEST(BatchForwardTest, EqualsFullForwardAndIsBitwiseStable) {
  auto g = tiny_model();
  int V = g->config().vocab_size;
  generate::BatchForward bf(*g);
  std::vector<int32_t> toks = {3, 17, 40,  0,   5,   5, 9, 22, 31, 1,
                               2, 8,  100, 200, 259, 7, 7, 7,  1,  0};
  int T = (int)toks.size();
  g->forward({.inputs = toks.data(), .B = 1, .T = T});
  std::vector<float> full(g->logits(), g->logits() + (size_t)T * V);
  generate::KvBlock whole;
  generate::Segment s{{}, &whole, toks, 0};
  ASSERT_TRUE(bf.forward(std::span(&s, 1)).ok());
  ASSERT_EQ(bf.logit_rows(), (size_t)T);
  std::vector<float> mine(bf.logits(0), bf.logits(0) + (size_t)T * V);
  for (size_t i = 0; i < mine.size(); i++) EXPECT_NEAR(mine[i], full[i], 1e-4) << i;
  // prefix of 12 in one block, then 8 tokens extending it, batched with unrelated segments
  generate::KvBlock pre, ext, other1, other2;
  generate::Segment p{{}, &pre, std::span(toks.data(), 12), 12};
  ASSERT_TRUE(bf.forward(std::span(&p, 1)).ok());
  EXPECT_EQ(bf.logit_rows(), 0u);
  std::vector<int32_t> o1 = {9, 9, 9, 9, 9}, o2 = {1};
  std::vector<generate::Segment> batch = {{{}, &other1, o1, 2},
                                          {{&pre}, &ext, std::span(toks.data() + 12, 8), 0},
                                          {{&pre}, &other2, o2, 0}};
  kernels::set_kernel_threads(1);
  ASSERT_TRUE(bf.forward(batch).ok());
  ASSERT_EQ(bf.logit_rows(), 3u + 8u + 1u);
  for (int t = 0; t < 8; t++)
    for (int v = 0; v < V; v++) EXPECT_EQ(bf.logits(3 + t)[v], mine[(size_t)(12 + t) * V + v]);
  EXPECT_EQ(ext.size(), 8);
  EXPECT_EQ(pre.size(), 12);
  // past the context is an error, not a crash
  std::vector<int32_t> many(40, 1);
  generate::KvBlock big;
  generate::Segment s2{{}, &big, many, 0};
  EXPECT_FALSE(bf.forward(std::span(&s2, 1)).ok());
  kernels::set_kernel_threads(2);
}

TEST(GptLmTest, BoundaryRuleTrailingSpaceAndEmptyContext) {
  auto lm = bytes_lm();
  auto g = tiny_model();
  std::vector<LoglikelihoodRequest> reqs = {
      {"ab c ", "d e", "r0"}, {"ab c", " d e", "r1"}, {"", "xy", "r2"}};
  auto res = lm->loglikelihood(reqs);
  ASSERT_TRUE(res.ok()) << res.status().to_string();
  EXPECT_EQ((*res)[0].tokens, bytes_of(" d e"));
  EXPECT_EQ((*res)[0].logprob, (*res)[1].logprob);
  auto ref = ref_logprobs(*g, bytes_of("ab c d "));
  double want = 0;
  bool greedy = true;
  for (int i = 0; i < 4; i++) {
    int target = " d e"[i];
    want += ref[3 + i][target];
    int arg = (int)(std::max_element(ref[3 + i].begin(), ref[3 + i].end()) - ref[3 + i].begin());
    greedy = greedy && arg == target;
    EXPECT_NEAR((*res)[0].token_logprobs[i], ref[3 + i][target], 1e-5);
  }
  EXPECT_NEAR((*res)[0].logprob, want, 1e-5 * std::fabs(want));
  EXPECT_EQ((*res)[0].is_greedy, greedy);
  auto ref2 = ref_logprobs(*g, {256, 'x'});
  EXPECT_NEAR((*res)[2].logprob, ref2[0]['x'] + ref2[1]['y'], 1e-5);
}

TEST(GptLmTest, TruncationAndErrors) {
  auto lm = bytes_lm();
  auto g = tiny_model();
  std::string ctx(50, 'a');
  for (int i = 0; i < 50; i++) ctx[i] = (char)('a' + i % 26);
  std::vector<LoglikelihoodRequest> reqs = {{ctx, "xyz", "long"}};
  auto res = lm->loglikelihood(reqs);
  ASSERT_TRUE(res.ok());
  std::vector<int> full = bytes_of(ctx + "xyz");
  std::vector<int> last(full.end() - 33, full.end() - 1);  // [-(n_ctx+1):][:-1]
  auto ref = ref_logprobs(*g, last);
  double want = ref[29]['x'] + ref[30]['y'] + ref[31]['z'];
  EXPECT_NEAR((*res)[0].logprob, want, 1e-5 * std::fabs(want));
  std::vector<LoglikelihoodRequest> empty = {{"abc", "", "task t, doc 3, choice 1"}};
  auto e = lm->loglikelihood(empty);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().to_string().find("task t, doc 3, choice 1"), std::string::npos);
  std::vector<LoglikelihoodRequest> too_long = {{"a", std::string(40, 'b'), "tl"}};
  EXPECT_FALSE(lm->loglikelihood(too_long).ok());
}

TEST(GptLmTest, ContinuationInsideTheContextTokenIsAnError) {
  // A byte-level BPE where "Ans" + "wer" merge into one token "Answer" (as GPT-2's does).
  tok::BpeSpec spec;
  for (int b = 0; b < 256; b++) spec.tokens.push_back(std::string(1, (char)b));
  for (auto [a, b] : std::vector<std::pair<std::string, std::string>>{
           {"A", "n"}, {"An", "s"}, {"w", "e"}, {"we", "r"}, {"Ans", "wer"}}) {
    spec.merges.emplace_back(a, b);
    spec.tokens.push_back(a + b);
  }
  spec.pattern = tok::kGpt2Pattern;
  spec.special_tokens = {{"<|endoftext|>", 261}};
  spec.tokens.push_back("");
  auto t = tok::Tokenizer::from_bpe(spec);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  std::string dir = fmt::format("test_out/lm_gpt_tok-{}", ::getpid());
  ASSERT_TRUE(make_dirs(dir).ok());
  ASSERT_TRUE(t->save(dir + "/tokenizer.json").ok());
  auto codec = generate::TextCodec::for_checkpoint("", dir + "/tokenizer.json");
  ASSERT_TRUE(codec.ok()) << codec.status().to_string();
  EXPECT_EQ(codec->eot(), 261);
  ASSERT_EQ(codec->encode("Answer")->size(), 1u);
  ASSERT_EQ(codec->encode("Ans")->size(), 1u);
  ModelInfo info;
  info.path = "bpe-tiny";
  auto lm = make_gpt_lm(tiny_model(tiny_config(262)), std::move(*codec), info, {});
  ASSERT_TRUE(lm.ok()) << lm.status().to_string();
  std::vector<LoglikelihoodRequest> reqs = {{"Ans", "wer", "doc 7"}};
  auto res = (*lm)->loglikelihood(reqs);
  ASSERT_FALSE(res.ok());
  EXPECT_NE(res.status().to_string().find("doc 7"), std::string::npos);
  EXPECT_NE(res.status().to_string().find("no tokens"), std::string::npos);
  // With the delimiter the continuation has its own tokens; the context is enc(context).
  std::vector<LoglikelihoodRequest> fine = {{"Ans ", "wer", "ok"}};
  auto f = (*lm)->loglikelihood(fine);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ((*f)[0].tokens, *(*lm)->encode(" wer"));
  fs::remove_all(dir);
}

std::vector<LoglikelihoodRequest> mc_requests() {
  std::vector<LoglikelihoodRequest> reqs;
  std::vector<std::string> ctxs = {"Question: what is red? Answer:", "Q: two plus two is",
                                   "The sky is", ""};
  std::vector<std::string> choices = {" apple", " four", " blue sky", " z"};
  for (size_t c = 0; c < ctxs.size(); c++)
    for (size_t k = 0; k < choices.size(); k++)
      reqs.push_back({ctxs[c], choices[k], fmt::format("doc {} choice {}", c, k)});
  return reqs;
}

TEST(GptLmTest, PrefixSharingBatchAndThreadsGiveTheSameBytes) {
  auto reqs = mc_requests();
  ModelOptions shared, alone, small_batch, one_thread;
  alone.share_prefixes = false;
  small_batch.batch_size = 1;
  one_thread.threads = 1;
  shared.threads = alone.threads = small_batch.threads = 2;
  auto a = bytes_lm(tiny_config(), shared)->loglikelihood(reqs);
  auto b = bytes_lm(tiny_config(), alone)->loglikelihood(reqs);
  auto c = bytes_lm(tiny_config(), small_batch)->loglikelihood(reqs);
  auto d = bytes_lm(tiny_config(), one_thread)->loglikelihood(reqs);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  auto g = tiny_model();
  for (size_t i = 0; i < reqs.size(); i++) {
    EXPECT_EQ((*a)[i].logprob, (*b)[i].logprob) << i;
    EXPECT_NEAR((*a)[i].logprob, (*b)[i].logprob, 1e-5 * std::fabs((*b)[i].logprob));
    EXPECT_EQ((*a)[i].logprob, (*c)[i].logprob) << i;
    EXPECT_EQ((*a)[i].logprob, (*d)[i].logprob) << i;
    EXPECT_EQ((*a)[i].token_greedy, (*b)[i].token_greedy);
    // and each request alone
    auto single = bytes_lm()->loglikelihood(std::span(&reqs[i], 1));
    ASSERT_TRUE(single.ok());
    EXPECT_EQ((*single)[0].logprob, (*a)[i].logprob);
  }
}

TEST(GptLmTest, RollingWindows) {
  std::vector<int> toks(70);
  for (int i = 0; i < 70; i++) toks[i] = i * 7 % 250;
  auto w = rolling_windows(toks, 256, 32);
  ASSERT_EQ(w.size(), 3u);  // ceil(70 / 32)
  std::vector<int> all;
  for (auto& x : w) {
    all.insert(all.end(), x.targets.begin(), x.targets.end());
    EXPECT_LE(x.input.size(), 32u);
    EXPECT_EQ(x.input.size() - x.predict_from, x.targets.size());
  }
  EXPECT_EQ(all, toks);
  EXPECT_EQ(w[0].input[0], 256);
  EXPECT_EQ(w[2].input.size(), 32u);  // the last window keeps a full context
  EXPECT_TRUE(rolling_windows({}, 256, 32).empty());
  auto lm = bytes_lm();
  auto g = tiny_model();
  std::string doc;
  for (int i = 0; i < 70; i++) doc += (char)('a' + (i * 5) % 26);
  std::vector<std::string> docs = {doc, "short one"};
  auto res = lm->loglikelihood_rolling(docs);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ((*res)[0].windows, 3);
  EXPECT_EQ((*res)[0].tokens, 70);
  double want = 0;
  for (auto& x : rolling_windows(bytes_of(doc), 256, 32)) {
    auto ref = ref_logprobs(*g, x.input);
    for (size_t j = 0; j < x.targets.size(); j++) want += ref[x.predict_from + j][x.targets[j]];
  }
  EXPECT_NEAR((*res)[0].logprob, want, 1e-5 * std::fabs(want));
  EXPECT_EQ((*res)[1].windows, 1);
}

TEST(GptLmTest, GenerationGreedySeedsAndStops) {
  auto lm = bytes_lm();
  auto g = tiny_model();
  GenerationRequest greedy{"hello", {}, 3, 0, "g"};
  greedy.kwargs.max_gen_toks = 12;
  auto r = lm->generate_until(std::span(&greedy, 1));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)[0].size(), 3u);
  EXPECT_EQ((*r)[0][0], (*r)[0][2]);
  generate::GenerateOptions go;
  go.sampler.temperature = 0;
  go.max_new_tokens = 12;
  go.stop_token = 256;
  auto ids = generate::generate_tokens(*g, bytes_of("hello"), go);
  ASSERT_TRUE(ids.ok());
  if (!ids->empty() && ids->back() == 256) ids->pop_back();
  auto codec = generate::TextCodec::for_checkpoint("", "bytes");
  std::string want = uni::utf8_repair(codec->decode(*ids));
  EXPECT_EQ((*r)[0][0], want);
  if (want.size() > 6) {
    GenerationRequest cut = greedy;
    cut.kwargs.until = {want.substr(4, 2)};
    auto rc = lm->generate_until(std::span(&cut, 1));
    ASSERT_TRUE(rc.ok());
    EXPECT_EQ((*rc)[0][0], want.substr(0, want.find(want.substr(4, 2))));
  }
  GenerationRequest s{"hello", {}, 4, 11, "s"};
  s.kwargs.do_sample = true;
  s.kwargs.temperature = 1.0;
  s.kwargs.max_gen_toks = 10;
  std::vector<GenerationRequest> batch = {greedy, s};
  auto a = lm->generate_until(std::span(&s, 1));
  auto b = lm->generate_until(batch);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)[0], (*b)[1]);  // the same seed, alone or batched
  EXPECT_EQ((*b)[0][0], want);
  bool differ = false;
  for (int j = 1; j < 4; j++) differ |= (*a)[0][j] != (*a)[0][0];
  EXPECT_TRUE(differ);
  GenerationRequest bad = s;
  bad.kwargs.top_p = 0;
  EXPECT_FALSE(lm->generate_until(std::span(&bad, 1)).ok());
}

TEST(OpenModelTest, LmforgeAndHfNamedFolders) {
  std::string dir = fmt::format("test_out/lm_gpt-{}", ::getpid());
  fs::remove_all(dir);
  auto g = tiny_model();
  ASSERT_TRUE(model::save_model(dir + "/run/checkpoint", *g).ok());
  ASSERT_TRUE(
      write_file_atomic(dir + "/run/checkpoint/train_state.json", "{\"tokenizer\": \"bytes\"}")
          .ok());
  ModelOptions o;
  o.path = dir + "/run";
  auto lm = open_model(o);
  ASSERT_TRUE(lm.ok()) << lm.status().to_string();
  EXPECT_EQ((*lm)->info().format, "lmforge");
  EXPECT_EQ((*lm)->info().eot, 256);
  auto reqs = mc_requests();
  auto a = (*lm)->loglikelihood(reqs);
  auto want = bytes_lm()->loglikelihood(reqs);
  ASSERT_TRUE(a.ok() && want.ok());
  for (size_t i = 0; i < reqs.size(); i++) EXPECT_EQ((*a)[i].logprob, (*want)[i].logprob);
  // HF names: no "transformer." prefix, mask buffers, a tied lm_head
  std::string hf = dir + "/hf";
  fs::create_directories(hf);
  std::vector<model::TensorRef> refs;
  std::vector<float> mask(32 * 32, 1.0f), masked_bias(1, -1e4f);
  for (const auto& p : g->layout().tensors())
    refs.push_back(
        {p.name.substr(std::string("transformer.").size()), p.shape, g->params() + p.offset});
  for (int l = 0; l < 2; l++) {
    refs.push_back({fmt::format("h.{}.attn.bias", l), {1, 1, 32, 32}, mask.data()});
    refs.push_back({fmt::format("h.{}.attn.masked_bias", l), {}, masked_bias.data()});
  }
  const auto* wte = g->layout().find("transformer.wte.weight");
  refs.push_back({"lm_head.weight", wte->shape, g->params() + wte->offset});
  ASSERT_TRUE(model::write_safetensors(hf + "/model.safetensors", refs).ok());
  ASSERT_TRUE(write_file_atomic(hf + "/config.json", g->config().to_hf_json().dump()).ok());
  ModelOptions oh;
  oh.path = hf;
  auto missing = open_model(oh);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().to_string().find(hf), std::string::npos);
  EXPECT_NE(missing.status().to_string().find("tokenizer"), std::string::npos);
  oh.tokenizer = "bytes";
  auto h = open_model(oh);
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ((*h)->info().format, "hf-gpt2");
  auto b = (*h)->loglikelihood(reqs);
  ASSERT_TRUE(b.ok());
  for (size_t i = 0; i < reqs.size(); i++) EXPECT_EQ((*b)[i].logprob, (*want)[i].logprob);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lm::eval
