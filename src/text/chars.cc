// chars.cc: character classes (see chars.h); the ASCII table and the ICU paths for the rest.
#include "text/chars.h"

#include <unicode/uchar.h>

#include <cstdint>
#include <cstring>

namespace lm::text {

const uint8_t kAsciiClass[128] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 8, 8, 8, 8, 8, 8,
    8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 8, 8, 8, 8, 8,
    8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 8, 8, 8, 8, 0,
};

bool is_alpha_slow(char32_t cp) { return u_isalpha(static_cast<UChar32>(cp)); }
bool is_digit_slow(char32_t cp) { return u_isdigit(static_cast<UChar32>(cp)); }
bool is_space_slow(char32_t cp) { return u_isUWhiteSpace(static_cast<UChar32>(cp)); }
bool is_punct_slow(char32_t cp) {
  int32_t mask = U_GC_P_MASK | U_GC_S_MASK;
  return (U_GET_GC_MASK(static_cast<UChar32>(cp)) & mask) != 0;
}

bool is_cjk(char32_t cp) {
  return (cp >= 0x2E80 && cp <= 0x2FDF) ||  // radicals
         (cp >= 0x3040 && cp <= 0x30FF) ||  // hiragana, katakana
         (cp >= 0x3100 && cp <= 0x31BF) ||  // bopomofo
         (cp >= 0x3400 && cp <= 0x4DBF) ||  // CJK ext A
         (cp >= 0x4E00 && cp <= 0x9FFF) ||  // CJK unified
         (cp >= 0xAC00 && cp <= 0xD7AF) ||  // Hangul syllables
         (cp >= 0xF900 && cp <= 0xFAFF) ||  // compatibility ideographs
         (cp >= 0x0E00 && cp <= 0x0EFF) ||  // Thai, Lao
         (cp >= 0x1780 && cp <= 0x17FF) ||  // Khmer
         (cp >= 0x20000 && cp <= 0x3134F);  // CJK ext B-G
}

bool is_ascii(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size(), i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w & 0x8080808080808080ULL) return false;
  }
  for (; i < n; ++i)
    if (static_cast<unsigned char>(p[i]) >= 0x80) return false;
  return true;
}

}  // namespace lm::text
