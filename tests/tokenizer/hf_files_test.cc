// hf_files_test.cc: real Hugging Face hub files (tests/golden/hf: GPT-2's tokenizer.json,
// vocab.json + merges.txt; bert-base-uncased's tokenizer.json, whose model has no "type", and
// vocab.txt). Every file loads; lmforge's ids equal the live npm @huggingface/tokenizers'
// on sample-corpus lines and random Unicode, with and without the post_processor's special
// tokens ([CLS] ... [SEP]); merges as strings or pairs agree; the files' truncation / padding
// sections apply as in HF (and not when switched off); Unigram and a renamed encoder.json
// without merges give clear errors. The CLI's flags and notice, with exit codes.
// Where the JS port departs from HF's Rust library, the reference, the test says so and uses
// the Rust behaviour: ByteLevel's regex runs with JavaScript's \s (U+FEFF in, U+0085 out; Rust
// and tiktoken use Unicode White_Space), so GPT-2 is also checked against npm tiktoken's gpt2
// (the Rust tiktoken crate in WASM) on every text and against HF-JS on texts without those two;
// BertNormalizer in Rust drops unassigned code points (clean_text: is_other) and lowercases
// char by char (Σ -> σ, never the final ς of JavaScript's toLowerCase), so the JS oracle is
// given the text with unassigned code points removed and Σ written σ.
#include <gtest/gtest.h>
#include <unicode/uchar.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <functional>

#include "core/file_util.h"
#include "oracles/vocab_fixture.h"
#include "test_util.h"
#include "tokenizer/tokenizer.h"
#include "uni/utf8.h"
#include "wp_oracles/wp_test_util.h"

