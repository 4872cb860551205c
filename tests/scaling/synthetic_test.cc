// synthetic_test.cc: the Markov corpus: the entropy rate is exact for chains whose answer is known
// (deterministic rows: 0; near-uniform rows over k successors: ln k), the generated text matches
// it empirically, and the output is the same bytes for the same seed.
#include "scaling/synthetic.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zstd.h>

#include <cmath>

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
  std::string text(ZSTD_getFrameContentSize(z->data(), z->size()), '\0');
  ASSERT_FALSE(ZSTD_isError(ZSTD_decompress(text.data(), text.size(), z->data(), z->size())));
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

}  // namespace
}  // namespace lm::scaling
