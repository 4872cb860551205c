// utf8.cc: UTF-8 validation (ASCII fast path, 8 bytes at a time), repair with U+FFFD following
// the Unicode "maximal subpart" practice, and single code point decode/encode. No ICU here
// (ICU's U8_NEXT treats an invalid sequence differently from the maximal-subpart rule).
#include "uni/utf8.h"

#include <cstring>

namespace lm::uni {
namespace {

// Length of the valid sequence starting at s[i], or 0 with *bad set to the number of bytes of
// the maximal invalid subpart (>= 1).
size_t valid_sequence(const unsigned char* s, size_t n, size_t i, size_t* bad) {
  unsigned char c = s[i];
  if (c < 0x80) return 1;
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    *bad = 1;
    return 0;
  }
  size_t k = 1;
  for (; k <= need; ++k) {
    if (i + k >= n) break;
    unsigned char b = s[i + k];
    unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) break;
  }
  if (k == need + 1) return need + 1;
  *bad = k;  // the lead byte plus the valid continuation bytes seen so far
  return 0;
}

}  // namespace

bool utf8_valid(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if ((w & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    size_t bad = 0;
    size_t len = valid_sequence(p, n, i, &bad);
    if (!len) return false;
    i += len;
  }
  return true;
}

std::string utf8_repair(std::string_view s, size_t* replaced) {
  size_t count = 0;
  std::string out;
  out.reserve(s.size() + 16);
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0, run = 0;
  while (i < n) {
    size_t bad = 0;
    size_t len = p[i] < 0x80 ? 1 : valid_sequence(p, n, i, &bad);
    if (len) {
      i += len;
      continue;
    }
    out.append(s.data() + run, i - run);
    out.append("\xEF\xBF\xBD");
    ++count;
    i += bad;
    run = i;
  }
  out.append(s.data() + run, n - run);
  if (replaced) *replaced = count;
  return out;
}

char32_t utf8_decode_multibyte(std::string_view s, size_t* pos) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = *pos, bad = 0;
  size_t len = valid_sequence(p, s.size(), i, &bad);
  if (!len) {
    *pos = i + bad;
    return kReplacementChar;
  }
  *pos = i + len;
  char32_t cp = len == 1 ? p[i] : p[i] & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (p[i + k] & 0x3F);
  return cp;
}

void utf8_append(std::string* out, char32_t cp) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = kReplacementChar;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t utf8_length(std::string_view s) {
  size_t n = s.size(), count = 0;
  if (utf8_valid(s)) return utf8_length_valid(s);
  for (size_t i = 0; i < n; ++count) utf8_decode(s, &i);
  return count;
}

std::string_view utf8_prefix(std::string_view s, size_t max_bytes) {
  if (max_bytes == 0 || s.size() <= max_bytes) return s;
  size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
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

}  // namespace lm::uni
