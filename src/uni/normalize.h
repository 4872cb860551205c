// normalize.h: Unicode normalisation and case mapping on UTF-8, through ICU, the one place
// tokenizer, clean and dedup take them from. Every function reads UTF-8 (invalid sequences become
// U+FFFD first), writes UTF-8, is thread-safe and returns ASCII input unchanged without ICU
// where the operation leaves ASCII alone. The variants are named by what they do:
//   normalize(form, s)              NFC, NFD, NFKC or NFKD (ICU Normalizer2, UTF-8 API)
//   lowercase(s)                    full, context-sensitive lowercase (ICU root locale: final
//                                   sigma becomes ς), what str.lower() of Python gives
//   lowercase_each_code_point(s)    each code point mapped on its own, full mapping, no context
//                                   (Rust's char::to_lowercase: HF tokenizers' Lowercase)
//   uppercase(s)                    full, context-sensitive uppercase (ICU root locale: ß -> SS)
//   simple_lowercase(cp)            one code point to one code point (ICU u_tolower; dedup)
//   case_fold(s)                    full default case folding (ß -> ss), for caseless matching
//   strip_nonspacing_marks(s)       drops Mn (BERT's strip_accents after NFD; datatrove)
//   strip_marks(s)                  drops Mn, Mc and Me (HF's StripAccents normalizer)
//   strip_accents(s)                NFD, drop Mn, NFC: é -> e with the rest recomposed (clean)
// Not here: UTF-8 itself (uni/utf8.h), character classes (uni/chars.h).
#pragma once

#include <unicode/uchar.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace lm::uni {

enum class NormalForm { kNfc, kNfd, kNfkc, kNfkd };

std::string normalize(NormalForm form, std::string_view text);
// True when `text` (valid UTF-8) is already in `form` (ICU's quick check, then a full check
// when the quick one is undecided); no copy.
bool is_normalized(NormalForm form, std::string_view text);

std::string lowercase(std::string_view text);
std::string uppercase(std::string_view text);
std::string lowercase_each_code_point(std::string_view text);
// lowercase_each_code_point of one code point, appended to *out.
void append_lowercase_code_point(char32_t cp, std::string* out);
inline char32_t simple_lowercase(char32_t cp) {  // inline: dedup's word loop
  if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
  return static_cast<char32_t>(u_tolower(static_cast<UChar32>(cp)));
}
std::string case_fold(std::string_view text);

std::string strip_nonspacing_marks(std::string_view text);
std::string strip_marks(std::string_view text);
std::string strip_accents(std::string_view text);

// The full canonical decomposition (NFD) of one code point into out[0..n), n returned; 0 when
// `cp` has none (it is its own NFD) or it does not fit in `capacity` code points (18 always do).
size_t canonical_decomposition(char32_t cp, char32_t* out, size_t capacity);

}  // namespace lm::uni
