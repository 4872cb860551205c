// normalize.cc: ICU Normalizer2 on UTF-8 (no UTF-16 round trip), case mapping (ICU's string
// functions, or u_strToLower on one code point for the context-free mapping) and mark removal
// by General_Category. The ICU singletons are looked up once.
#include "uni/normalize.h"

#include <unicode/bytestream.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <array>

#include "core/status.h"
#include "uni/chars.h"
#include "uni/utf8.h"

namespace lm::uni {
namespace {

const icu::Normalizer2* icu_normalizer(NormalForm form) {
  static const std::array<const icu::Normalizer2*, 4> kInstances = [] {
    UErrorCode err = U_ZERO_ERROR;
    std::array<const icu::Normalizer2*, 4> n = {
        icu::Normalizer2::getNFCInstance(err), icu::Normalizer2::getNFDInstance(err),
        icu::Normalizer2::getNFKCInstance(err), icu::Normalizer2::getNFKDInstance(err)};
    LM_CHECK(U_SUCCESS(err), "ICU normalizer data unavailable: {}", u_errorName(err));
    return n;
  }();
  return kInstances[static_cast<size_t>(form)];
}

// `text` itself when it is valid UTF-8, else its repair in *storage.
std::string_view valid_utf8(std::string_view text, std::string* storage) {
  if (utf8_valid(text)) return text;
  *storage = utf8_repair(text);
  return *storage;
}

icu::UnicodeString to_icu(std::string_view valid) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(valid.data(), valid.size()));
}

std::string from_icu(const icu::UnicodeString& u) {
  std::string out;
  u.toUTF8String(out);
  return out;
}

std::string ascii_lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

std::string drop_marks(std::string_view text, uint32_t category_mask) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
      ++i;
      continue;
    }
    const char32_t c = utf8_decode(text, &i);
    if ((U_GET_GC_MASK(static_cast<UChar32>(c)) & category_mask) == 0) utf8_append(&out, c);
  }
  return out;
}

}  // namespace

std::string normalize(NormalForm form, std::string_view text) {
  if (is_ascii(text)) return std::string(text);
  std::string storage;
  const std::string_view valid = valid_utf8(text, &storage);
  std::string out;
  out.reserve(valid.size() + valid.size() / 8);
  icu::StringByteSink<std::string> sink(&out);
  UErrorCode err = U_ZERO_ERROR;
  icu_normalizer(form)->normalizeUTF8(0, icu::StringPiece(valid.data(), valid.size()), sink,
                                      nullptr, err);
  LM_CHECK(U_SUCCESS(err), "ICU normalizeUTF8 failed: {}", u_errorName(err));
  return out;
}

bool is_normalized(NormalForm form, std::string_view text) {
  if (is_ascii(text)) return true;
  UErrorCode err = U_ZERO_ERROR;
  const bool yes =
      icu_normalizer(form)->isNormalizedUTF8(icu::StringPiece(text.data(), text.size()), err);
  return U_SUCCESS(err) && yes;
}

std::string lowercase(std::string_view text) {
  if (is_ascii(text)) return ascii_lowercase(text);
  std::string storage;
  icu::UnicodeString u = to_icu(valid_utf8(text, &storage));
  u.toLower(icu::Locale::getRoot());
  return from_icu(u);
}

std::string uppercase(std::string_view text) {
  if (is_ascii(text)) {
    std::string out(text);
    for (char& c : out) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    }
    return out;
  }
  std::string storage;
  icu::UnicodeString u = to_icu(valid_utf8(text, &storage));
  u.toUpper(icu::Locale::getRoot());
  return from_icu(u);
}

std::string lowercase_each_code_point(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      out.push_back(static_cast<char>(b >= 'A' && b <= 'Z' ? b + 32 : b));
      ++i;
    } else {
      append_lowercase_code_point(utf8_decode(text, &i), &out);
    }
  }
  return out;
}

void append_lowercase_code_point(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
    return;
  }
  UChar src[2];
  int32_t src_len = 0;
  U16_APPEND_UNSAFE(src, src_len, static_cast<UChar32>(cp));
  UChar dst[8];
  UErrorCode err = U_ZERO_ERROR;
  const int32_t n = u_strToLower(dst, 8, src, src_len, "", &err);
  if (U_FAILURE(err) || n > 8) {
    utf8_append(out, cp);
    return;
  }
  for (int32_t k = 0; k < n;) {
    UChar32 c;
    U16_NEXT(dst, k, n, c);
    utf8_append(out, static_cast<char32_t>(c));
  }
}

std::string case_fold(std::string_view text) {
  if (is_ascii(text)) return ascii_lowercase(text);
  std::string storage;
  icu::UnicodeString u = to_icu(valid_utf8(text, &storage));
  u.foldCase(U_FOLD_CASE_DEFAULT);
  return from_icu(u);
}

std::string strip_nonspacing_marks(std::string_view text) { return drop_marks(text, U_GC_MN_MASK); }

std::string strip_marks(std::string_view text) { return drop_marks(text, U_GC_M_MASK); }

std::string strip_accents(std::string_view text) {
  if (is_ascii(text)) return std::string(text);
  return normalize(NormalForm::kNfc, strip_nonspacing_marks(normalize(NormalForm::kNfd, text)));
}

size_t canonical_decomposition(char32_t cp, char32_t* out, size_t capacity) {
  static const UNormalizer2* nfd = [] {
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2* n = unorm2_getNFDInstance(&err);
    LM_CHECK(U_SUCCESS(err) && n != nullptr, "ICU NFD normalizer unavailable");
    return n;
  }();
  UChar dec[36];
  UErrorCode err = U_ZERO_ERROR;
  const int32_t len = unorm2_getDecomposition(nfd, static_cast<UChar32>(cp), dec, 36, &err);
  if (len <= 0 || U_FAILURE(err)) return 0;
  size_t n = 0;
  for (int32_t j = 0; j < len;) {
    UChar32 c;
    U16_NEXT(dec, j, len, c);
    if (n == capacity) return 0;
    out[n++] = static_cast<char32_t>(c);
  }
  return n;
}

}  // namespace lm::uni
