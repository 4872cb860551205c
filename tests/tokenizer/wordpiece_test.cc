// wordpiece_test.cc: WordPiece (BERT): the basic tokenizer (cleaning, CJK, accents, punctuation),
// greedy longest-match with "##", [UNK], the [CLS] A [SEP] template, decoding, vocab.txt and
// tokenizer.json round trips and errors, the WordPiece trainer, and HF Tokenizers.js as the
// oracle on the same vocab.txt over thousands of sample-corpus lines.
#include "tokenizer/wordpiece.h"

#include <gtest/gtest.h>

#include <fstream>

#include "test_util.h"
#include "tokenizer/bert_pretokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/wordpiece_trainer.h"
#include "wp_oracles/wp_test_util.h"

namespace lm::tok {
namespace {

WordPiece small_vocab(WordPieceOptions o = {}) {
  std::vector<std::string> v = {"[PAD]", "[UNK]",  "[CLS]", "[SEP]", "[MASK]", "un",
                                "##aff", "##able", "hello", "world", ",",      "!",
                                ".",     "中",     "文",    "cafe",  "'",      "s",
                                "do",    "##n",    "##t",   "it",    "a",      "##b"};
  auto wp = WordPiece::from_vocab(v, o);
  EXPECT_TRUE(wp.ok());
  return std::move(wp).value();
}

std::vector<std::string> words(std::string_view text, BertNormalizerOptions o = {}) {
  std::string norm = bert_normalize(text, o);
  std::vector<std::string_view> w;
  bert_pre_tokenize(norm, &w);
  return {w.begin(), w.end()};
}

TEST(BertBasicTokenizer, CleansSplitsAndLowercases) {
  EXPECT_EQ(words("Hello,World!  Héllo\tCAFÉ"),
            (std::vector<std::string>{"hello", ",", "world", "!", "hello", "cafe"}));
  EXPECT_EQ(words("a\x01"
                  "b\xEF\xBF\xBD"
                  "c\u200Bd"),
            (std::vector<std::string>{"abcd"}));
  EXPECT_EQ(words("ab中文cd"), (std::vector<std::string>{"ab", "中", "文", "cd"}));
  EXPECT_EQ(words("«quoted»—dash"), (std::vector<std::string>{"«", "quoted", "»", "—", "dash"}));
  EXPECT_EQ(words("x\u3000y\u00A0z"), (std::vector<std::string>{"x", "y", "z"}));
  BertNormalizerOptions cased{.strip_accents = false, .lowercase = false};
  EXPECT_EQ(words("Héllo", cased), (std::vector<std::string>{"Héllo"}));
  EXPECT_EQ(words("$5+3=8"), (std::vector<std::string>{"$", "5", "+", "3", "=", "8"}));
}

TEST(WordPiece, GreedyLongestMatchFirst) {
  WordPiece wp = small_vocab();
  std::vector<uint32_t> ids;
  wp.encode("unaffable", &ids);
  EXPECT_EQ(ids, (std::vector<uint32_t>{5, 6, 7}));
  ids.clear();
  wp.encode("Hello, World! unknownword", &ids);
  EXPECT_EQ(ids, (std::vector<uint32_t>{8, 10, 9, 11, 1}));
  ids.clear();
  wp.encode("dont abab", &ids);  // "##b" after "a": a ##b; then "a" again needs "##a": [UNK]
  EXPECT_EQ(ids, (std::vector<uint32_t>{18, 19, 20, 1}));
}

TEST(WordPiece, TooLongWordIsUnknown) {
  WordPieceOptions o;
  o.max_input_chars_per_word = 4;
  WordPiece wp = small_vocab(o);
  std::vector<uint32_t> ids;
  wp.encode("cafe unaffable", &ids);
  EXPECT_EQ(ids, (std::vector<uint32_t>{15, 1}));
}

TEST(WordPiece, TemplateAndSpecialTokensInText) {
  WordPiece wp = small_vocab();
  wp.set_add_special_tokens(true);
  std::vector<uint32_t> ids;
  wp.encode("hello [MASK] world", &ids);
  EXPECT_EQ(ids, (std::vector<uint32_t>{2, 8, 4, 9, 3}));
}

TEST(WordPiece, DecodeJoinsContinuationsAndCleansUp) {
  WordPiece wp = small_vocab();
  std::vector<uint32_t> ids = {2, 5, 6, 7, 10, 8, 11, 3};
  EXPECT_EQ(wp.decode(ids), "unaffable, hello!");
  EXPECT_EQ(wp.decode(ids, false), "[CLS] unaffable, hello! [SEP]");
  EXPECT_EQ(wp.decode(std::vector<uint32_t>{8, 999}), "hello \xEF\xBF\xBD");
}

// Through the Tokenizer facade: an id out of range is an error by default, U+FFFD when lossy.
TEST(WordPiece, DecodeOutOfRangeIsAnErrorOrReplaced) {
  Tokenizer t = Tokenizer::from_wordpiece(small_vocab());
  std::vector<uint32_t> ids = {8, 999};
  auto r = t.decode(ids);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("id 999 (position 1) is out of range"), std::string::npos)
      << r.status().to_string();
  EXPECT_EQ(t.decode_lossy(ids), "hello \xEF\xBF\xBD");
}

TEST(WordPiece, VocabTxtAndJsonRoundTrip) {
  WordPiece wp = small_vocab();
  std::string dir = wptest::temp_dir("wp_roundtrip");
  ASSERT_TRUE(wp.save_vocab_txt(dir + "/vocab.txt").ok());
  auto a = WordPiece::from_vocab_txt(dir + "/vocab.txt");
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a->vocab(), wp.vocab());
  nlohmann::json j = wp.to_json();
  EXPECT_EQ(j["model"]["type"], "WordPiece");
  EXPECT_EQ(j["normalizer"]["type"], "BertNormalizer");
  EXPECT_EQ(j["post_processor"]["type"], "TemplateProcessing");
  EXPECT_EQ(j["added_tokens"].size(), 5u);
  auto b = WordPiece::from_json(j, "mem.json");
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(b->vocab(), wp.vocab());
  ASSERT_TRUE(wp.save_json(dir + "/tokenizer.json").ok());
  auto t = Tokenizer::load(dir + "/tokenizer.json");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_TRUE(t->is_wordpiece());
  EXPECT_EQ(t->vocab_size(), wp.vocab_size());
  std::filesystem::remove_all(dir);
}

