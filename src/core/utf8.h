// utf8.h: UTF-8 helpers every stage shares: validate a byte string, repair invalid sequences
// with U+FFFD (one per maximal invalid subpart, as ICU and Python do), decode and encode single
// code points, and count code points. Validation has an ASCII fast path.
// Not here: normalisation or case folding (text module, ICU).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lm {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool utf8_valid(std::string_view s);

// Returns `s` with every maximal invalid subpart replaced by U+FFFD (EF BF BD). *replaced, when
// given, receives the number of replacements made.
std::string utf8_repair(std::string_view s, size_t* replaced = nullptr);

// Decodes the code point at s[*pos] and advances *pos past it. An invalid sequence yields
// U+FFFD and advances past its maximal invalid subpart (at least one byte). Requires *pos < size.
char32_t utf8_decode(std::string_view s, size_t* pos);

// Appends the UTF-8 encoding of `cp` (U+FFFD for surrogates or values above U+10FFFF).
void utf8_append(std::string* out, char32_t cp);

// Number of code points in `s` (each invalid subpart counts as one).
size_t utf8_length(std::string_view s);

}  // namespace lm
