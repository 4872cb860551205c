// py_compat.h: the few Python behaviours lm-evaluation-harness's metrics and filters rely on,
// so that lmforge gives the harness's answers: `re.findall` / `re.sub(p, "", s)` over PCRE2
// (Python 3.7+ empty-match rules, groups as a tuple, unset groups as ""), `str.strip()` /
// `str.isspace()`, `str.lower()` / `str.upper()` (ICU full case mapping, root locale), and
// CPython's `random.Random(int)` (MT19937, init_by_array, random(), choices()).
// Not here: the rest of Python's re syntax beyond PCRE2's (only `\Z` is translated).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace lm::eval {

// A compiled pattern with Python re semantics (UTF-8, Unicode classes as Python's str patterns).
class PyRegex {
 public:
  // An invalid pattern is an error naming the pattern and the offset.
  static Result<PyRegex> compile(const std::string& pattern, bool ignore_case = false);
  // Capture groups in the pattern.
  int groups() const { return groups_; }
  // re.findall: one entry per match; each entry holds group 0 when the pattern has no groups,
  // else groups 1..n (a group that did not take part is "").
  std::vector<std::vector<std::string>> findall(std::string_view text) const;
  // re.sub(pattern, "", text).
  std::string remove_all(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

  PyRegex(PyRegex&&) noexcept;
  PyRegex& operator=(PyRegex&&) noexcept;
  ~PyRegex();

 private:
  PyRegex() = default;
  // Calls fn(start, end, ovector, pairs) for each match in order.
  template <typename Fn>
  void each_match(std::string_view text, Fn&& fn) const;
  std::string pattern_;
  int groups_ = 0;
  struct Code;
  std::unique_ptr<Code> code_;
};

// str.isspace() of one code point (the characters Python's str.strip() and \s treat as space).
bool py_isspace(char32_t cp);
// str.strip() with no argument.
std::string py_strip(std::string_view s);
// str.lower() / str.upper(): full Unicode case mapping (ICU, root locale), ASCII fast path.
std::string py_lower(std::string_view s);
std::string py_upper(std::string_view s);

// CPython's random.Random seeded with a non-negative integer: the same stream, bit for bit.
class PyRandom {
 public:
  explicit PyRandom(uint64_t seed);
  uint32_t next_u32();  // genrand_uint32
  double random();      // random.random(): 53 bits from two draws
  // random.choices(range(n)) for one draw: floor(random() * n).
  size_t choice_index(size_t n) {
    const auto i = static_cast<size_t>(random() * static_cast<double>(n));
    return i < n ? i : n - 1;
  }

 private:
  void init_genrand(uint32_t s);
  std::array<uint32_t, 624> mt_{};
  int mti_ = 625;
};

}  // namespace lm::eval
