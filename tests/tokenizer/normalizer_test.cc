// normalizer_test.cc: the NFC/NFD/NFKC/NFKD, Lowercase and StripAccents steps, their
// composition, parsing and HF JSON form, invalid UTF-8, and node's String.normalize (ICU) as
// the oracle for the four normal forms on random Unicode text.
#include "tokenizer/normalizer.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/rng.h"
#include "test_util.h"
#include "uni/utf8.h"
#include "wp_oracles/wp_test_util.h"

namespace lm::tok {
namespace {

std::string norm(const char* spec, std::string_view text) {
  auto n = NormalizerSequence::parse(spec);
  EXPECT_TRUE(n.ok()) << spec;
  return n->normalize(text);
}

TEST(Normalizer, NormalForms) {
  EXPECT_EQ(norm("nfc", "e\u0301"), "\u00e9");
  EXPECT_EQ(norm("nfd", "\u00e9"), "e\u0301");
  EXPECT_EQ(norm("nfkc", "\uFB01 \u2460 \uFF21"), "fi 1 A");
  EXPECT_EQ(norm("nfkd", "\u00e9\u2460"), "e\u03011");
  EXPECT_EQ(norm("nfc", "plain ascii"), "plain ascii");
}

TEST(Normalizer, LowercaseAndStripAccents) {
  EXPECT_EQ(norm("lowercase", "ÀB Σ İ"), "àb σ i\u0307");
  EXPECT_EQ(norm("strip_accents", "é Ñandú Crème brûlée"), "e Nandu Creme brulee");
  EXPECT_EQ(norm("nfd,strip_marks", "\u00e9"), "e");
  EXPECT_EQ(norm("strip_marks", "\u00e9"), "\u00e9");  // HF StripAccents alone: no NFD
  EXPECT_EQ(norm("nfkc,lowercase,strip-accents", "ÉCOLE \uFB01"), "ecole fi");
}

TEST(Normalizer, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(norm("nfc", "a\xFF\xC3"), "a\uFFFD\uFFFD");
  EXPECT_EQ(norm("lowercase", "A\xFF"), "a\uFFFD");
}

TEST(Normalizer, ParseErrorsAndJson) {
  EXPECT_FALSE(NormalizerSequence::parse("nfc,bogus").ok());
  EXPECT_TRUE(NormalizerSequence::parse("").value().empty());
  auto n = NormalizerSequence::parse("nfkc,lowercase").value();
  nlohmann::json j = n.to_json();
  EXPECT_EQ(j["type"], "Sequence");
  EXPECT_EQ(j["normalizers"][0]["type"], "NFKC");
  auto back = NormalizerSequence::from_json(j);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->steps(), n.steps());
  EXPECT_TRUE(NormalizerSequence::from_json(nullptr).value().empty());
  EXPECT_EQ(NormalizerSequence::from_json({{"type", "Precompiled"}}).status().code(),
            Code::kUnimplemented);
  EXPECT_FALSE(NormalizerSequence::from_json({{"type", "Sequence"}}).ok());
}

std::string random_text(Rng& rng, size_t chars) {
  static const std::pair<uint32_t, uint32_t> kRanges[] = {
      {0x41, 0x7A},     {0xC0, 0x24F},      {0x300, 0x36F},   {0x370, 0x3FF},   {0x400, 0x4FF},
      {0x1E00, 0x1FFF}, {0x2460, 0x24FF},   {0x3040, 0x30FF}, {0xAC00, 0xAD00}, {0xFB00, 0xFB4F},
      {0xFF00, 0xFFEF}, {0x1D400, 0x1D7FF}, {0x0F40, 0x0FBF}};
  std::string s;
  for (size_t i = 0; i < chars; ++i) {
    auto [lo, hi] = kRanges[rng.next_u32() % std::size(kRanges)];
    uni::utf8_append(&s, lo + rng.next_u32() % (hi - lo + 1));
  }
  return s;
}

TEST(NormalizerOracle, NormalFormsMatchNodeIcu) {
  if (std::system("node --version >/dev/null 2>&1") != 0) LM_SKIP_OR_FAIL_IN_CI("no node");
  Rng rng(7);
  std::vector<std::string> texts;
  for (int i = 0; i < 2000; ++i) texts.push_back(random_text(rng, 1 + rng.next_u32() % 40));
  std::string dir = wptest::temp_dir("norm_oracle");
  wptest::write_texts(dir + "/texts.jsonl", texts);
  std::string cmd = fmt::format(
      "node -e 'const fs=require(\"fs\");const out=[];for(const l of fs.readFileSync(\"{0}/"
      "texts.jsonl\",\"utf8\").split(\"\\n\")){{if(!l)continue;const t=JSON.parse(l).text;"
      "out.push(JSON.stringify([\"NFC\",\"NFD\",\"NFKC\",\"NFKD\"].map(f=>t.normalize(f))))}}"
      "fs.writeFileSync(\"{0}/out.jsonl\",out.join(\"\\n\")+\"\\n\")'",
      dir);
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(dir + "/out.jsonl");
  std::string line;
  size_t i = 0, mismatches = 0;
  const NormStep kSteps[] = {NormStep::kNfc, NormStep::kNfd, NormStep::kNfkc, NormStep::kNfkd};
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    for (int k = 0; k < 4; ++k) {
      if (apply_norm_step(kSteps[k], texts[i]) != j[k].get<std::string>() && mismatches++ < 3) {
        ADD_FAILURE() << norm_step_name(kSteps[k]) << " text " << i;
      }
    }
    ++i;
  }
  EXPECT_EQ(i, texts.size());
  EXPECT_EQ(mismatches, 0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lm::tok
