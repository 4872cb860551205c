// chars_test.cc: uni/chars: the character classes, and the script tests checked against ICU's
// Script property over every code point, with the cases where the two old copies of is_cjk
// (text/chars.cc for clean, dedup/minhash.cc) disagreed pinned down one by one.
#include "uni/chars.h"

#include <gtest/gtest.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include <string>

namespace lm::uni {
namespace {

TEST(Chars, Classes) {
  EXPECT_TRUE(is_alpha(U'é'));
  EXPECT_TRUE(is_alpha(U'中'));
  EXPECT_FALSE(is_alpha(U'1'));
  EXPECT_TRUE(is_digit(U'7'));
  EXPECT_TRUE(is_digit(0x0663));  // ARABIC-INDIC DIGIT THREE
  EXPECT_TRUE(is_punct(U'…'));
  EXPECT_TRUE(is_punct(U'#'));
  EXPECT_TRUE(is_punct(U'€'));  // a symbol (Sc)
  EXPECT_FALSE(is_punct(U'a'));
  EXPECT_TRUE(is_space(0x3000));
  EXPECT_TRUE(is_space(0x00A0));
  EXPECT_TRUE(is_space(U'\t'));
  EXPECT_FALSE(is_space(0x200B));             // ZERO WIDTH SPACE is not White_Space
  EXPECT_TRUE(is_unicode_punctuation(U'$'));  // ASCII: BERT counts symbols as punctuation
  EXPECT_TRUE(is_unicode_punctuation(U'。'));
  EXPECT_FALSE(is_unicode_punctuation(U'€'));  // beyond ASCII: P* only
  EXPECT_TRUE(is_nonspacing_mark(0x0301));
  EXPECT_FALSE(is_nonspacing_mark(0x093F));  // DEVANAGARI VOWEL SIGN I is Mc
  EXPECT_TRUE(is_mark(0x093F));
  EXPECT_TRUE(is_other(0x0001));
  EXPECT_TRUE(is_other(0x200B));  // Cf
  EXPECT_TRUE(is_other(0xE000));  // Co
  EXPECT_TRUE(is_other(0x0378));  // Cn
  EXPECT_FALSE(is_other(U'a'));
}

// The ASCII table agrees with ICU on all 128 code points.
TEST(Chars, AsciiTableMatchesIcu) {
  for (char32_t c = 0; c < 0x80; ++c) {
    const auto u = static_cast<uint32_t>(c);
    EXPECT_EQ(is_alpha(c), is_alpha_slow(c)) << u;
    EXPECT_EQ(is_digit(c), is_digit_slow(c)) << u;
    EXPECT_EQ(is_space(c), is_space_slow(c)) << u;
    EXPECT_EQ(is_punct(c), is_punct_slow(c)) << u;
  }
}

bool spaceless_script(UScriptCode s) {
  return s == USCRIPT_HAN || s == USCRIPT_HIRAGANA || s == USCRIPT_KATAKANA ||
         s == USCRIPT_BOPOMOFO || s == USCRIPT_THAI || s == USCRIPT_LAO || s == USCRIPT_KHMER;
}

// Every letter and mark of Han, Hiragana, Katakana, Bopomofo, Thai, Lao and Khmer (ICU's Script
// property) is written without spaces, and no letter or mark of any other script is. Common and
// Inherited characters (punctuation, the prolonged sound mark) go with the block they are in.
TEST(Chars, WrittenWithoutSpacesMatchesIcuScripts) {
  int checked = 0;
  for (UChar32 c = 0; c <= 0x10FFFF; ++c) {
    const uint32_t gc = U_GET_GC_MASK(c);
    if ((gc & (U_GC_L_MASK | U_GC_M_MASK)) == 0) continue;
    UErrorCode err = U_ZERO_ERROR;
    const UScriptCode s = uscript_getScript(c, &err);
    ASSERT_TRUE(U_SUCCESS(err));
    if (s == USCRIPT_COMMON || s == USCRIPT_INHERITED) continue;
    ++checked;
    EXPECT_EQ(is_written_without_spaces(static_cast<char32_t>(c)), spaceless_script(s))
        << std::hex << "U+" << c << " script " << uscript_getShortName(s);
  }
  EXPECT_GT(checked, 100000);
}

// The code points where the old copies disagreed (clean's | dedup's | now):
TEST(Chars, CasesWhereTheOldCopiesDisagreed) {
  // Hangul syllable and compatibility jamo (clean: yes | dedup: syllable no, jamo yes | no):
  // Korean separates words with spaces.
  EXPECT_FALSE(is_written_without_spaces(U'가'));
  EXPECT_FALSE(is_written_without_spaces(U'ㄱ'));   // U+3131
  EXPECT_FALSE(is_written_without_spaces(0x1100));  // conjoining jamo (dedup sees them after NFD)
  // Thai, Lao, Khmer (yes | no | yes): written without spaces between words.
  EXPECT_TRUE(is_written_without_spaces(U'ก'));
  EXPECT_TRUE(is_written_without_spaces(0x0E31));  // THAI CHARACTER MAI HAN-AKAT (Mn)
  EXPECT_TRUE(is_written_without_spaces(U'ກ'));
  EXPECT_TRUE(is_written_without_spaces(U'ក'));
  // Half-width katakana (no | yes | yes) and katakana phonetic extensions (no | yes | yes).
  EXPECT_TRUE(is_written_without_spaces(U'ｱ'));
  EXPECT_TRUE(is_written_without_spaces(U'ｰ'));  // U+FF70, Common, inside the half-width block
  EXPECT_TRUE(is_written_without_spaces(0x31F0));
  // CJK strokes and kanbun (no | yes | no): symbols, not letters of a script.
  EXPECT_FALSE(is_written_without_spaces(0x31C0));
  EXPECT_FALSE(is_written_without_spaces(0x3190));
  // Agreed before and now: Han, kana, Bopomofo, the extension planes; not ASCII, Latin, CJK
  // punctuation.
  for (char32_t c : {U'中', U'の', U'カ', U'ㄅ', char32_t{0x20000}, char32_t{0x2A700}, U'ー'})
    EXPECT_TRUE(is_written_without_spaces(c)) << std::hex << static_cast<uint32_t>(c);
  for (char32_t c : {U'a', U'é', U'。', U'、', U'Ж', char32_t{0x3000}})
    EXPECT_FALSE(is_written_without_spaces(c)) << std::hex << static_cast<uint32_t>(c);
}

// HF tokenizers' BertNormalizer pads exactly these (normalizers/bert.rs is_chinese_char):
// ideographs only, and the gap in extension E that its table leaves.
TEST(Chars, BertChineseCharIsHfsTable) {
  EXPECT_TRUE(is_bert_chinese_char(U'中'));
  EXPECT_TRUE(is_bert_chinese_char(0x3400));
  EXPECT_TRUE(is_bert_chinese_char(0xF900));
  EXPECT_TRUE(is_bert_chinese_char(0x2F800));
  EXPECT_TRUE(is_bert_chinese_char(0x2B81F));
  EXPECT_FALSE(is_bert_chinese_char(0x2B820));  // not in HF's table
  EXPECT_TRUE(is_bert_chinese_char(0x2B920));
  EXPECT_FALSE(is_bert_chinese_char(0x30000));  // extension G: not in HF's table
  EXPECT_FALSE(is_bert_chinese_char(U'の'));    // kana: BERT does not pad them
  EXPECT_FALSE(is_bert_chinese_char(U'가'));
  EXPECT_FALSE(is_bert_chinese_char(U'ก'));
  EXPECT_FALSE(is_bert_chinese_char(0x2E80));  // radicals
}

}  // namespace
}  // namespace lm::uni
