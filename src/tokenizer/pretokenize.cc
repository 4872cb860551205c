// pretokenize.cc: the hand-written split-pattern scanners (GPT-2/r50k/p50k, cl100k_base,
// o200k_base) and the PCRE2 fallback. Each scanner follows its regex's alternation order and
// backtracking exactly (comments name the alternative); tests compare against PCRE2 and tiktoken.
#include "tokenizer/pretokenize.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <unicode/uchar.h>

#include <array>
#include <mutex>

#include "tokenizer/bpe_spec.h"
#include "tokenizer/pretokenize_unicode.h"

namespace lm::tok {
namespace pretok {
namespace {

uint8_t class_of(UChar32 cp) {
  uint8_t f = 0;
  switch (u_charType(cp)) {
    case U_UPPERCASE_LETTER:
    case U_TITLECASE_LETTER:
      f = kL | kUpper;
      break;
    case U_LOWERCASE_LETTER:
      f = kL | kLower;
      break;
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
      f = kL | kUpper | kLower;
      break;
    case U_NON_SPACING_MARK:
    case U_COMBINING_SPACING_MARK:
    case U_ENCLOSING_MARK:
      f = kUpper | kLower;
      break;
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      f = kN;
      break;
    default:
      break;
  }
  if (u_hasBinaryProperty(cp, UCHAR_WHITE_SPACE)) f |= kWs;
  if (cp == '\r' || cp == '\n') f |= kNl;
  return f;
}

}  // namespace

const uint8_t* bmp_table() {
  static const std::array<uint8_t, 65536>* table = [] {
    auto* t = new std::array<uint8_t, 65536>();
    for (UChar32 cp = 0; cp < 65536; ++cp) (*t)[cp] = class_of(cp);
    return t;
  }();
  return table->data();
}

uint8_t astral_class(uint32_t cp) { return class_of(static_cast<UChar32>(cp)); }

}  // namespace pretok

namespace {

using pretok::Ch;
constexpr size_t kNone = static_cast<size_t>(-1);

struct Scan {
  std::string_view s;
  const uint8_t* t;
  size_t n() const { return s.size(); }
  [[gnu::always_inline]] Ch at(size_t p) const { return pretok::char_at(s, p, t); }
  // End of the run of characters having any of `mask`'s flags, from p.
  // ASCII bytes go through a tight loop on the table; other characters are decoded.
  [[gnu::always_inline]] size_t run(size_t p, uint8_t mask) const {
    const auto* d = reinterpret_cast<const unsigned char*>(s.data());
    while (true) {
      while (p < s.size() && d[p] < 0x80 && (t[d[p]] & mask)) ++p;
      if (p >= s.size() || d[p] < 0x80) return p;
      Ch c = at(p);
      if (!(c.cls & mask)) return p;
      p += c.len;
    }
  }
  // End of the run of [^\s\p{L}\p{N}] from p.
  [[gnu::always_inline]] size_t run_other(size_t p) const {
    constexpr uint8_t kStop = pretok::kL | pretok::kN | pretok::kWs;
    const auto* d = reinterpret_cast<const unsigned char*>(s.data());
    while (true) {
      while (p < s.size() && d[p] < 0x80 && !(t[d[p]] & kStop)) ++p;
      if (p >= s.size() || d[p] < 0x80) return p;
      Ch c = at(p);
      if (c.cls & kStop) return p;
      p += c.len;
    }
  }
  // Whitespace at pos: `\s*[\r\n]+` (when newline_alt), then `\s+(?!\S)`, then `\s+`.
  size_t ws_tail(size_t pos, bool newline_alt) const {
    size_t j = pos, last = pos, last_nl = kNone;
    while (j < s.size()) {
      Ch c = at(j);
      if (!(c.cls & pretok::kWs)) break;
      if (c.cls & pretok::kNl) last_nl = j;
      last = j;
      j += c.len;
    }
    if (newline_alt && last_nl != kNone) return last_nl + 1;
    if (j == s.size()) return j;  // \s+(?!\S) to the end
    if (last > pos) return last;  // \s+(?!\S) backs off one character
    return j;                     // \s+
  }
};

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// 's|'t|'re|'ve|'m|'ll|'d at p (text[p] == '\''); returns the end or 0.
size_t contraction(std::string_view s, size_t p, bool ci) {
  if (p + 1 >= s.size()) return 0;
  char a = ci ? ascii_lower(s[p + 1]) : s[p + 1];
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return p + 2;
  // (?i) folds U+017F LATIN SMALL LETTER LONG S to 's'.
  if (ci && p + 2 < s.size() && s[p + 1] == '\xC5' && s[p + 2] == '\xBF') return p + 3;
  if (p + 2 >= s.size()) return 0;
  char b = ci ? ascii_lower(s[p + 2]) : s[p + 2];
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return p + 3;
  return 0;
}

// o200k: [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+ from st; 0 if none.
size_t o200k_core1(const Scan& sc, size_t st) {
  size_t p = st, last_w_end = kNone;
  while (p < sc.n()) {
    Ch x = sc.at(p);
    if (!(x.cls & pretok::kUpper)) break;
    if (x.cls & pretok::kLower) last_w_end = p + x.len;
    p += x.len;
  }
  if (p < sc.n() && (sc.at(p).cls & pretok::kLower)) return sc.run(p, pretok::kLower);
  return last_w_end == kNone ? 0 : last_w_end;  // U* backs off to its last W character
}

// o200k: [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]* from st; 0 if none.
size_t o200k_core2(const Scan& sc, size_t st) {
  size_t u = sc.run(st, pretok::kUpper);
  if (u == st) return 0;
  return sc.run(u, pretok::kLower);
}

size_t o200k_suffix(std::string_view s, size_t e) {
  if (e < s.size() && s[e] == '\'') {
    if (size_t c = contraction(s, e, true)) return c;
  }
  return e;
}

}  // namespace

size_t gpt2_next(std::string_view text, size_t pos) {
  Scan sc{text, pretok::bmp_table()};
  Ch c = sc.at(pos);
  if (c.cp == '\'') {  // 's|'t|'re|'ve|'m|'ll|'d
    if (size_t e = contraction(text, pos, false)) return e;
  }
  size_t start = pos;  // ` ?` of the next three alternatives
  Ch d = c;
  if (c.cp == ' ' && pos + 1 < text.size()) {
    Ch nx = sc.at(pos + 1);
    if (!(nx.cls & pretok::kWs)) start = pos + 1, d = nx;
  }
  if (d.cls & pretok::kL) return sc.run(start, pretok::kL);  // ` ?\p{L}+`
  if (d.cls & pretok::kN) return sc.run(start, pretok::kN);  // ` ?\p{N}+`
  if (!(d.cls & pretok::kWs)) return sc.run_other(start);    // ` ?[^\s\p{L}\p{N}]+`
  return sc.ws_tail(pos, false);
}

// ` ?[^\s\p{L}\p{N}]+[\r\n]*` (or `[\r\n/]*` for o200k) at pos; kNone if it does not match.
static size_t punct_alt(const Scan& sc, size_t pos, Ch c, bool slash) {
  size_t start = kNone;
  if (c.cp == ' ' && pos + 1 < sc.n()) {
    if (!(sc.at(pos + 1).cls & (pretok::kL | pretok::kN | pretok::kWs))) start = pos + 1;
  } else if (!(c.cls & (pretok::kL | pretok::kN | pretok::kWs))) {
    start = pos;
  }
  if (start == kNone) return kNone;
  size_t p = sc.run_other(start);
  while (p < sc.n() && (sc.s[p] == '\r' || sc.s[p] == '\n' || (slash && sc.s[p] == '/'))) ++p;
  return p;
}

static size_t digits3(const Scan& sc, size_t pos) {  // \p{N}{1,3}
  size_t p = pos;
  for (int k = 0; k < 3 && p < sc.n(); ++k) {
    Ch x = sc.at(p);
    if (!(x.cls & pretok::kN)) break;
    p += x.len;
  }
  return p;
}

size_t cl100k_next(std::string_view text, size_t pos) {
  Scan sc{text, pretok::bmp_table()};
  Ch c = sc.at(pos);
  if (c.cp == '\'') {  // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    if (size_t e = contraction(text, pos, true)) return e;
  }
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (c.cls & pretok::kL) return sc.run(pos, pretok::kL);
  if (!(c.cls & (pretok::kNl | pretok::kN)) && pos + c.len < text.size()) {
    if (sc.at(pos + c.len).cls & pretok::kL) return sc.run(pos + c.len, pretok::kL);
  }
  if (c.cls & pretok::kN) return digits3(sc, pos);  // \p{N}{1,3}
  size_t e = punct_alt(sc, pos, c, false);
  if (e != kNone) return e;
  return sc.ws_tail(pos, true);
}

size_t o200k_next(std::string_view text, size_t pos) {
  Scan sc{text, pretok::bmp_table()};
  Ch c = sc.at(pos);
  bool prefix = !(c.cls & (pretok::kNl | pretok::kL | pretok::kN));  // [^\r\n\p{L}\p{N}]?
  bool letterish = c.cls & (pretok::kUpper | pretok::kLower);
  size_t nx = pos + c.len;
  bool has_next = nx < text.size();
  size_t e = 0;
  if (prefix && has_next && (e = o200k_core1(sc, nx))) return o200k_suffix(text, e);
  if (letterish && (e = o200k_core1(sc, pos))) return o200k_suffix(text, e);
  if (prefix && has_next && (e = o200k_core2(sc, nx))) return o200k_suffix(text, e);
  if (letterish && (e = o200k_core2(sc, pos))) return o200k_suffix(text, e);
  if (c.cls & pretok::kN) return digits3(sc, pos);
  e = punct_alt(sc, pos, c, true);
  if (e != kNone) return e;
  return sc.ws_tail(pos, true);
}

// ---- PCRE2 fallback ----

struct PreTokenizer::Regex {
  pcre2_code* code = nullptr;
  ~Regex() {
    if (code) pcre2_code_free(code);
  }
};

SplitKind split_kind_of(std::string_view p) {
  if (p == kGpt2Pattern || p == kR50kPattern) return SplitKind::kGpt2;
  if (p == kCl100kPattern || p == kCl100kNpmPattern) return SplitKind::kCl100k;
  if (p == kO200kPattern) return SplitKind::kO200k;
  return SplitKind::kRegex;
}

PreTokenizer::PreTokenizer() = default;
PreTokenizer::~PreTokenizer() = default;
PreTokenizer::PreTokenizer(PreTokenizer&&) noexcept = default;
PreTokenizer& PreTokenizer::operator=(PreTokenizer&&) noexcept = default;

Result<PreTokenizer> PreTokenizer::create(const std::string& pattern) {
  PreTokenizer pt;
  pt.pattern_ = pattern;
  pt.kind_ = split_kind_of(pattern);
  if (pt.kind_ != SplitKind::kRegex) return pt;
  int err = 0;
  PCRE2_SIZE off = 0;
  uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   opts, &err, &off, nullptr);
  if (!code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof(buf));
    return invalid_argument("split pattern does not compile at offset {}: {} (pattern: {})", off,
                            reinterpret_cast<const char*>(buf), pattern);
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter on failure
  pt.regex_ = std::make_unique<Regex>();
  pt.regex_->code = code;
  return pt;
}

size_t PreTokenizer::regex_next(std::string_view text, size_t pos) const {
  struct MatchData {
    pcre2_match_data* md = pcre2_match_data_create(1, nullptr);
    ~MatchData() { pcre2_match_data_free(md); }
  };
  thread_local MatchData data;
  int rc = pcre2_match(regex_->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), pos,
                       PCRE2_NOTEMPTY, data.md, nullptr);
  if (rc < 0) return text.size();  // no further match: the rest is one piece
  PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data.md);
  if (ov[0] > pos) return ov[0];  // unmatched gap before the match: a piece of its own
  return ov[1] > pos ? ov[1] : pos + 1;
}

size_t PreTokenizer::next_piece(std::string_view text, size_t pos) const {
  switch (kind_) {
    case SplitKind::kGpt2:
      return gpt2_next(text, pos);
    case SplitKind::kCl100k:
      return cl100k_next(text, pos);
    case SplitKind::kO200k:
      return o200k_next(text, pos);
    case SplitKind::kRegex:
      return regex_next(text, pos);
  }
  return text.size();
}

}  // namespace lm::tok
