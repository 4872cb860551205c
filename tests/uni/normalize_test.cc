// normalize_test.cc: uni/normalize: the four normal forms, the case mappings (each named variant
// on the strings where they differ), mark stripping and one code point's decomposition.
#include "uni/normalize.h"

#include <gtest/gtest.h>

#include <string>

namespace lm::uni {
namespace {

TEST(Normalize, NormalForms) {
  const std::string composed = "caf\u00e9", decomposed = "cafe\u0301";
  EXPECT_EQ(normalize(NormalForm::kNfc, decomposed), composed);
  EXPECT_EQ(normalize(NormalForm::kNfd, composed), decomposed);
  EXPECT_EQ(normalize(NormalForm::kNfc, "\ufb01"), "\ufb01");  // canonical forms keep ligatures
  EXPECT_EQ(normalize(NormalForm::kNfkc, "\ufb01 \uff21"), "fi A");
  EXPECT_EQ(normalize(NormalForm::kNfkd, "\u00bd\u00e9"), "1\u20442e\u0301");
  EXPECT_EQ(normalize(NormalForm::kNfd, "\ud55c"), "\u1112\u1161\u11ab");  // Hangul
  EXPECT_EQ(normalize(NormalForm::kNfc, "plain ascii"), "plain ascii");
  EXPECT_EQ(normalize(NormalForm::kNfc, "bad \xff byte"), "bad \ufffd byte");
  EXPECT_TRUE(is_normalized(NormalForm::kNfc, composed));
  EXPECT_FALSE(is_normalized(NormalForm::kNfc, decomposed));
  EXPECT_TRUE(is_normalized(NormalForm::kNfd, decomposed));
  EXPECT_FALSE(is_normalized(NormalForm::kNfkc, "\uff21"));
}

TEST(Normalize, CaseMappingsNamedByWhatTheyDo) {
  // Full lowercase with context: a final capital sigma becomes final sigma.
  EXPECT_EQ(lowercase("\u039f\u0394\u039f\u03a3"), "\u03bf\u03b4\u03bf\u03c2");
  // Each code point alone (Rust's char::to_lowercase, HF's Lowercase): no final sigma.
  EXPECT_EQ(lowercase_each_code_point("\u039f\u0394\u039f\u03a3"), "\u03bf\u03b4\u03bf\u03c3");
  // Both are full mappings: capital I with dot above becomes two code points.
  EXPECT_EQ(lowercase_each_code_point("\u0130"), "i\u0307");
  EXPECT_EQ(lowercase("\u0130"), "i\u0307");
  std::string one;
  append_lowercase_code_point(U'\u00c9', &one);
  append_lowercase_code_point(U'Q', &one);
  EXPECT_EQ(one, "\u00e9q");
  // One code point to one: the simple mapping keeps I with dot above a single code point.
  EXPECT_EQ(simple_lowercase(0x0130), char32_t{'i'});
  EXPECT_EQ(simple_lowercase(U'Ж'), U'ж');
  EXPECT_EQ(simple_lowercase(U'7'), U'7');
  EXPECT_EQ(uppercase("stra\u00dfe"), "STRASSE");
  EXPECT_EQ(uppercase("MiXeD"), "MIXED");
  // Case folding: caseless matching, ß folds to ss (lowercase leaves it).
  EXPECT_EQ(case_fold("Stra\u00dfe"), "strasse");
  EXPECT_EQ(lowercase("Stra\u00dfe"), "stra\u00dfe");
  EXPECT_EQ(case_fold("\u039f\u03a3"), case_fold("\u03bf\u03c2"));
  EXPECT_EQ(lowercase("ASCII Only"), "ascii only");
}

TEST(Normalize, MarkStripping) {
  const std::string ki = "\u0915\u093f";  // Devanagari ka + vowel sign i (Mc)
  EXPECT_EQ(strip_nonspacing_marks(ki), ki);
  EXPECT_EQ(strip_marks(ki), "\u0915");
  EXPECT_EQ(strip_nonspacing_marks("e\u0301"), "e");
  EXPECT_EQ(strip_nonspacing_marks("\u00e9"), "\u00e9");  // precomposed: NFD first
  EXPECT_EQ(strip_accents("Caf\u00e9 na\u00efve \u00c5"), "Cafe naive A");
  // Recomposed after stripping: a Hangul syllable has no marks and comes back whole.
  EXPECT_EQ(strip_accents("\ud55c"), "\ud55c");
  EXPECT_EQ(strip_marks("bad \xff"), "bad \ufffd");
}

TEST(Normalize, CanonicalDecompositionOfOneCodePoint) {
  char32_t out[18];
  ASSERT_EQ(canonical_decomposition(U'\u00e9', out, 18), 2u);
  EXPECT_EQ(out[0], U'e');
  EXPECT_EQ(out[1], char32_t{0x0301});
  EXPECT_EQ(canonical_decomposition(U'a', out, 18), 0u);
  EXPECT_EQ(canonical_decomposition(U'中', out, 18), 0u);
  EXPECT_EQ(canonical_decomposition(0x1E69, out, 18), 3u);  // s, dot below, dot above
  EXPECT_EQ(canonical_decomposition(0x1E69, out, 2), 0u);   // does not fit
  ASSERT_EQ(canonical_decomposition(U'\ud55c', out, 18), 3u);
  EXPECT_EQ(out[2], char32_t{0x11AB});
}

}  // namespace
}  // namespace lm::uni
