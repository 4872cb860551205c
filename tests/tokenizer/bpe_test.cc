// bpe_test.cc: byte-level BPE without peers: the GPT-2 byte mapping, base64, a hand-made
// vocabulary ("aaabdaaabac" -> [258, 100, 258, 97, 99]) in merge and rank mode, the split
// scanners against PCRE2 running the same patterns, round trips on random bytes, the special
// token policy, decode errors, corrupt or truncated vocabulary files, and a tokenizer.json
// normalizer.
#include "tokenizer/bpe.h"

#include <gtest/gtest.h>
#include <omp.h>

#include "core/file_util.h"
#include "oracles/vocab_fixture.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/formats.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/tokenizer.h"

namespace lm::tok {
namespace {

BpeSpec small_spec(bool with_merges, const std::string& pattern = kGpt2Pattern) {
  BpeSpec s;
  for (int b = 0; b < 256; ++b) s.tokens.push_back(std::string(1, static_cast<char>(b)));
  s.tokens.push_back("aa");
  s.tokens.push_back("aaa");
  s.tokens.push_back("aaab");
  if (with_merges) s.merges = {{"a", "a"}, {"aa", "a"}, {"aaa", "b"}};
  s.pattern = pattern;
  s.special_tokens = {{"<|endoftext|>", 259}};
  return s;
}

TEST(BpeByteLevel, RoundTripsAllBytes) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  std::string u = bytes_to_gpt2(all);
  EXPECT_EQ(gpt2_to_bytes(u), all);
  EXPECT_EQ(bytes_to_gpt2(" the"), "\xC4\xA0the");          // "Ġthe"
  EXPECT_EQ(bytes_to_gpt2("\n"), "\xC4\x8A");               // "Ċ"
  EXPECT_FALSE(gpt2_to_bytes("\xE4\xB8\x80").has_value());  // not in the mapping
}

TEST(BpeBase64, RoundTripAndErrors) {
  for (std::string s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x80", 3)}) {
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  }
  EXPECT_EQ(base64_encode("!"), "IQ==");
  EXPECT_FALSE(base64_decode("IQ=").has_value());
  EXPECT_FALSE(base64_decode("I*==").has_value());
  EXPECT_FALSE(base64_decode("=IQQ").has_value());
}

TEST(BpeModel, HandMadeMergesAndRanksAgree) {
  for (bool merges : {true, false}) {
    auto t = Tokenizer::from_bpe(small_spec(merges));
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    EXPECT_EQ(t->encode_ordinary("aaabdaaabac"), (std::vector<uint32_t>{258, 100, 258, 97, 99}));
    EXPECT_EQ(t->encode_ordinary("aaaa"), (std::vector<uint32_t>{256, 256}));
    EXPECT_EQ(t->encode_ordinary(" aaab"), (std::vector<uint32_t>{32, 258}));
    EXPECT_EQ(t->vocab_size(), 260u);
    EXPECT_EQ(t->eot_id(), std::optional<uint32_t>(259));
    EXPECT_EQ(t->token_id("aaa"), std::optional<uint32_t>(257));
    EXPECT_EQ(t->info()["ranks"], merges ? "merges" : "tiktoken");
  }
}

TEST(BpeModel, LongPiecesUseTheHeapAndMatchShortOnes) {
  auto t = Tokenizer::from_bpe(small_spec(true));
  ASSERT_TRUE(t.ok());
  std::string word;
  std::vector<uint32_t> want;
  for (int i = 0; i < 100; ++i) {  // a 500-byte word: one piece, merged by the heap path
    word += "aaabc";
    auto part = t->encode_ordinary("aaabc");
    want.insert(want.end(), part.begin(), part.end());
  }
  EXPECT_EQ(t->encode_ordinary(word), want);
  std::string as(301, 'a');  // 150 x "aa" + "a"
  auto ids = t->encode_ordinary(as);
  // tiktoken: lowest rank leftmost first: 150 x "aa" + "a", then the last "aa" + "a" -> "aaa".
  ASSERT_EQ(ids.size(), 150u);
  EXPECT_EQ(ids.back(), 257u);
  EXPECT_EQ(*t->decode(ids), as);
}

TEST(BpeModel, SpecialTokenPolicy) {
  auto t = Tokenizer::from_bpe(small_spec(true));
  ASSERT_TRUE(t.ok());
  std::string text = "aa<|endoftext|>b";
  auto strict = t->encode(text);
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.status().message().find("<|endoftext|>"), std::string::npos);
  auto allowed = t->encode(text, SpecialPolicy::kAllow);
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ(*allowed, (std::vector<uint32_t>{256, 259, 98}));
  auto as_text = t->encode(text, SpecialPolicy::kAsText);
  ASSERT_TRUE(as_text.ok());
  EXPECT_EQ(*as_text, t->encode_ordinary(text));
  EXPECT_EQ(std::count(as_text->begin(), as_text->end(), 259u), 0);
  EXPECT_EQ(*t->decode(*allowed), text);
  EXPECT_EQ(*t->decode(*as_text), text);
}

