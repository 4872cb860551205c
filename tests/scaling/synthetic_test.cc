// synthetic_test.cc: the Markov corpus: the entropy rate is exact for chains whose answer is known
// (deterministic rows: 0; near-uniform rows over k successors: ln k), the generated text matches
// it empirically, and the output is the same bytes for the same seed.
#include "scaling/synthetic.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zstd.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "core/file_util.h"

namespace lm::scaling {
namespace {

std::string tmpdir(const std::string& name) {
  return std::string(LMFORGE_BUILD_DIR) + "/test-tmp/synthetic-" + name + "-" +
         std::to_string(getpid());
}

TEST(Markov, KnownEntropies) {
  SyntheticOptions o;
  o.vocab = 64;
  o.branching = 1;
  EXPECT_NEAR(make_markov_source(o).entropy_nats_per_word, 0.0, 1e-12);
  o.branching = 8;
  o.concentration = 1e7;  // rows ~ uniform over 8 successors
  EXPECT_NEAR(make_markov_source(o).entropy_nats_per_word, std::log(8.0), 1e-3);
  o.concentration = 0.3;
  double h = make_markov_source(o).entropy_nats_per_word;
  EXPECT_GT(h, 0.1);
  EXPECT_LT(h, std::log(8.0));
}

std::string decompress(const std::string& path) {
  auto z = read_file(path);
  EXPECT_TRUE(z.ok());
  std::string text(ZSTD_getFrameContentSize(z->data(), z->size()), '\0');
  EXPECT_FALSE(ZSTD_isError(ZSTD_decompress(text.data(), text.size(), z->data(), z->size())));
  return text;
}

TEST(Markov, CorpusMatchesItsEntropyAndIsDeterministic) {
  SyntheticOptions o;
  o.vocab = 50;
  o.branching = 6;
  o.documents = 300;
  o.words_per_document = 300;
  o.out_dir = tmpdir("a");
  auto r = write_synthetic_corpus(o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_NEAR(r->empirical_entropy, r->source.entropy_nats_per_word, 0.03);
  ASSERT_EQ(r->files.size(), 1u);
  auto z = read_file(r->files[0]);
  ASSERT_TRUE(z.ok());
  std::string text = decompress(r->files[0]);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 300);
  EXPECT_NE(text.find("\"source\":\"markov-synthetic\""), std::string::npos);
  EXPECT_TRUE(file_exists(o.out_dir + "/entropy.json"));
  o.out_dir = tmpdir("b");
  auto r2 = write_synthetic_corpus(o);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(*read_file(r2->files[0]), *z);
  o.vocab = 1;
  EXPECT_FALSE(write_synthetic_corpus(o).ok());
}

// The per-token floor against the plug-in conditional entropy (given the previous token) of the
// token stream `pack` writes with a word-level tokenizer: one token per word, EOT after each
// document. It differs from the per-word rate by ~0.15 nats here, far above the test tolerance.
TEST(Markov, TokenFloorMatchesTheTokenStream) {
  SyntheticOptions o;
  o.vocab = 40;
  o.branching = 5;
  o.documents = 2000;
  o.words_per_document = 50;
  o.out_dir = tmpdir("floor");
  auto r = write_synthetic_corpus(o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  std::map<std::string, int> id;
  std::vector<int> stream;
  std::string text = decompress(r->files[0]);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string doc = nlohmann::json::parse(text.substr(pos, nl - pos))["text"];
    pos = nl + 1;
    size_t a = 0;
    while (a <= doc.size()) {
      size_t b = std::min(doc.find(' ', a), doc.size());
      stream.push_back(id.emplace(doc.substr(a, b - a), static_cast<int>(id.size())).first->second);
      a = b + 1;
    }
    stream.push_back(-1);  // EOT
  }
  std::map<std::pair<int, int>, double> pair_count;
  std::map<int, double> prev_count;
  for (size_t i = 1; i < stream.size(); ++i) {
    pair_count[{stream[i - 1], stream[i]}] += 1;
    prev_count[stream[i - 1]] += 1;
  }
  double h = 0, total = static_cast<double>(stream.size() - 1);
  for (const auto& [k, c] : pair_count) h -= c / total * std::log(c / prev_count[k.first]);
  double floor = token_floor_nats(r->source, o.words_per_document);
  EXPECT_NEAR(h, floor, 0.01);
  EXPECT_GT(floor - r->source.entropy_nats_per_word, 0.1);
  auto meta = nlohmann::json::parse(*read_file(o.out_dir + "/entropy.json"));
  EXPECT_DOUBLE_EQ(meta["entropy_nats_per_token"].get<double>(), floor);
}

}  // namespace
}  // namespace lm::scaling