namespace lm::tok {
namespace {

std::string golden(const std::string& rel) {
  return std::string(LMFORGE_SOURCE_DIR) + "/tests/golden/hf/" + rel;
}

nlohmann::json read_json(const std::string& path) {
  auto text = read_file(path);
  EXPECT_TRUE(text.ok()) << text.status().to_string();
  return nlohmann::json::parse(text.ok() ? *text : "{}");
}

void write_json(const std::string& path, const nlohmann::json& j) {
  ASSERT_TRUE(write_file_atomic(path, j.dump()).ok()) << path;
}

Tokenizer load(const std::string& path) {
  auto t = Tokenizer::load(path);
  EXPECT_TRUE(t.ok()) << path << ": " << t.status().to_string();
  return t.ok() ? std::move(t).value() : Tokenizer();
}

// Sample-corpus lines (some multi-line) and random Unicode, deterministic.
std::vector<std::string> oracle_texts() {
  static std::vector<std::string> texts = [] {
    std::vector<std::string> t;
    auto docs = wptest::sample_docs(1 << 20, 3);
    auto lines = wptest::lines_of(docs, 2500);
    for (size_t i = 0; i < lines.size(); ++i) {
      t.push_back(lines[i]);
      if (i % 10 == 0 && i + 3 < lines.size())
        t.push_back(lines[i] + "\n\n" + lines[i + 1] + "\n  " + lines[i + 2]);
    }
    Rng rng(1414);
    for (int i = 0; i < 1200; ++i) t.push_back(testing::random_unicode(rng, 1 + rng.below(100)));
    t.push_back("");
    t.push_back("[CLS] a [MASK] b [SEP] <|endoftext|> tail");
    return t;
  }();
  return texts;
}

// The oracle's ids for `texts` (kind "hf" or "hf+special"), empty when it cannot run.
std::vector<std::vector<uint32_t>> hf_ids(const std::string& kind, const std::string& json,
                                          const std::vector<std::string>& texts,
                                          const std::string& tag) {
  std::string dir = testing::temp_dir("hf_files_" + tag);
  testing::write_texts_jsonl(dir + "/in.jsonl", texts);
  std::string cmd = fmt::format("node '{}' {} '{}' '{}/in.jsonl' '{}/out.jsonl' 2>/dev/null",
                                testing::oracle_script("oracle.cjs"), kind, json, dir, dir);
  std::vector<std::vector<uint32_t>> out;
  if (std::system(cmd.c_str()) != 0) {
    ADD_FAILURE() << "oracle failed: " << cmd;
    return out;
  }
  for (const auto& j : testing::read_jsonl(dir + "/out.jsonl"))
    out.push_back(j.get<std::vector<uint32_t>>());
  std::filesystem::remove_all(dir);
  return out;
}

// The JS port's ByteLevel regex uses JavaScript's \s: texts with U+0085 / U+FEFF are left out
// of the HF-JS comparison (tiktoken checks them).
bool byte_level_js_safe(const std::string& text) {
  return text.find("\xC2\x85") == std::string::npos &&
         text.find("\xEF\xBB\xBF") == std::string::npos;
}

std::vector<std::string> js_safe(const std::vector<std::string>& texts) {
  std::vector<std::string> out;
  for (const auto& t : texts) {
    if (byte_level_js_safe(t)) out.push_back(t);
  }
  return out;
}

// What HF's Rust BertNormalizer sees of `text` once it has dropped unassigned code points
// (clean_text) and lowercased Σ char by char: given to the JS port, which does neither.
std::string as_rust_bert_sees(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    size_t at = i;
    uint32_t cp = uni::utf8_decode(text, &i);
    if (u_charType(static_cast<UChar32>(cp)) == U_UNASSIGNED) continue;
    if (cp == 0x3A3) {
      out += "\xCF\x83";  // σ
      continue;
    }
    out.append(text, at, i - at);
  }
  return out;
}

std::vector<std::string> for_bert_oracle(const std::vector<std::string>& texts) {
  std::vector<std::string> out;
  for (const auto& t : texts) out.push_back(as_rust_bert_sees(t));
  return out;
}

std::vector<uint32_t> encode(const Tokenizer& t, const std::string& text) {
  auto r = t.encode(text, SpecialPolicy::kAllow);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : std::vector<uint32_t>{};
}

// Compares lmforge with the oracle on every text; `expect` maps the oracle's ids to what
// lmforge must return (identity, or HF's truncation/padding, which the JS port leaves out).
void compare(const Tokenizer& t, const std::vector<std::vector<uint32_t>>& want,
             const std::vector<std::string>& texts, const std::string& label,
             const std::function<std::vector<uint32_t>(std::vector<uint32_t>)>& expect,
             bool ordinary = false) {
  ASSERT_EQ(want.size(), texts.size()) << label;
  size_t bad = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto got = ordinary ? t.encode_ordinary(texts[i]) : encode(t, texts[i]);
    auto exp = expect(want[i]);
    if (got != exp && ++bad <= 5)
      ADD_FAILURE() << label << " text " << i << ": " << nlohmann::json(texts[i]).dump()
                    << "\n  HF      " << nlohmann::json(exp).dump() << "\n  lmforge "
                    << nlohmann::json(got).dump();
  }
  EXPECT_EQ(bad, 0u) << label << ": " << bad << " of " << texts.size() << " texts differ";
}

std::vector<uint32_t> same(std::vector<uint32_t> v) { return v; }

class HfFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::have_node_modules())
      LM_SKIP_OR_FAIL_IN_CI("node or tests/oracles/node_modules (scripts/install-deps --npm)");
    if (!wptest::have_sample())
      LM_SKIP_OR_FAIL_IN_CI(std::string("the sample corpus at ") + LMFORGE_SAMPLE_DIR +
                            " (ctest's corpus_sample fixture builds it)");
    tmp_ = testing::temp_dir("hf_files");
  }
  void TearDown() override {
    if (!tmp_.empty()) std::filesystem::remove_all(tmp_);
  }
  std::string tmp_;
};

