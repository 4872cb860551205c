// bpe_reference_test.cc: the fast encoder (bpe.cc: tiers, caches, prefetching) gives exactly
// the ids of the plain reference encoder (bpe_reference.h) on GPT-2's real vocabulary
// (tests/golden/hf/gpt2) in both rank sources: the merge list (vocab.json + merges.txt) and
// tiktoken's token ranks (the same tokens, no merges); on sample-corpus lines, random Unicode,
// random bytes and long runs (the heap path for pieces over 96 bytes), each text twice (the
// second time from the piece cache).
#include "tokenizer/bpe_reference.h"

#include <gtest/gtest.h>

#include "oracles/vocab_fixture.h"
#include "test_util.h"
#include "tokenizer/bpe.h"
#include "tokenizer/tokenizer.h"
#include "wp_oracles/wp_test_util.h"

namespace lm::tok {
namespace {

std::vector<std::string> property_texts() {
  std::vector<std::string> t;
  if (wptest::have_sample()) {
    for (auto& line : wptest::lines_of(wptest::sample_docs(1 << 19, 7), 1500)) t.push_back(line);
  }
  Rng rng(4);
  for (int i = 0; i < 600; ++i) t.push_back(testing::random_unicode(rng, 1 + rng.below(80)));
  for (int i = 0; i < 300; ++i) t.push_back(testing::random_bytes(rng, 1 + rng.below(60)));
  t.push_back(std::string(300, 'a'));
  t.push_back(std::string(257, ' ') + "x");
  std::string digits;
  for (int i = 0; i < 200; ++i) digits += static_cast<char>('0' + i % 10);
  t.push_back(digits);
  std::string long_word;
  for (int i = 0; i < 40; ++i) long_word += "antidisestablishmentarianism";
  t.push_back(long_word);
  return t;
}

void check_agree(const BpeModel& m, const std::string& label) {
  ReferenceBpe ref(m);
  auto texts = property_texts();
  size_t bad = 0;
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < texts.size(); ++i) {
      std::vector<uint32_t> fast;
      m.encode_ordinary(texts[i], &fast);
      auto want = ref.encode_ordinary(texts[i]);
      if (fast != want && ++bad <= 5)
        ADD_FAILURE() << label << " text " << i << " round " << round << ": "
                      << nlohmann::json(texts[i]).dump(-1, ' ', false,
                                                       nlohmann::json::error_handler_t::replace)
                      << "\n  reference " << nlohmann::json(want).dump() << "\n  fast      "
                      << nlohmann::json(fast).dump();
    }
  }
  EXPECT_EQ(bad, 0u) << label;
}

TEST(BpeReference, FastEqualsReferenceWithMerges) {
  if (!wptest::have_sample())
    LM_SKIP_OR_FAIL_IN_CI("the sample corpus at " << LMFORGE_SAMPLE_DIR
                                                  << " (ctest's corpus_sample fixture)");
  auto t = Tokenizer::load(std::string(LMFORGE_SOURCE_DIR) + "/tests/golden/hf/gpt2/vocab.json");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  ASSERT_FALSE(t->bpe()->rank_mode());
  check_agree(*t->bpe(), "gpt2 merges");
}

TEST(BpeReference, FastEqualsReferenceWithTiktokenRanks) {
  if (!wptest::have_sample())
    LM_SKIP_OR_FAIL_IN_CI("the sample corpus at " << LMFORGE_SAMPLE_DIR
                                                  << " (ctest's corpus_sample fixture)");
  auto t = Tokenizer::load(std::string(LMFORGE_SOURCE_DIR) + "/tests/golden/hf/gpt2/vocab.json");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  BpeSpec spec = t->bpe()->spec();
  spec.merges.clear();  // tiktoken's rank mode: the rank of a merge is the merged token's id
  auto m = BpeModel::create(std::move(spec));
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  ASSERT_TRUE((*m)->rank_mode());
  check_agree(**m, "gpt2 ranks");
}

// The reference on its own: the textbook cases (no merge, a chain, leftmost on equal ranks).
TEST(BpeReference, MergeLoopByHand) {
  BpeSpec spec;
  for (int b = 0; b < 256; ++b) spec.tokens.emplace_back(1, static_cast<char>(b));
  spec.tokens.push_back("ab");   // 256
  spec.tokens.push_back("abc");  // 257
  spec.tokens.push_back("bc");   // 258
  spec.merges = {{"a", "b"}, {"ab", "c"}, {"b", "c"}};
  spec.pattern = kGpt2Pattern;
  auto m = BpeModel::create(spec);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  ReferenceBpe ref(**m);
  EXPECT_EQ(ref.encode_piece("abc"), (std::vector<uint32_t>{257}));
  EXPECT_EQ(ref.encode_piece("bcab"), (std::vector<uint32_t>{258, 256}));
  EXPECT_EQ(ref.encode_piece("abab"), (std::vector<uint32_t>{256, 256}));
  EXPECT_EQ(ref.encode_piece("x"), (std::vector<uint32_t>{'x'}));
  std::vector<uint32_t> fast;
  (*m)->encode_piece("bcab", &fast);
  EXPECT_EQ(fast, (std::vector<uint32_t>{258, 256}));
}

}  // namespace
}  // namespace lm::tok
