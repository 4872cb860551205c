// chars.h: character classes on Unicode code points, the one set tokenizer, clean and dedup use:
// letters (ICU u_isalpha), decimal digits, white space, punctuation and symbols (Unicode P* and
// S*), marks, and two script tests named by what they answer:
//   is_written_without_spaces  the scripts whose words are not separated by spaces (Han, kana,
//                              Bopomofo, Thai, Lao, Khmer): clean's word split and dedup make
//                              one word of each such character (or segment a run of them).
//                              Hangul is not one of them: Korean puts spaces between words.
//   is_bert_chinese_char       exactly the blocks HF tokenizers' BertNormalizer pads with
//                              spaces (its is_chinese_char, from Google's BERT): CJK ideographs
//                              only, no kana, no Hangul. The BERT tokenizer oracle tests need
//                              exactly this set; nothing else should use it.
// ASCII is answered inline from a table (the hot path of every rule); everything else asks ICU
// or compares ranges. Not here: UTF-8 (uni/utf8.h), normalisation (uni/normalize.h).
#pragma once

#include <cstdint>

namespace lm::uni {

// Classes of the 128 ASCII code points (bit flags).
enum AsciiClass : uint8_t { kAsciiAlpha = 1, kAsciiDigit = 2, kAsciiSpace = 4, kAsciiPunct = 8 };
extern const uint8_t kAsciiClass[128];

bool is_alpha_slow(char32_t cp);
bool is_digit_slow(char32_t cp);
bool is_space_slow(char32_t cp);
bool is_punct_slow(char32_t cp);
bool is_unicode_punctuation_slow(char32_t cp);

inline bool is_alpha(char32_t cp) {
  return cp < 0x80 ? (kAsciiClass[cp] & kAsciiAlpha) != 0 : is_alpha_slow(cp);
}
// A decimal digit (General_Category Nd).
inline bool is_digit(char32_t cp) {
  return cp < 0x80 ? (kAsciiClass[cp] & kAsciiDigit) != 0 : is_digit_slow(cp);
}
// White_Space (Rust's char::is_whitespace; U+3000 and NBSP included).
inline bool is_space(char32_t cp) {
  return cp < 0x80 ? (kAsciiClass[cp] & kAsciiSpace) != 0 : is_space_slow(cp);
}
// Punctuation or symbol (ASCII !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~ and Unicode P*, S*).
inline bool is_punct(char32_t cp) {
  return cp < 0x80 ? (kAsciiClass[cp] & kAsciiPunct) != 0 : is_punct_slow(cp);
}
// Unicode punctuation only (General_Category P*; ASCII: the same 32 characters as is_punct,
// symbols included, as BERT counts them).
inline bool is_unicode_punctuation(char32_t cp) {
  return cp < 0x80 ? (kAsciiClass[cp] & kAsciiPunct) != 0 : is_unicode_punctuation_slow(cp);
}
// A nonspacing mark (General_Category Mn: accents after NFD, kana voicing marks, Thai vowels).
bool is_nonspacing_mark(char32_t cp);
// Any mark (General_Category M: Mn, Mc, Me).
bool is_mark(char32_t cp);
// A control, format, unassigned, private-use or surrogate code point (General_Category C*).
bool is_other(char32_t cp);

// See the top of this file. Block ranges, so that the Common-script characters inside them (the
// prolonged sound mark ー, the half-width kana marks, the kana middle dot) go with their script;
// tests/uni/chars_test.cc checks them against ICU's Script property. Inline: dedup's MinHash
// word loop asks for every non-ASCII code point.
inline bool is_written_without_spaces(char32_t cp) {
  if (cp < 0x0E00) return false;
  if (cp < 0x3000) {
    return cp <= 0x0EFF ||                    // Thai, Lao
           (cp >= 0x1780 && cp <= 0x17FF) ||  // Khmer
           (cp >= 0x19E0 && cp <= 0x19FF) ||  // Khmer symbols
           (cp >= 0x2E80 && cp <= 0x2FDF);    // CJK and Kangxi radicals
  }
  if (cp < 0x10000) {
    return cp == 0x3005 || cp == 0x3007 ||    // ideographic iteration mark, number zero
           (cp >= 0x3021 && cp <= 0x3029) ||  // Hangzhou numerals
           (cp >= 0x3038 && cp <= 0x303B) ||  // more Hangzhou numerals, vertical iteration mark
           (cp >= 0x3041 && cp <= 0x30FF) ||  // hiragana, katakana
           (cp >= 0x3105 && cp <= 0x312F) ||  // bopomofo
           (cp >= 0x31A0 && cp <= 0x31BF) ||  // bopomofo extended
           (cp >= 0x31F0 && cp <= 0x31FF) ||  // katakana phonetic extensions
           (cp >= 0x3400 && cp <= 0x4DBF) ||  // CJK extension A
           (cp >= 0x4E00 && cp <= 0x9FFF) ||  // CJK unified ideographs
           (cp >= 0xF900 && cp <= 0xFAFF) ||  // CJK compatibility ideographs
           (cp >= 0xFF66 && cp <= 0xFF9F);    // half-width katakana
  }
  return cp == 0x16FE3 ||                     // old Chinese iteration mark
         (cp >= 0x16FF0 && cp <= 0x16FF1) ||  // Vietnamese alternate reading marks (Han)
         (cp >= 0x1AFF0 && cp <= 0x1B16F) ||  // kana extended, supplement, small kana
         (cp >= 0x20000 && cp <= 0x3FFFF);    // CJK extensions B-I, compatibility supplement
}
bool is_bert_chinese_char(char32_t cp);

}  // namespace lm::uni