TEST(BpeModel, DecodeRejectsUnknownIds) {
  auto t = Tokenizer::from_bpe(small_spec(true));
  ASSERT_TRUE(t.ok());
  std::vector<uint32_t> ids = {97, 260};
  auto r = t->decode(ids);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("260"), std::string::npos);
  EXPECT_EQ(t->decode_lossy(ids), "a\xEF\xBF\xBD");
}

TEST(BpeModel, RandomBytesRoundTripAndThreadsAgree) {
  std::string dir = testing::vocab_dir();
  std::vector<Tokenizer> toks;
  for (const char* pat : {kGpt2Pattern, kCl100kPattern, kO200kPattern, "\\w+|\\W"}) {
    auto t = Tokenizer::from_bpe(small_spec(true, pat));
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    toks.push_back(std::move(t).value());
  }
  if (!dir.empty()) {
    for (const char* f : {"r50k_base.tiktoken", "cl100k_base.tiktoken", "o200k_base.tiktoken"}) {
      auto t = Tokenizer::load(dir + "/" + f);
      ASSERT_TRUE(t.ok()) << t.status().to_string();
      toks.push_back(std::move(t).value());
    }
  }
  Rng rng(7);
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) texts.push_back(testing::random_bytes(rng, 1 + rng.below(200)));
  for (int i = 0; i < 300; ++i) texts.push_back(testing::random_unicode(rng, 1 + rng.below(80)));
  for (const auto& t : toks) {
    std::vector<std::vector<uint32_t>> serial(texts.size()), parallel(texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      serial[i] = t.encode_ordinary(texts[i]);
      auto back = t.decode(serial[i]);
      ASSERT_TRUE(back.ok());
      ASSERT_EQ(*back, texts[i]) << "round trip failed for text " << i;
    }
#pragma omp parallel for num_threads(4) schedule(dynamic)
    for (size_t i = 0; i < texts.size(); ++i) parallel[i] = t.encode_ordinary(texts[i]);
    EXPECT_EQ(serial, parallel);
  }
}

// `\s` of the split patterns is Unicode White_Space; PCRE2's UCP \s lacks U+0085 only.
std::string pcre2_equivalent(std::string_view p) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\' && i + 1 < p.size()) {
      char c = p[i + 1];
      if (c == 's')
        out += in_class ? "\\s\\x{85}" : "[\\s\\x{85}]";
      else if (c == 'S')
        out += "[^\\s\\x{85}]";
      else
        out += p.substr(i, 2);
      ++i;
      continue;
    }
    if (p[i] == '[' && !in_class)
      in_class = true;
    else if (p[i] == ']' && in_class)
      in_class = false;
    out.push_back(p[i]);
  }
  return out;
}

TEST(BpePretokenize, ScannersMatchPcre2) {
  const char* kCl100kNpm =
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  struct Case {
    const char* pattern;
    SplitKind kind;
  };
  for (Case c : {Case{kGpt2Pattern, SplitKind::kGpt2}, Case{kCl100kNpm, SplitKind::kCl100k},
                 Case{kO200kPattern, SplitKind::kO200k}}) {
    auto scanner = PreTokenizer::create(c.pattern);
    auto regex = PreTokenizer::create(pcre2_equivalent(c.pattern));
    ASSERT_TRUE(scanner.ok() && regex.ok()) << regex.status().to_string();
    ASSERT_EQ(scanner->kind(), c.kind);
    ASSERT_EQ(regex->kind(), SplitKind::kRegex);
    Rng rng(11);
    int bad = 0;
    for (int i = 0; i < 3000 && bad < 5; ++i) {
      std::string s = testing::random_unicode(rng, 1 + rng.below(40));
      std::vector<std::string> a, b;
      scanner->split(s, [&](std::string_view p) { a.emplace_back(p); });
      regex->split(s, [&](std::string_view p) { b.emplace_back(p); });
      if (a != b) {
        ++bad;
        ADD_FAILURE() << c.pattern << "\n text " << nlohmann::json(s).dump() << "\n scanner "
                      << nlohmann::json(a).dump() << "\n pcre2   " << nlohmann::json(b).dump();
      }
    }
  }
}