TEST(HfFilesLoad, EveryFileLoads) {
  struct Case {
    const char* file;
    const char* type;
    size_t vocab;
  };
  for (const Case& c :
       {Case{"gpt2/tokenizer.json", "bpe", 50257}, Case{"gpt2/vocab.json", "bpe", 50257},
        Case{"gpt2/merges.txt", "bpe", 50257},
        Case{"bert-base-uncased/tokenizer.json", "wordpiece", 30522},
        Case{"bert-base-uncased/vocab.txt", "wordpiece", 30522}}) {
    auto t = Tokenizer::load(golden(c.file));
    ASSERT_TRUE(t.ok()) << c.file << ": " << t.status().to_string();
    EXPECT_EQ(t->info()["type"], c.type) << c.file;
    EXPECT_EQ(t->vocab_size(), c.vocab) << c.file;
  }
  // The three GPT-2 files are the same tokenizer.
  Tokenizer a = load(golden("gpt2/tokenizer.json")), b = load(golden("gpt2/vocab.json"));
  a.set_truncation(std::nullopt);
  std::string s = "Hello world, it's 2026: the café's naïve déjà vu <|endoftext|> ok";
  EXPECT_EQ(encode(a, s), encode(b, s));
  EXPECT_EQ(a.token_id("<|endoftext|>"), 50256u);
  // bert-base-uncased's tokenizer.json (model without "type") is read as WordPiece, with its
  // post_processor's [CLS] (101) ... [SEP] (102).
  Tokenizer bert = load(golden("bert-base-uncased/tokenizer.json"));
  EXPECT_EQ(bert.hf_post_process().post.kind, "TemplateProcessing");
  EXPECT_EQ(bert.hf_post_process().post.prefix, std::vector<uint32_t>{101});
  EXPECT_EQ(bert.hf_post_process().post.suffix, std::vector<uint32_t>{102});
  EXPECT_EQ(encode(bert, "Hello"), (std::vector<uint32_t>{7592}));
  bert.set_add_special_tokens(true);
  EXPECT_EQ(encode(bert, "Hello"), (std::vector<uint32_t>{101, 7592, 102}));
}

TEST_F(HfFiles, Gpt2TokenizerJsonMatchesHf) {
  auto all = oracle_texts();
  ASSERT_GT(all.size(), 2000u);
  auto texts = js_safe(all);
  ASSERT_GT(texts.size(), all.size() * 3 / 4);
  std::string json = golden("gpt2/tokenizer.json");
  Tokenizer t = load(json);
  ASSERT_TRUE(t.hf_post_process().truncation.has_value()) << "the file's truncation section";
  EXPECT_EQ(t.hf_post_process().truncation->max_length, 50u);
  auto plain = hf_ids("hf", json, texts, "gpt2");
  // The JS port does not apply the file's truncation; HF (Rust) keeps the first max_length ids
  // (ByteLevel's post_processor adds no tokens).
  compare(t, plain, texts, "gpt2 truncated", [](std::vector<uint32_t> v) {
    if (v.size() > 50) v.resize(50);
    return v;
  });
  auto special = hf_ids("hf+special", json, texts, "gpt2s");
  t.set_truncation(std::nullopt);
  compare(t, plain, texts, "gpt2", same);
  // Every text, U+0085 / U+FEFF included, against tiktoken's gpt2 (same vocabulary and merges;
  // its encode_ordinary reads special-token text as text).
  compare(t, hf_ids("tiktoken", "gpt2", all, "gpt2t"), all, "gpt2 vs tiktoken", same, true);
  t.set_add_special_tokens(true);
  compare(t, special, texts, "gpt2 +special", same);
}

