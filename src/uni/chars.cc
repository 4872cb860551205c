// chars.cc: character classes (see chars.h); the ASCII table, ICU for the general categories,
// and the script ranges (checked against ICU's Script property in tests/uni/chars_test.cc).
#include "uni/chars.h"

#include <unicode/uchar.h>

namespace lm::uni {
namespace {

uint32_t category_mask(char32_t cp) { return U_GET_GC_MASK(static_cast<UChar32>(cp)); }

}  // namespace

const uint8_t kAsciiClass[128] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 8, 8, 8, 8, 8, 8,
    8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 8, 8, 8, 8, 8,
    8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 8, 8, 8, 8, 0,
};

bool is_alpha_slow(char32_t cp) { return u_isalpha(static_cast<UChar32>(cp)); }
bool is_digit_slow(char32_t cp) { return u_isdigit(static_cast<UChar32>(cp)); }
bool is_space_slow(char32_t cp) { return u_isUWhiteSpace(static_cast<UChar32>(cp)); }
bool is_punct_slow(char32_t cp) { return (category_mask(cp) & (U_GC_P_MASK | U_GC_S_MASK)) != 0; }

bool is_unicode_punctuation_slow(char32_t cp) { return u_ispunct(static_cast<UChar32>(cp)); }
bool is_nonspacing_mark(char32_t cp) { return (category_mask(cp) & U_GC_MN_MASK) != 0; }
bool is_mark(char32_t cp) { return (category_mask(cp) & U_GC_M_MASK) != 0; }
bool is_other(char32_t cp) { return (category_mask(cp) & U_GC_C_MASK) != 0; }

// HF tokenizers, normalizers/bert.rs is_chinese_char, range for range.
bool is_bert_chinese_char(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

}  // namespace lm::uni