TEST(BpePretokenize, KnownPieces) {
  auto split = [](SplitKind k, std::string_view s) {
    std::vector<std::string> v;
    size_t pos = 0;
    while (pos < s.size()) {
      size_t e = k == SplitKind::kGpt2     ? gpt2_next(s, pos)
                 : k == SplitKind::kCl100k ? cl100k_next(s, pos)
                                           : o200k_next(s, pos);
      v.emplace_back(s.substr(pos, e - pos));
      pos = e;
    }
    return v;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(split(SplitKind::kGpt2, "Hello world's  12345!!\n\n"),
            (V{"Hello", " world", "'s", " ", " 12345", "!!", "\n\n"}));
  EXPECT_EQ(split(SplitKind::kCl100k, "Hello DON'T  12345!!\n\n x"),
            (V{"Hello", " DON", "'T", " ", " ", "123", "45", "!!\n\n", " x"}));
  EXPECT_EQ(split(SplitKind::kO200k, "HelloWorld DON'T a/b//\n"),
            (V{"Hello", "World", " DON'T", " a", "/b", "//\n"}));
  // Invalid UTF-8 bytes are characters of their own class (punctuation-like) and survive.
  EXPECT_EQ(split(SplitKind::kGpt2, "a\xff\xfe b"), (V{"a", "\xff\xfe", " b"}));
}

// ---- bad input ----

std::string write_temp(const std::string& dir, const std::string& name, const std::string& text) {
  std::string p = dir + "/" + name;
  EXPECT_TRUE(write_file_atomic(p, text).ok());
  return p;
}

void expect_error(const Result<Tokenizer>& r, const std::string& must_contain) {
  ASSERT_FALSE(r.ok()) << "expected an error containing " << must_contain;
  EXPECT_NE(r.status().to_string().find(must_contain), std::string::npos) << r.status().to_string();
}

std::string byte_ranks() {
  std::string s;
  for (int b = 0; b < 256; ++b)
    s += base64_encode(std::string(1, char(b))) + " " + std::to_string(b) + "\n";
  return s;
}

TEST(BpeBadInput, CorruptTiktokenFiles) {
  std::string dir = testing::temp_dir("bpe_bad");
  expect_error(Tokenizer::load(write_temp(dir, "a.tiktoken", byte_ranks() + "YWE= x\n")),
               "a.tiktoken:257");
  expect_error(Tokenizer::load(write_temp(dir, "b.tiktoken", byte_ranks() + "Y*E= 256\n")),
               "b.tiktoken:257: the token is not valid base64");
  expect_error(Tokenizer::load(write_temp(dir, "c.tiktoken", byte_ranks() + "YWE= 5\n")),
               "c.tiktoken:257: this rank appears twice");
  expect_error(Tokenizer::load(write_temp(dir, "d.tiktoken", "YQ== 0\n")), "0x00");
  expect_error(Tokenizer::load(write_temp(dir, "e.tiktoken", "")), "no tokens");
  expect_error(Tokenizer::load(write_temp(dir, "f.tiktoken", byte_ranks() + "YWE=\n")),
               "f.tiktoken:257");
  auto ok = Tokenizer::load(write_temp(dir, "g.tiktoken", byte_ranks() + "YWE= 256\n"));
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->encode_ordinary("aa"), std::vector<uint32_t>{256});
  std::filesystem::remove_all(dir);
}

TEST(BpeBadInput, CorruptJsonFiles) {
  std::string dir = testing::temp_dir("bpe_badjson");
  auto t = Tokenizer::from_bpe(small_spec(true));
  ASSERT_TRUE(t.ok());
  std::string good = dir + "/good.json";
  ASSERT_TRUE(t->save(good).ok());
  std::string text = *read_file(good);
  expect_error(Tokenizer::load(write_temp(dir, "trunc.json", text.substr(0, text.size() / 2))),
               "trunc.json: not valid JSON");
  expect_error(Tokenizer::load(write_temp(dir, "nomodel.json", "{\"a\": [1]}")), "no \"model\"");
  expect_error(
      Tokenizer::load(write_temp(dir, "unigram.json", "{\"model\": {\"type\": \"Unigram\"}}")),
      "Unigram");
  std::string bad_merge = text;
  bad_merge.replace(bad_merge.find("\"aa a\""), 6, "\"aa q9\"");
  expect_error(Tokenizer::load(write_temp(dir, "badmerge.json", bad_merge)), "merge 2");
  std::string bad_type = text;
  bad_type.replace(bad_type.find("\"vocab\""), 7, "\"vocab\": 3, \"x\"");
  expect_error(Tokenizer::load(write_temp(dir, "badtype.json", bad_type)), "badtype.json");
  // encoder.json without vocab.bpe, and a vocab.bpe line with three parts.
  std::filesystem::create_directories(dir + "/g");
  write_temp(dir, "g/encoder.json", "{\"a\": 0}");
  expect_error(Tokenizer::load(dir + "/g/encoder.json"), "vocab.bpe");
  write_temp(dir, "g/vocab.bpe", "#version: 0.2\na b c\n");
  expect_error(Tokenizer::load(dir + "/g/encoder.json"), "vocab.bpe:2");
  expect_error(Tokenizer::load(dir + "/missing.json"), "no such tokenizer file");
  auto reloaded = Tokenizer::load(good);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().to_string();
  EXPECT_EQ(reloaded->encode_ordinary("aaabdaaabac"),
            (std::vector<uint32_t>{258, 100, 258, 97, 99}));
  std::filesystem::remove_all(dir);
}

