// py_compat.cc: Python's re.findall / re.sub over PCRE2, str.strip / lower / upper, and
// CPython's MT19937 random.Random, for the harness's metrics and filters (see py_compat.h).
#define PCRE2_CODE_UNIT_WIDTH 8
#include "eval/py_compat.h"

#include <pcre2.h>

#include "uni/normalize.h"
#include "uni/utf8.h"

namespace lm::eval {

struct PyRegex::Code {
  pcre2_code* code = nullptr;
  ~Code() {
    if (code) pcre2_code_free(code);
  }
};

PyRegex::PyRegex(PyRegex&&) noexcept = default;
PyRegex& PyRegex::operator=(PyRegex&&) noexcept = default;
PyRegex::~PyRegex() = default;

namespace {

// Python's \Z (the very end) is PCRE2's \z; everything else the harness's tasks use is shared.
std::string translate_pattern(const std::string& pattern) {
  std::string out;
  out.reserve(pattern.size());
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      out += '\\';
      out += pattern[i + 1] == 'Z' ? 'z' : pattern[i + 1];
      ++i;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

}  // namespace

Result<PyRegex> PyRegex::compile(const std::string& pattern, bool ignore_case) {
  PyRegex r;
  r.pattern_ = pattern;
  const std::string p = translate_pattern(pattern);
  int err = 0;
  PCRE2_SIZE off = 0;
  uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
  if (ignore_case) opts |= PCRE2_CASELESS;
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p.data()), p.size(), opts, &err, &off, nullptr);
  if (!code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof(buf));
    return invalid_argument("regex \"{}\" does not compile at offset {}: {}", pattern, off,
                            reinterpret_cast<const char*>(buf));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // the interpreter is used when JIT fails
  uint32_t groups = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups);
  r.groups_ = static_cast<int>(groups);
  r.code_ = std::make_unique<Code>();
  r.code_->code = code;
  return r;
}

// Python 3.7+: matches never overlap; after an empty match the next one may not be empty at
// the same position (PCRE2_NOTEMPTY_ATSTART), after a non-empty one it may.
template <typename Fn>
void PyRegex::each_match(std::string_view text, Fn&& fn) const {
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code_->code, nullptr);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t pos = 0;
  bool last_empty = false;
  while (pos <= text.size()) {
    const int rc = pcre2_match(code_->code, subject, text.size(), pos,
                               last_empty ? PCRE2_NOTEMPTY_ATSTART : 0, md, nullptr);
    if (rc < 0) break;
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    fn(ov, rc);
    last_empty = ov[0] == ov[1];
    pos = ov[1];
  }
  pcre2_match_data_free(md);
}

std::vector<std::vector<std::string>> PyRegex::findall(std::string_view text) const {
  std::vector<std::vector<std::string>> out;
  each_match(text, [&](const PCRE2_SIZE* ov, int rc) {
    std::vector<std::string> m;
    if (groups_ == 0) {
      m.emplace_back(text.substr(ov[0], ov[1] - ov[0]));
    } else {
      for (int g = 1; g <= groups_; ++g) {
        const PCRE2_SIZE a = ov[2 * g], b = ov[2 * g + 1];
        if (g >= rc || a == PCRE2_UNSET)
          m.emplace_back();
        else
          m.emplace_back(text.substr(a, b - a));
      }
    }
    out.push_back(std::move(m));
  });
  return out;
}

std::string PyRegex::remove_all(std::string_view text) const {
  std::string out;
  size_t kept = 0;
  each_match(text, [&](const PCRE2_SIZE* ov, int) {
    out.append(text.substr(kept, ov[0] - kept));
    kept = ov[1];
  });
  out.append(text.substr(kept));
  return out;
}

bool py_isspace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

std::string py_strip(std::string_view s) {
  size_t begin = 0, end = s.size();
  while (begin < end) {
    size_t p = begin;
    if (!py_isspace(uni::utf8_decode(s, &p))) break;
    begin = p;
  }
  // Scan forward to find the last non-space code point's end (UTF-8 is not reversible cheaply
  // without validation; responses are short).
  size_t last = begin;
  for (size_t p = begin; p < end;) {
    const char32_t c = uni::utf8_decode(s, &p);
    if (!py_isspace(c)) last = p;
  }
  return std::string(s.substr(begin, last - begin));
}

// str.lower() / str.upper(): ICU's full, context-sensitive mappings in the root locale.
std::string py_lower(std::string_view s) { return uni::lowercase(s); }

std::string py_upper(std::string_view s) { return uni::uppercase(s); }

// CPython Modules/_randommodule.c: random_seed() on an int uses init_by_array with the
// absolute value's 32-bit words, least significant first ([0] for zero).
PyRandom::PyRandom(uint64_t seed) {
  uint32_t key[2] = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  const size_t key_length = key[1] ? 2 : 1;
  init_genrand(19650218u);
  size_t i = 1, j = 0;
  for (size_t k = (624 > key_length ? 624 : key_length); k; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525u)) + key[j] +
             static_cast<uint32_t>(j);
    ++i;
    ++j;
    if (i >= 624) {
      mt_[0] = mt_[623];
      i = 1;
    }
    if (j >= key_length) j = 0;
  }
  for (size_t k = 623; k; --k) {
    mt_[i] =
        (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941u)) - static_cast<uint32_t>(i);
    ++i;
    if (i >= 624) {
      mt_[0] = mt_[623];
      i = 1;
    }
  }
  mt_[0] = 0x80000000u;
}

void PyRandom::init_genrand(uint32_t s) {
  mt_[0] = s;
  for (mti_ = 1; mti_ < 624; ++mti_)
    mt_[mti_] = 1812433253u * (mt_[mti_ - 1] ^ (mt_[mti_ - 1] >> 30)) + static_cast<uint32_t>(mti_);
}

uint32_t PyRandom::next_u32() {
  constexpr uint32_t kMatrixA = 0x9908b0dfu, kUpper = 0x80000000u, kLower = 0x7fffffffu;
  if (mti_ >= 624) {
    int kk = 0;
    for (; kk < 624 - 397; ++kk) {
      const uint32_t y = (mt_[kk] & kUpper) | (mt_[kk + 1] & kLower);
      mt_[kk] = mt_[kk + 397] ^ (y >> 1) ^ ((y & 1u) ? kMatrixA : 0u);
    }
    for (; kk < 623; ++kk) {
      const uint32_t y = (mt_[kk] & kUpper) | (mt_[kk + 1] & kLower);
      mt_[kk] = mt_[kk + (397 - 624)] ^ (y >> 1) ^ ((y & 1u) ? kMatrixA : 0u);
    }
    const uint32_t y = (mt_[623] & kUpper) | (mt_[0] & kLower);
    mt_[623] = mt_[396] ^ (y >> 1) ^ ((y & 1u) ? kMatrixA : 0u);
    mti_ = 0;
  }
  uint32_t y = mt_[mti_++];
  y ^= (y >> 11);
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= (y >> 18);
  return y;
}

double PyRandom::random() {
  const uint32_t a = next_u32() >> 5, b = next_u32() >> 6;
  return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

}  // namespace lm::eval
