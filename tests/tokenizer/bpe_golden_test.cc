// bpe_golden_test.cc: the golden files (tests/tokenizer/golden/visible_*.jsonl: texts with the
// ids of tiktoken r50k_base / cl100k_base / o200k_base and of HF tokenizers' GPT-2) must match
// line for line, and decode(ids) must give the text back. The vocabularies come from npm
// tiktoken's rank tables (vocab_fixture.h); without node_modules the tests are skipped.
#include <gtest/gtest.h>

#include "oracles/vocab_fixture.h"
#include "test_util.h"
#include "tokenizer/tokenizer.h"

namespace lm::tok {
namespace {

std::string golden(const std::string& name) {
  return std::string(LMFORGE_SOURCE_DIR) + "/tests/tokenizer/golden/visible_" + name + ".jsonl";
}

void check_golden(const std::string& vocab_file, const std::string& golden_name) {
  std::string dir = testing::vocab_dir();
  if (dir.empty())
    LM_SKIP_OR_FAIL_IN_CI("tests/oracles/node_modules absent (scripts/install-deps --npm)");
  auto t = Tokenizer::load(dir + "/" + vocab_file);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  auto lines = testing::read_jsonl(golden(golden_name));
  ASSERT_EQ(lines.size(), 106u);
  int mismatches = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string text = lines[i]["text"];
    auto want = lines[i]["ids"].get<std::vector<uint32_t>>();
    auto got = t->encode_ordinary(text);
    if (got != want && ++mismatches <= 5) {
      ADD_FAILURE() << golden_name << " line " << i + 1 << ": " << nlohmann::json(text).dump()
                    << "\n  want " << nlohmann::json(want).dump() << "\n  got  "
                    << nlohmann::json(got).dump();
    }
    auto back = t->decode(want);
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_EQ(*back, text) << golden_name << " line " << i + 1;
    // With special tokens disallowed (none occur in these texts) encode() agrees.
    auto strict = t->encode(text);
    ASSERT_TRUE(strict.ok()) << strict.status().to_string();
    EXPECT_EQ(*strict, got);
  }
  EXPECT_EQ(mismatches, 0) << golden_name << ": " << mismatches << " of 106 lines differ";
}

TEST(BpeGolden, R50kBase) { check_golden("r50k_base.tiktoken", "r50k_base"); }
TEST(BpeGolden, Cl100kBase) { check_golden("cl100k_base.tiktoken", "cl100k_base"); }
TEST(BpeGolden, O200kBase) { check_golden("o200k_base.tiktoken", "o200k_base"); }
TEST(BpeGolden, HfGpt2EncoderJson) { check_golden("gpt2/encoder.json", "hf_gpt2"); }
TEST(BpeGolden, HfGpt2ViaVocabBpe) { check_golden("gpt2/vocab.bpe", "hf_gpt2"); }

TEST(BpeGolden, HelloGpt2) {
  std::string dir = testing::vocab_dir();
  if (dir.empty()) LM_SKIP_OR_FAIL_IN_CI("tests/oracles/node_modules absent");
  for (const char* f : {"r50k_base.tiktoken", "gpt2/encoder.json"}) {
    auto t = Tokenizer::load(dir + "/" + f);
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    EXPECT_EQ(t->encode_ordinary("Hello!"), (std::vector<uint32_t>{15496, 0})) << f;
    EXPECT_EQ(t->eot_id(), std::optional<uint32_t>(50256)) << f;
    EXPECT_EQ(t->vocab_size(), 50257u) << f;
  }
}

// Saving each vocabulary as tokenizer.json and as .tiktoken and loading it back gives the same
// ids on the golden texts.
TEST(BpeGolden, SaveLoadRoundTrip) {
  std::string dir = testing::vocab_dir();
  if (dir.empty()) LM_SKIP_OR_FAIL_IN_CI("tests/oracles/node_modules absent");
  std::string tmp = testing::temp_dir("bpe_golden");
  for (const char* enc : {"r50k_base", "cl100k_base", "o200k_base"}) {
    auto t = Tokenizer::load(dir + "/" + enc + ".tiktoken");
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    std::string json_path = tmp + "/" + enc + ".json";
    std::string tk_path = tmp + "/copy_" + enc + ".tiktoken";
    ASSERT_TRUE(t->save(json_path).ok());
    ASSERT_TRUE(t->save(tk_path).ok());
    auto j = Tokenizer::load(json_path);
    ASSERT_TRUE(j.ok()) << j.status().to_string();
    auto k = Tokenizer::load(tk_path);
    ASSERT_TRUE(k.ok()) << k.status().to_string();
    EXPECT_EQ(j->info()["special_tokens"], t->info()["special_tokens"]);
    for (const auto& line : testing::read_jsonl(golden(enc))) {
      std::string text = line["text"];
      auto want = line["ids"].get<std::vector<uint32_t>>();
      EXPECT_EQ(j->encode_ordinary(text), want) << enc << " (tokenizer.json): " << text;
      EXPECT_EQ(k->encode_ordinary(text), want) << enc << " (.tiktoken copy): " << text;
    }
  }
  std::filesystem::remove_all(tmp);
}

}  // namespace
}  // namespace lm::tok