// A truncated encoder.json (with its vocab.bpe), and vocab.txt files that are empty, lack
// [UNK], repeat a token or are cut inside a UTF-8 character: each error names the file.
TEST(BpeBadInput, TruncatedEncoderJsonAndVocabTxt) {
  std::string dir = testing::temp_dir("bpe_badvocab");
  std::filesystem::create_directories(dir + "/g");
  write_temp(dir, "g/encoder.json", "{\"a\": 0, \"b\": ");
  write_temp(dir, "g/vocab.bpe", "#version: 0.2\na b\n");
  expect_error(Tokenizer::load(dir + "/g/encoder.json"), "g/encoder.json: not a JSON object");
  expect_error(Tokenizer::load(write_temp(dir, "empty-vocab.txt", "")),
               "empty-vocab.txt: empty vocabulary");
  expect_error(Tokenizer::load(write_temp(dir, "nounk-vocab.txt", "[PAD]\nhello\n")),
               "nounk-vocab.txt: the unknown token '[UNK]' is not in the vocabulary");
  expect_error(Tokenizer::load(write_temp(dir, "dup-vocab.txt", "[UNK]\na\nb\na\n")),
               "dup-vocab.txt:4: the token 'a' appears twice");
  expect_error(Tokenizer::load(write_temp(dir, "cut-vocab.txt", "[UNK]\nhello\n\xC3")),
               "cut-vocab.txt:3: not valid UTF-8");
  std::filesystem::remove_all(dir);
}

// A tokenizer.json normalizer is applied before pre-tokenization (special tokens match the raw
// text), written back by save, refused by .tiktoken, and an unknown type names the file.
TEST(BpeNormalizer, TokenizerJsonNormalizerAppliedAndSaved) {
  std::string dir = testing::temp_dir("bpe_norm_unit");
  auto t = Tokenizer::from_bpe(small_spec(true));
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->save(dir + "/plain.json").ok());
  auto j = nlohmann::json::parse(*read_file(dir + "/plain.json"));
  EXPECT_TRUE(j["normalizer"].is_null());
  j["normalizer"] = {{"type", "Sequence"},
                     {"normalizers", {{{"type", "NFKC"}}, {{"type", "Lowercase"}}}}};
  auto n = Tokenizer::load(write_temp(dir, "norm.json", j.dump()));
  ASSERT_TRUE(n.ok()) << n.status().to_string();
  EXPECT_EQ(n->normalizer().steps(),
            (std::vector<NormStep>{NormStep::kNfkc, NormStep::kLowercase}));
  EXPECT_EQ(n->encode_ordinary("\uFF21\uFF21\uFF21\uFF22"),
            std::vector<uint32_t>{258});  // ＡＡＡＢ
  EXPECT_EQ(n->encode_ordinary("AAAB"), std::vector<uint32_t>{258});
  EXPECT_EQ(t->encode_ordinary("AAAB"), (std::vector<uint32_t>{65, 65, 65, 66}));
  auto special = n->encode("AAAB<|endoftext|>AA", SpecialPolicy::kAllow);
  ASSERT_TRUE(special.ok());
  EXPECT_EQ(*special, (std::vector<uint32_t>{258, 259, 256}));
  EXPECT_EQ(n->info()["normalizer"]["type"], "Sequence");
  ASSERT_TRUE(n->save(dir + "/saved.json").ok());
  auto saved = nlohmann::json::parse(*read_file(dir + "/saved.json"));
  EXPECT_EQ(saved["normalizer"], j["normalizer"]);
  auto again = Tokenizer::load(dir + "/saved.json");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->normalizer().steps(), n->normalizer().steps());
  Status tk = n->save(dir + "/x.tiktoken");
  EXPECT_FALSE(tk.ok());
  EXPECT_NE(tk.to_string().find("normalizer"), std::string::npos) << tk.to_string();
  j["normalizer"] = {{"type", "Precompiled"}};
  expect_error(Tokenizer::load(write_temp(dir, "precompiled.json", j.dump())),
               "precompiled.json: normalizer type 'Precompiled' is not supported");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lm::tok
