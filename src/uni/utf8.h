// utf8.h: the one UTF-8 codec of lmforge (tokenizer, clean, dedup, io and eval use it): validate
// a byte string, repair invalid sequences with U+FFFD (one per maximal invalid subpart, as ICU
// and Python do), decode and encode single code points, count code points, test for ASCII.
// Validation and the ASCII test go 8 bytes at a time; decoding an ASCII byte is inline.
// Not here: normalisation, case mapping (uni/normalize.h), character classes (uni/chars.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lm::uni {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool utf8_valid(std::string_view s);

// Returns `s` with every maximal invalid subpart replaced by U+FFFD (EF BF BD). *replaced, when
// given, receives the number of replacements made.
std::string utf8_repair(std::string_view s, size_t* replaced = nullptr);

// utf8_decode for a lead byte >= 0x80 (what utf8_decode calls after its ASCII test).
char32_t utf8_decode_multibyte(std::string_view s, size_t* pos);

// Decodes the code point at s[*pos] and advances *pos past it. An invalid sequence yields
// U+FFFD and advances past its maximal invalid subpart (at least one byte). Requires *pos < size.
inline char32_t utf8_decode(std::string_view s, size_t* pos) {
  const auto b = static_cast<unsigned char>(s[*pos]);
  if (b < 0x80) {
    ++*pos;
    return b;
  }
  return utf8_decode_multibyte(s, pos);
}

// Appends the UTF-8 encoding of `cp` (U+FFFD for surrogates or values above U+10FFFF).
void utf8_append(std::string* out, char32_t cp);

// Number of code points in `s` (each invalid subpart counts as one).
size_t utf8_length(std::string_view s);

// Number of code points of `s` when it is valid UTF-8 (one pass: the bytes that are not
// continuation bytes); for text that may be invalid, utf8_length.
inline size_t utf8_length_valid(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// The longest prefix of `s` of at most max_bytes that ends on a code point boundary (all of `s`
// when max_bytes is 0).
std::string_view utf8_prefix(std::string_view s, size_t max_bytes);

// True when every byte of `s` is below 0x80.
bool is_ascii(std::string_view s);

}  // namespace lm::uni
