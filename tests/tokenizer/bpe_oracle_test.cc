// bpe_oracle_test.cc: live oracles. lmforge must give exactly the ids of npm tiktoken
// (r50k_base, p50k_base, cl100k_base, o200k_base: encode_ordinary) and of npm
// @huggingface/tokenizers loading the tokenizer.json lmforge saves (GPT-2 from encoder.json +
// vocab.bpe, cl100k, o200k), on thousands of lines of the sample corpus and on random Unicode;
// and of @huggingface/tokenizers on GPT-2's vocabulary with a normalizer in tokenizer.json.
// Skipped only when tests/oracles/node_modules is absent.
#include <gtest/gtest.h>

#include "core/file_util.h"
#include "io/document.h"
#include "oracles/vocab_fixture.h"
#include "test_util.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/tokenizer.h"

namespace lm::tok {
namespace {

// Lines and multi-line snippets of the sample corpus, drawn deterministically.
std::vector<std::string> sample_texts(size_t want_lines) {
  std::vector<std::string> lines;
  auto reader = io::DocumentReader::open({LMFORGE_SAMPLE_DIR});
  if (!reader.ok()) return {};
  io::Document doc;
  while (true) {
    auto more = (*reader)->next(&doc);
    if (!more.ok() || !*more) break;
    size_t pos = 0;
    while (pos < doc.text.size()) {
      size_t nl = doc.text.find('\n', pos);
      size_t end = nl == std::string::npos ? doc.text.size() : nl + 1;
      lines.push_back(doc.text.substr(pos, end - pos));
      pos = end;
    }
  }
  std::vector<std::string> out;
  if (lines.empty()) return out;
  Rng rng(2024);
  for (size_t i = 0; i < want_lines; ++i) {
    size_t at = rng.below(lines.size());
    std::string t = lines[at];
    if (i % 8 == 0) {  // a multi-line snippet (blank lines, indentation, "\n\n")
      for (size_t k = 1; k < 5 && at + k < lines.size(); ++k) t += lines[at + k];
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<std::string> oracle_texts() {
  static std::vector<std::string> texts = [] {
    std::vector<std::string> t = sample_texts(4000);
    Rng rng(99);
    for (int i = 0; i < 1500; ++i) t.push_back(testing::random_unicode(rng, 1 + rng.below(120)));
    return t;
  }();
  return texts;
}

// Runs the oracle and compares with `t` on every text; `round_trip`: decode gives the text back
// (not with a normalizer).
void compare_texts(const Tokenizer& t, const std::vector<std::string>& texts,
                   const std::string& kind, const std::string& arg, const std::string& label,
                   bool round_trip = true) {
  std::string dir = testing::temp_dir("bpe_oracle_" + label);
  testing::write_texts_jsonl(dir + "/in.jsonl", texts);
  std::string cmd = fmt::format("node '{}' {} '{}' '{}/in.jsonl' '{}/out.jsonl'",
                                testing::oracle_script("oracle.cjs"), kind, arg, dir, dir);
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto want = testing::read_jsonl(dir + "/out.jsonl");
  ASSERT_EQ(want.size(), texts.size());
  size_t bad = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto got = t.encode_ordinary(texts[i]);
    if (got != want[i].get<std::vector<uint32_t>>() && ++bad <= 5) {
      ADD_FAILURE() << label << " text " << i << ": " << nlohmann::json(texts[i]).dump()
                    << "\n  oracle " << want[i].dump() << "\n  lmforge "
                    << nlohmann::json(got).dump();
    }
    auto back = t.decode(got);
    ASSERT_TRUE(back.ok());
    if (round_trip) {
      EXPECT_EQ(*back, texts[i]) << label << " text " << i;
    }
  }
  EXPECT_EQ(bad, 0u) << label << ": " << bad << " of " << texts.size() << " texts differ";
  std::filesystem::remove_all(dir);
}

void compare(const Tokenizer& t, const std::string& kind, const std::string& arg,
             const std::string& label) {
  std::vector<std::string> texts = oracle_texts();
  ASSERT_GT(texts.size(), 5000u) << "the sample corpus is missing at " << LMFORGE_SAMPLE_DIR
                                 << " (run through ctest: the corpus_sample fixture builds it)";
  compare_texts(t, texts, kind, arg, label);
}

class BpeOracle : public ::testing::TestWithParam<const char*> {};

TEST_P(BpeOracle, TiktokenNpm) {
  std::string dir = testing::vocab_dir();
  if (dir.empty())
    LM_SKIP_OR_FAIL_IN_CI("tests/oracles/node_modules absent (scripts/install-deps --npm)");
  std::string enc = GetParam();
  auto t = Tokenizer::load(dir + "/" + enc + ".tiktoken");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  compare(*t, "tiktoken", enc, enc);
}

TEST_P(BpeOracle, HfTokenizersLoadsOurTokenizerJson) {
  std::string dir = testing::vocab_dir();
  if (dir.empty())
    LM_SKIP_OR_FAIL_IN_CI("tests/oracles/node_modules absent (scripts/install-deps --npm)");
  std::string enc = GetParam();
  // GPT-2 goes through encoder.json + vocab.bpe (merge ranks), the others through .tiktoken.
  std::string src = enc == "r50k_base" ? dir + "/gpt2/encoder.json" : dir + "/" + enc + ".tiktoken";
  auto t = Tokenizer::load(src);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  std::string tmp = testing::temp_dir("bpe_hfjson_" + enc);
  std::string json = tmp + "/tokenizer.json";
  ASSERT_TRUE(t->save(json).ok());
  auto reloaded = Tokenizer::load(json);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().to_string();
  compare(*reloaded, "hf", json, enc + "_hf");
  std::filesystem::remove_all(tmp);
}

INSTANTIATE_TEST_SUITE_P(Encodings, BpeOracle,
                         ::testing::Values("r50k_base", "p50k_base", "cl100k_base", "o200k_base"));

// Texts for the normalizer oracle: sample lines, accented and compatibility characters, random
// Unicode. Tokenizers.js lowercases with String.toLowerCase, which maps a final capital sigma
// to ς; HF's Rust Lowercase (and lmforge) maps every Σ to σ. Texts that reach a Σ are left out
// when the normalizer lowercases (`*skipped` counts them).
std::vector<std::string> normalizer_texts(bool lowercase, size_t* skipped) {
  std::vector<std::string> t = sample_texts(600);
  for (const char* s :
       {"Crème Brûlée, ÉCOLE, naïve, Ñandú", "e\u0301 a\u0308 o\u0302\u0323",
        "ＡＢＣ ａｂｃ １２３", "\uFB01 \uFB02 \u2460 \u2461 \u216B \u00BD x\u00B2 \u2026",
        "\u212B \u2126 \u212A", "\u3392 \u339E \u00A0nbsp\u3000ideographic", "İstanbul ǅ Ǆ ß ẞ",
        "ｶﾀｶﾅ ﾊﾟ", "한국어 한", "क्षत्रिय हिंदी", "\uFDFA \u0345", "ΆΈΉ όλα", "𝐀𝐁𝐂 𝟏𝟐𝟑"})
    t.push_back(s);
  Rng rng(7);
  for (int i = 0; i < 300; ++i) t.push_back(testing::random_unicode(rng, 1 + rng.below(60)));
  if (!lowercase) return t;
  NormalizerSequence nfkd({NormStep::kNfkd});
  std::vector<std::string> kept;
  for (auto& s : t) {
    if (nfkd.normalize(s).find("\u03A3") == std::string::npos) {
      kept.push_back(std::move(s));
    } else {
      ++*skipped;
    }
  }
  return kept;
}

struct NormCase {
  const char* label;
  const char* json;
};
void PrintTo(const NormCase& c, std::ostream* os) { *os << c.label; }

class BpeNormalizerOracle : public ::testing::TestWithParam<NormCase> {};

// GPT-2's vocabulary in a tokenizer.json with a normalizer: lmforge loads it, saves it again
// (the normalizer written back), and Tokenizers.js gives the same ids on the saved file.
TEST_P(BpeNormalizerOracle, HfTokenizersSameIds) {
  std::string dir = testing::vocab_dir();
  if (dir.empty())
    LM_SKIP_OR_FAIL_IN_CI("tests/oracles/node_modules absent (scripts/install-deps --npm)");
  auto base = Tokenizer::load(dir + "/gpt2/encoder.json");
  ASSERT_TRUE(base.ok()) << base.status().to_string();
  std::string tmp = testing::temp_dir(std::string("bpe_norm_") + GetParam().label);
  ASSERT_TRUE(base->save(tmp + "/base.json").ok());
  auto j = nlohmann::json::parse(*read_file(tmp + "/base.json"));
  j["normalizer"] = nlohmann::json::parse(GetParam().json);
  ASSERT_TRUE(write_file_atomic(tmp + "/in.json", j.dump()).ok());
  auto t = Tokenizer::load(tmp + "/in.json");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  ASSERT_FALSE(t->normalizer().empty());
  std::string saved = tmp + "/tokenizer.json";
  ASSERT_TRUE(t->save(saved).ok());
  auto again = Tokenizer::load(saved);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(again->normalizer().steps(), t->normalizer().steps());
  bool lower = false;
  for (NormStep s : t->normalizer().steps()) lower |= s == NormStep::kLowercase;
  size_t skipped = 0;
  auto texts = normalizer_texts(lower, &skipped);
  ASSERT_GT(texts.size(), 800u) << "the sample corpus is missing at " << LMFORGE_SAMPLE_DIR;
  EXPECT_LT(skipped, 60u);
  compare_texts(*again, texts, "hf", saved, std::string("norm_") + GetParam().label, false);
  // The normalizer changes ids: "ÉCOLE" and "école" are the same text after it.
  if (lower) {
    EXPECT_EQ(again->encode_ordinary("ÉCOLE"), again->encode_ordinary("école"));
  }
  std::filesystem::remove_all(tmp);
}

INSTANTIATE_TEST_SUITE_P(
    Normalizers, BpeNormalizerOracle,
    ::testing::Values(
        NormCase{"nfkc_lower",
                 R"({"type":"Sequence","normalizers":[{"type":"NFKC"},{"type":"Lowercase"}]})"},
        NormCase{"nfd_strip_lower", R"({"type":"Sequence","normalizers":[{"type":"NFD"},)"
                                    R"({"type":"StripAccents"},{"type":"Lowercase"}]})"},
        NormCase{"nfc", R"({"type":"NFC"})"}, NormCase{"nfkd", R"({"type":"NFKD"})"}),
    [](const auto& info) { return std::string(info.param.label); });

}  // namespace
}  // namespace lm::tok
