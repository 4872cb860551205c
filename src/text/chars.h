// chars.h: character classes the cleaning rules need, on Unicode code points: letters (ICU
// u_isalpha), punctuation and symbols (Unicode P* and S*), white space, and the scripts written
// without spaces (Han, kana, Hangul, Thai...), whose characters count as words.
// ASCII is answered from a table; everything else asks ICU.
#pragma once

#include <string_view>

namespace lm::text {

bool is_alpha(char32_t cp);
bool is_digit(char32_t cp);
bool is_space(char32_t cp);
// Punctuation or symbol (ASCII !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~ and Unicode P*, S*).
bool is_punct(char32_t cp);
// A character of a script written without spaces between words.
bool is_cjk(char32_t cp);
// True when every byte of `s` is below 0x80.
bool is_ascii(std::string_view s);

}  // namespace lm::text