TEST_F(HfFiles, BertTokenizerJsonMatchesHfWithAndWithoutSpecialTokens) {
  auto texts = oracle_texts();
  std::string json = golden("bert-base-uncased/tokenizer.json");
  Tokenizer t = load(json);
  compare(t, hf_ids("hf", json, for_bert_oracle(texts), "bert"), texts, "bert", same);
  auto special = hf_ids("hf+special", json, for_bert_oracle(texts), "berts");
  for (size_t i = 0; i < std::min<size_t>(special.size(), 50); ++i) {
    ASSERT_GE(special[i].size(), 2u);
    EXPECT_EQ(special[i].front(), 101u);
    EXPECT_EQ(special[i].back(), 102u);
  }
  t.set_add_special_tokens(true);
  compare(t, special, texts, "bert +special", same);
  // vocab.txt alone gives the same ids (BERT's defaults, [CLS] $A [SEP]).
  Tokenizer v = load(golden("bert-base-uncased/vocab.txt"));
  v.set_add_special_tokens(true);
  compare(v, special, texts, "bert vocab.txt +special", same);
}

// Truncation and padding sections on a WordPiece file, both directions: HF truncates the
// model's ids to max_length minus the template's tokens, adds the template, then pads.
TEST_F(HfFiles, BertTruncationAndPaddingAsHf) {
  auto texts = oracle_texts();
  texts.resize(600);
  nlohmann::json j = read_json(golden("bert-base-uncased/tokenizer.json"));
  for (bool left : {false, true}) {
    j["truncation"] = {{"direction", left ? "Left" : "Right"},
                       {"max_length", 16},
                       {"strategy", "LongestFirst"},
                       {"stride", 0}};
    j["padding"] = {{"strategy", {{"Fixed", 20}}},
                    {"direction", left ? "Left" : "Right"},
                    {"pad_to_multiple_of", nullptr},
                    {"pad_id", 0},
                    {"pad_type_id", 0},
                    {"pad_token", "[PAD]"}};
    std::string path = tmp_ + (left ? "/left.json" : "/right.json");
    write_json(path, j);
    Tokenizer t = load(path);
    EXPECT_NE(t.post_process_notice().find("16"), std::string::npos) << t.post_process_notice();
    auto plain = hf_ids("hf", path, for_bert_oracle(texts), left ? "bl" : "br");
    auto cut = [left](std::vector<uint32_t> v, size_t n) {
      if (v.size() > n) v.erase(left ? v.begin() : v.begin() + n, left ? v.end() - n : v.end());
      return v;
    };
    auto pad = [left](std::vector<uint32_t> v, size_t n) {
      if (v.size() < n) v.insert(left ? v.begin() : v.end(), n - v.size(), 0u);
      return v;
    };
    compare(t, plain, texts, left ? "bert left" : "bert right",
            [&](std::vector<uint32_t> v) { return pad(cut(std::move(v), 16), 20); });
    t.set_add_special_tokens(true);
    compare(t, plain, texts, left ? "bert left +special" : "bert right +special",
            [&](std::vector<uint32_t> v) {
              v = cut(std::move(v), 14);
              v.insert(v.begin(), 101u);
              v.push_back(102u);
              return pad(std::move(v), 20);
            });
    t.set_truncation(std::nullopt);
    t.set_padding(std::nullopt);
    compare(t, hf_ids("hf+special", path, for_bert_oracle(texts), "bo"), texts, "bert off", same);
  }
}

TEST_F(HfFiles, MergesAsPairsEqualMergesAsStrings) {
  nlohmann::json j = read_json(golden("gpt2/tokenizer.json"));
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& m : j["model"]["merges"]) {
    std::string s = m.get<std::string>();
    size_t sp = s.find(' ');
    pairs.push_back({s.substr(0, sp), s.substr(sp + 1)});
  }
  j["model"]["merges"] = pairs;
  j["truncation"] = nullptr;
  write_json(tmp_ + "/pairs.json", j);
  Tokenizer a = load(golden("gpt2/tokenizer.json")), b = load(tmp_ + "/pairs.json");
  a.set_truncation(std::nullopt);
  auto all = oracle_texts();
  auto texts = js_safe(all);
  auto want = hf_ids("hf", tmp_ + "/pairs.json", texts, "pairs");
  compare(b, want, texts, "gpt2 pairs", same);
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(encode(a, all[i]), encode(b, all[i])) << i;
}

