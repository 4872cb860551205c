// chars.h: character classes the cleaning rules need, on Unicode code points: letters (ICU
// u_isalpha), punctuation and symbols (Unicode P* and S*), white space, and the scripts written
// without spaces (Han, kana, Hangul, Thai...), whose characters count as words.
// ASCII is answered inline from a table (the hot path of every rule); everything else asks ICU.
#pragma once

#include <cstdint>
#include <string_view>

namespace lm::text {

// Classes of the 128 ASCII code points (bit flags).
enum AsciiClass : uint8_t { kAsciiAlpha = 1, kAsciiDigit = 2, kAsciiSpace = 4, kAsciiPunct = 8 };
extern const uint8_t kAsciiClass[128];

bool is_alpha_slow(char32_t cp);
bool is_digit_slow(char32_t cp);
bool is_space_slow(char32_t cp);
bool is_punct_slow(char32_t cp);

inline bool is_alpha(char32_t cp) {
  return cp < 0x80 ? (kAsciiClass[cp] & kAsciiAlpha) != 0 : is_alpha_slow(cp);
}
inline bool is_digit(char32_t cp) {
  return cp < 0x80 ? (kAsciiClass[cp] & kAsciiDigit) != 0 : is_digit_slow(cp);
}
inline bool is_space(char32_t cp) {
  return cp < 0x80 ? (kAsciiClass[cp] & kAsciiSpace) != 0 : is_space_slow(cp);
}
// Punctuation or symbol (ASCII !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~ and Unicode P*, S*).
inline bool is_punct(char32_t cp) {
  return cp < 0x80 ? (kAsciiClass[cp] & kAsciiPunct) != 0 : is_punct_slow(cp);
}
// A character of a script written without spaces between words.
bool is_cjk(char32_t cp);
// True when every byte of `s` is below 0x80.
bool is_ascii(std::string_view s);

}  // namespace lm::text