TEST(WordPiece, BadFilesGiveClearErrors) {
  nlohmann::json j = small_vocab().to_json();
  j["model"]["vocab"]["hello"] = 5000;
  auto r = WordPiece::from_json(j, "bad.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bad.json"), std::string::npos);
  EXPECT_NE(r.status().message().find("hello"), std::string::npos);
  EXPECT_FALSE(WordPiece::from_json(nlohmann::json::object(), "empty.json").ok());
  EXPECT_FALSE(WordPiece::from_vocab({"a", "b"}).ok());  // no [UNK]
  EXPECT_FALSE(WordPiece::from_vocab({"[UNK]", "a", "a"}).ok());
  EXPECT_FALSE(WordPiece::from_vocab_txt("/nonexistent/vocab.txt").ok());
}

std::vector<std::string> training_texts() {
  if (wptest::have_sample()) return wptest::sample_docs(3 << 20, 5);
  std::vector<std::string> t;
  for (int i = 0; i < 3000; ++i)
    t.push_back(fmt::format("The {} quick brown foxes jumped {}!", i, i % 13));
  return t;
}

TEST(WordPieceTrainer, VocabularyLayoutAndDeterminism) {
  auto texts = training_texts();
  WordPieceTrainerOptions o;
  o.vocab_size = 4000;
  o.progress = false;
  o.threads = 1;
  auto a = train_wordpiece_on_texts(texts, o);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  o.threads = 2;
  auto b = train_wordpiece_on_texts(texts, o);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->vocab(), b->vocab());
  if (wptest::have_sample()) {
    EXPECT_EQ(a->vocab_size(), 4000u);  // enough pairs to fill it
  }
  EXPECT_GT(a->vocab_size(), 100u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(a->token(i), bert_special_tokens()[i]);
  size_t continuations = 0;
  for (const auto& t : a->vocab()) continuations += t.rfind("##", 0) == 0;
  EXPECT_GT(continuations, 100u);
  // Training text is covered: no [UNK] in the first documents.
  for (size_t i = 0; i < 50 && i < texts.size(); ++i) {
    std::vector<uint32_t> ids;
    a->encode(texts[i], &ids);
    for (uint32_t id : ids) EXPECT_NE(id, a->unk_id()) << texts[i];
  }
}

TEST(WordPieceTrainer, MergesUseContinuationPrefix) {
  WordPieceTrainerOptions o;
  o.vocab_size = 30;
  o.progress = false;
  auto wp = train_wordpiece_on_texts({"hug hug hug pug pun bun"}, o);
  ASSERT_TRUE(wp.ok());
  EXPECT_TRUE(wp->token_id("##u").has_value());
  EXPECT_TRUE(wp->token_id("##ug").has_value());  // "##u" + "##g" -> "##ug"
  EXPECT_TRUE(wp->token_id("hug").has_value());   // "h" + "##ug" -> "hug"
}

// HF Tokenizers.js builds a BERT tokenizer from our vocab.txt (its own tokenizer.json) and
// also loads our tokenizer.json; both give our ids on thousands of sample lines.
TEST(WordPieceOracle, MatchesHfBertWordPieceOnSameVocab) {
  if (!wptest::have_sample()) LM_SKIP_OR_FAIL_IN_CI("no sample corpus at " << LMFORGE_SAMPLE_DIR);
  if (!wptest::have_node_oracle()) LM_SKIP_OR_FAIL_IN_CI("tests/oracles/node_modules is absent");
  WordPieceTrainerOptions o;
  o.vocab_size = 6000;
  o.progress = false;
  auto trained = train_wordpiece_on_texts(wptest::sample_docs(3 << 20, 7), o);
  ASSERT_TRUE(trained.ok());
  std::string dir = wptest::temp_dir("wp_oracle");
  ASSERT_TRUE(trained->save_vocab_txt(dir + "/vocab.txt").ok());
  ASSERT_TRUE(trained->save_json(dir + "/tokenizer.json").ok());
  auto wp = WordPiece::from_vocab_txt(dir + "/vocab.txt");
  ASSERT_TRUE(wp.ok());
  auto lines = wptest::lines_of(wptest::sample_docs(12 << 20, 13), 5000);
  ASSERT_GE(lines.size(), 3000u);
  wptest::write_texts(dir + "/texts.jsonl", lines);
  for (const char* mode : {"vocab", "json"}) {
    std::string model = dir + (std::string(mode) == "vocab" ? "/vocab.txt" : "/tokenizer.json");
    auto hf = wptest::hf_encode(mode, model, dir + "/texts.jsonl");
    ASSERT_EQ(hf.size(), lines.size()) << mode;
    size_t mismatches = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      std::vector<uint32_t> ids;
      wp->encode(lines[i], &ids);
      if (ids != hf[i] && mismatches++ < 3)
        ADD_FAILURE() << mode << " line " << i << ": " << lines[i];
    }
    EXPECT_EQ(mismatches, 0u) << mode;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lm::tok