TEST(HfFilesErrors, UnigramAndMissingMergesAreNamed) {
  std::string tmp = testing::temp_dir("hf_files_err");
  // A Unigram model (vocab as [piece, score] pairs, no "type"): refused as Unigram.
  ASSERT_TRUE(
      write_file_atomic(tmp + "/uni.json",
                        R"({"model": {"unk_id": 0, "vocab": [["<unk>", 0.0], ["a", -1.5]]}})")
          .ok());
  auto u = Tokenizer::load(tmp + "/uni.json");
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find("Unigram"), std::string::npos) << u.status().to_string();
  // GPT-2's encoder.json under another name (it has a "model" token), no merges beside it.
  std::filesystem::copy_file(golden("gpt2/vocab.json"), tmp + "/gpt2-encoder.json",
                             std::filesystem::copy_options::overwrite_existing);
  auto e = Tokenizer::load(tmp + "/gpt2-encoder.json");
  ASSERT_FALSE(e.ok());
  std::string msg = e.status().to_string();
  EXPECT_NE(msg.find("vocab.bpe"), std::string::npos) << msg;
  EXPECT_NE(msg.find("merges"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("not supported"), std::string::npos) << msg;
  // With merges.txt beside it, it loads as GPT-2.
  std::filesystem::copy_file(golden("gpt2/merges.txt"), tmp + "/merges.txt",
                             std::filesystem::copy_options::overwrite_existing);
  auto ok = Tokenizer::load(tmp + "/gpt2-encoder.json");
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->vocab_size(), 50257u);
  // A truncation shorter than the template it must hold: an error, not a wrong sequence.
  nlohmann::json j = read_json(golden("bert-base-uncased/tokenizer.json"));
  j["truncation"] = {{"max_length", 1}, {"strategy", "LongestFirst"}, {"stride", 0}};
  write_json(tmp + "/short.json", j);
  Tokenizer t = load(tmp + "/short.json");
  EXPECT_EQ(encode(t, "hello world"), std::vector<uint32_t>{7592});
  t.set_add_special_tokens(true);
  EXPECT_FALSE(t.encode("hello world", SpecialPolicy::kAllow).ok());
  std::filesystem::remove_all(tmp);
}

// The steps alone, on the cases the files above do not have: padding to a multiple, BatchLongest,
// Bert/Roberta/Sequence post-processors, OnlySecond on one sequence.
TEST(HfPostProcess, StepsAsHfTokenizers) {
  auto parse = [](const char* text) {
    auto p = parse_hf_post_process(nlohmann::json::parse(text), "t.json");
    EXPECT_TRUE(p.ok()) << p.status().to_string();
    return p.ok() ? *p : HfPostProcess();
  };
  auto run = [](const HfPostProcess& p, std::vector<uint32_t> ids, bool special) {
    Status st = apply_hf_post_process(p, special, &ids);
    EXPECT_TRUE(st.ok()) << st.to_string();
    return ids;
  };
  using V = std::vector<uint32_t>;
  HfPostProcess p = parse(R"({"post_processor": {"type": "Sequence", "processors": [
      {"type": "ByteLevel", "trim_offsets": false},
      {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0]}]},
    "truncation": {"max_length": 6, "strategy": "OnlyFirst", "stride": 1, "direction": "Left"},
    "padding": {"strategy": "BatchLongest", "direction": "Right", "pad_to_multiple_of": 4,
                "pad_id": 9, "pad_type_id": 0, "pad_token": "<pad>"}})");
  EXPECT_EQ(p.post.prefix, V{0});
  EXPECT_EQ(p.post.suffix, V{2});
  EXPECT_EQ(run(p, {5, 6, 7, 8, 10, 11, 12}, false), (V{6, 7, 8, 10, 11, 12, 9, 9}));
  EXPECT_EQ(run(p, {5, 6, 7, 8, 10, 11, 12}, true), (V{0, 8, 10, 11, 12, 2, 9, 9}));
  EXPECT_EQ(run(p, {5}, true), (V{0, 5, 2, 9}));
  EXPECT_EQ(run(p, {}, false), V{});
  HfPostProcess b = parse(R"({"post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 102],
    "cls": ["[CLS]", 101]}, "truncation": {"max_length": 0, "strategy": "LongestFirst",
    "stride": 0}, "padding": {"strategy": {"Fixed": 3}, "direction": "Left", "pad_id": 0,
    "pad_to_multiple_of": null, "pad_type_id": 0, "pad_token": "[PAD]"}})");
  EXPECT_EQ(run(b, {7, 8}, false), (V{0, 0, 0}));  // max_length 0 keeps nothing
  HfPostProcess o = parse(R"({"truncation": {"max_length": 2, "strategy": "OnlySecond",
    "stride": 0}})");
  V ids = {1, 2, 3};
  EXPECT_FALSE(apply_hf_post_process(o, false, &ids).ok());
  ids = {1, 2};
  EXPECT_TRUE(apply_hf_post_process(o, false, &ids).ok());  // nothing to cut: no error, as HF
  EXPECT_FALSE(parse_hf_post_process(nlohmann::json::parse(R"({"post_processor":
    {"type": "Mystery"}})"),
                                     "t.json")
                   .ok());
  EXPECT_TRUE(describe_hf_post_process(HfPostProcess()).empty());
  EXPECT_NE(describe_hf_post_process(b).find("padded to 3"), std::string::npos)
      << describe_hf_post_process(b);
}

