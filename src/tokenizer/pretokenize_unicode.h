// pretokenize_unicode.h: the character classes the split patterns use (\p{L}, \p{N}, \s =
// Unicode White_Space, and o200k's [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] / [\p{Ll}\p{Lm}\p{Lo}\p{M}]),
// from a table for the Basic Multilingual Plane built once from ICU's u_charType, and a lenient
// UTF-8 decoder: an invalid byte is a one-byte character of no class. Internal to the scanners:
// not uni/utf8.h's decoder, because its invalid-byte rule (one byte, no class, where uni/utf8.h
// consumes a maximal subpart) is what the scanners' PCRE2 and tiktoken tests pin down, and the
// decode and the class lookup are one inline step on the encoder's hot path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lm::tok::pretok {

enum : uint8_t {
  kL = 1,       // \p{L}
  kN = 2,       // \p{N}
  kWs = 4,      // \s (White_Space)
  kUpper = 8,   // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
  kLower = 16,  // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
  kNl = 32,     // \r or \n
};

const uint8_t* bmp_table();         // 65536 entries
uint8_t astral_class(uint32_t cp);  // cp >= 0x10000

struct Ch {
  uint32_t cp;  // code point, or 0xFFFFFFFF for an invalid byte
  uint8_t cls;  // flags above
  uint8_t len;  // bytes
};

// Decodes the character at pos (< s.size()); `table` is bmp_table().
[[gnu::always_inline]] inline Ch char_at(std::string_view s, size_t pos, const uint8_t* table) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + pos;
  size_t left = s.size() - pos;
  unsigned char b0 = p[0];
  if (b0 < 0x80) return {b0, table[b0], 1};
  constexpr Ch kBad{0xFFFFFFFFu, 0, 1};
  if (b0 < 0xC2) return kBad;
  if (b0 < 0xE0) {
    if (left < 2 || (p[1] & 0xC0) != 0x80) return kBad;
    uint32_t cp = ((b0 & 0x1Fu) << 6) | (p[1] & 0x3Fu);
    return {cp, table[cp], 2};
  }
  if (b0 < 0xF0) {
    if (left < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return kBad;
    if (b0 == 0xE0 && p[1] < 0xA0) return kBad;   // overlong
    if (b0 == 0xED && p[1] >= 0xA0) return kBad;  // surrogate
    uint32_t cp = ((b0 & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
    return {cp, table[cp], 3};
  }
  if (b0 > 0xF4 || left < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
      (p[3] & 0xC0) != 0x80)
    return kBad;
  if (b0 == 0xF0 && p[1] < 0x90) return kBad;   // overlong
  if (b0 == 0xF4 && p[1] >= 0x90) return kBad;  // > U+10FFFF
  uint32_t cp =
      ((b0 & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
  return {cp, astral_class(cp), 4};
}

// Number of bytes of the valid UTF-8 character at pos, or 0 when the byte there starts none.
inline size_t valid_char_len(std::string_view s, size_t pos) {
  static const uint8_t* table = bmp_table();
  Ch c = char_at(s, pos, table);
  return c.cp == 0xFFFFFFFFu ? 0 : c.len;
}

}  // namespace lm::tok::pretok