using testing_util::CliRun;
CliRun run(const std::string& args) { return testing_util::run_lmforge(args); }

// The ids of the last line of the output that is a JSON array.
std::vector<uint32_t> ids_of(const std::string& out) {
  size_t at = out.rfind("\n[");
  at = at == std::string::npos ? out.find('[') : at + 1;
  size_t end = out.find(']', at);
  if (at == std::string::npos || end == std::string::npos) return {};
  return nlohmann::json::parse(out.substr(at, end - at + 1)).get<std::vector<uint32_t>>();
}

TEST(HfFilesCli, TruncationNoticeAndFlags) {
  std::string text;
  for (int i = 0; i < 30; ++i) text += "word" + std::to_string(i) + " ";
  std::string gpt2 = golden("gpt2/tokenizer.json");
  CliRun r = run(fmt::format("tokenizer encode -t {} --text '{}'", gpt2, text));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("truncation"), std::string::npos) << "no notice: " << r.out;
  EXPECT_NE(r.out.find("--no-truncation"), std::string::npos) << r.out;
  EXPECT_EQ(ids_of(r.out).size(), 50u) << r.out;
  r = run(fmt::format("tokenizer encode -t {} --text '{}' --no-truncation", gpt2, text));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.find("truncation:"), std::string::npos) << r.out;
  EXPECT_GT(ids_of(r.out).size(), 50u) << r.out;
  std::string bert = golden("bert-base-uncased/tokenizer.json");
  r = run(fmt::format("tokenizer encode -t {} --text 'Hello world' --add-special-tokens", bert));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(ids_of(r.out), (std::vector<uint32_t>{101, 7592, 2088, 102})) << r.out;
  r = run(fmt::format("tokenizer encode -t {} --text 'Hello world'", bert));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(ids_of(r.out), (std::vector<uint32_t>{7592, 2088})) << r.out;
  // A renamed encoder.json without merges: exit code 1 and the message says what is missing.
  std::string tmp = testing::temp_dir("hf_files_cli");
  std::filesystem::copy_file(golden("gpt2/vocab.json"), tmp + "/enc.json",
                             std::filesystem::copy_options::overwrite_existing);
  r = run(fmt::format("tokenizer encode -t {}/enc.json --text hi", tmp));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("vocab.bpe"), std::string::npos) << r.out;
  std::filesystem::remove_all(tmp);
}

}  // namespace
}  // namespace lm::tok
