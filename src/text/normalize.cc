// normalize.cc: NFKC / lowercase / accent stripping for non-ASCII text (uni/normalize.h), then
// one code point pass (controls, white space, punctuation variants) shared with the ASCII fast
// path. Text that the pass would not change (checked in one scan, plus the NFKC quick check) is
// not copied.
#include "text/normalize.h"

#include "uni/chars.h"
#include "uni/normalize.h"
#include "uni/utf8.h"

namespace lm::text {
namespace {

bool is_control(char32_t cp) {
  if (cp == '\n' || cp == '\t') return false;
  return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0xad || (cp >= 0x200b && cp <= 0x200f) ||
         cp == 0x2060 || cp == 0xfeff;
}

char32_t map_punct(char32_t cp) {
  switch (cp) {
    case 0x2018:
    case 0x2019:
    case 0x201a:
    case 0x201b:
    case 0x2032:
      return '\'';
    case 0x201c:
    case 0x201d:
    case 0x201e:
    case 0x201f:
    case 0x00ab:
    case 0x00bb:
    case 0x2033:
      return '"';
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015:
    case 0x2212:
      return '-';
    default:
      return cp;
  }
}

struct PassState {
  std::string* out;
  size_t pending_spaces = 0;
  size_t pending_newlines = 0;
  bool at_line_start = true;
};

// Emits one code point with white space collapsing.
void emit(PassState* st, char32_t cp, bool collapse) {
  if (!collapse) {
    uni::utf8_append(st->out, cp);
    return;
  }
  if (cp == '\n') {
    st->pending_spaces = 0;  // trailing spaces dropped
    ++st->pending_newlines;
    st->at_line_start = true;
    return;
  }
  if (cp != 0x85 && uni::is_space(cp)) {
    if (!st->at_line_start) st->pending_spaces = 1;
    return;
  }
  if (st->pending_newlines > 0) {
    if (!st->out->empty()) st->out->append(st->pending_newlines >= 2 ? "\n\n" : "\n");
    st->pending_newlines = 0;
  }
  if (st->pending_spaces) st->out->push_back(' ');
  st->pending_spaces = 0;
  st->at_line_start = false;
  if (cp < 0x80) {
    st->out->push_back(static_cast<char>(cp));
  } else {
    uni::utf8_append(st->out, cp);
  }
}

// byte_pass for ASCII text with collapse_whitespace: one tight loop writing into a buffer of
// the input's size (the pass never lengthens ASCII text). Same output as the generic pass.
std::string ascii_collapse_pass(std::string_view text, const NormalizeOptions& o) {
  std::string out(text.size(), '\0');
  char* w = out.data();
  char* const begin = w;
  size_t pending_nl = 0;
  bool pending_sp = false, line_start = true;
  const size_t n = text.size();
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c > ' ' && c < 0x7f) {  // the common case: a visible character
      if (pending_nl) {
        if (w != begin) {
          *w++ = '\n';
          if (pending_nl >= 2) *w++ = '\n';
        }
        pending_nl = 0;
      }
      if (pending_sp) *w++ = ' ';
      pending_sp = line_start = false;
      *w++ = static_cast<char>(o.lowercase && c >= 'A' && c <= 'Z' ? c + 32 : c);
      continue;
    }
    if (c == '\r') {
      if (i + 1 < n && text[i + 1] == '\n') continue;
      c = '\n';
    }
    if (c == '\n') {
      pending_sp = false;
      ++pending_nl;
      line_start = true;
    } else if (o.remove_controls && c != '\t' && (c < 0x20 || c == 0x7f)) {
      continue;
    } else if (c == ' ' || (c >= '\t' && c <= '\r')) {
      if (!line_start) pending_sp = true;
    } else {  // a control kept (remove_controls off)
      if (pending_nl && w != begin) {
        *w++ = '\n';
        if (pending_nl >= 2) *w++ = '\n';
      }
      pending_nl = 0;
      if (pending_sp) *w++ = ' ';
      pending_sp = line_start = false;
      *w++ = static_cast<char>(c);
    }
  }
  out.resize(w - begin);
  return out;
}

std::string byte_pass(std::string_view text, const NormalizeOptions& o) {
  std::string out;
  out.reserve(text.size());
  PassState st{&out};
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t cp = uni::utf8_decode(text, &pos);
    if (cp == '\r') {
      if (pos < text.size() && text[pos] == '\n') continue;
      cp = '\n';
    }
    if (o.remove_controls && is_control(cp)) continue;
    if (o.map_punctuation) cp = map_punct(cp);
    if (o.lowercase && cp < 0x80 && cp >= 'A' && cp <= 'Z') cp += 32;
    emit(&st, cp, o.collapse_whitespace);
  }
  return out;
}

// A non-ASCII sequence at p[i] (valid UTF-8) that byte_pass changes: C1 controls, NBSP, soft
// hyphen, guillemets, Unicode spaces, zero-width characters, curly quotes, dashes, primes, BOM.
bool special_multibyte(const unsigned char* p, size_t i) {
  const unsigned char d = p[i + 1];
  switch (p[i]) {
    case 0xC2:
      return d <= 0xA0 || d == 0xAB || d == 0xAD || d == 0xBB;
    case 0xE1:
      return d == 0x9A && p[i + 2] == 0x80;
    case 0xE2: {
      const unsigned char e = p[i + 2];
      if (d == 0x80) {
        return e <= 0x9F || e == 0xA8 || e == 0xA9 || e == 0xAF || e == 0xB2 || e == 0xB3;
      }
      if (d == 0x81) return e == 0x9F || e == 0xA0;
      return d == 0x88 && e == 0x92;
    }
    case 0xE3:
      return d == 0x80 && p[i + 2] == 0x80;
    case 0xEF:
      return d == 0xBB && p[i + 2] == 0xBF;
    default:
      return false;
  }
}

}  // namespace

// True when byte_pass(t) == t for valid UTF-8 `t` (it reads up to 2 bytes past a lead byte): no
// control or special character, no \r or tab, no space or newline at either end, no double space,
// no space next to a newline, no three newlines in a row (and no A-Z when lowercasing). One pass,
// no copy.
bool byte_pass_is_identity(std::string_view t, const NormalizeOptions& o) {
  if (!o.remove_controls || !o.collapse_whitespace) return false;
  if (t.empty()) return true;
  if (t.front() == ' ' || t.front() == '\n' || t.back() == ' ' || t.back() == '\n') return false;
  const auto* p = reinterpret_cast<const unsigned char*>(t.data());
  const size_t n = t.size();
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = p[i];
    if (c >= 'A') {
      if (c < 0x7f) {
        if (o.lowercase && c <= 'Z') return false;
        continue;
      }
      if (c == 0x7f || special_multibyte(p, i)) return false;
    } else if (c == ' ') {  // not last: t.back() != ' '
      if (p[i + 1] == ' ' || p[i + 1] == '\n') return false;
    } else if (c < 0x20) {
      if (c != '\n') return false;  // not last: t.back() != '\n'
      if (p[i + 1] == ' ' || (p[i + 1] == '\n' && i + 2 < n && p[i + 2] == '\n')) return false;
    }
  }
  return true;
}

CleanNormalizer::CleanNormalizer(const NormalizeOptions& options) : options_(options) {}

// NFKC only (the default): already-normalised text (most text) is left alone without a copy;
// lowercase or accent stripping follow NFKC.
std::string CleanNormalizer::unicode_text(std::string_view text) const {
  if (!options_.nfkc && !options_.lowercase && !options_.strip_accents) return std::string(text);
  std::string out = options_.nfkc && !uni::is_normalized(uni::NormalForm::kNfkc, text)
                        ? uni::normalize(uni::NormalForm::kNfkc, text)
                        : std::string(text);
  if (options_.lowercase) out = uni::lowercase(out);
  if (options_.strip_accents) out = uni::strip_accents(out);
  return out;
}

std::string strip_ansi_escapes(std::string_view t) {
  std::string out;
  out.reserve(t.size());
  const size_t n = t.size();
  auto at = [&](size_t j) { return static_cast<unsigned char>(t[j]); };
  for (size_t i = 0; i < n;) {
    if (t[i] != '\x1b') {
      out += t[i++];
      continue;
    }
    size_t j = i + 1;
    if (j < n && t[j] == '[') {  // CSI: parameter and intermediate bytes, then one final byte
      ++j;
      while (j < n && at(j) >= 0x20 && at(j) <= 0x3f) ++j;
      if (j < n && at(j) >= 0x40 && at(j) <= 0x7e) ++j;
    } else if (j < n && at(j) >= 0x40 && at(j) <= 0x5f) {
      ++j;
    }
    i = j;
  }
  return out;
}

std::string code_point_pass(std::string_view text, const NormalizeOptions& options) {
  return byte_pass(text, options);
}

std::string CleanNormalizer::normalize(std::string_view text) const {
  std::string stripped;
  if (options_.remove_ansi_escapes && text.find('\x1b') != std::string_view::npos) {
    stripped = strip_ansi_escapes(text);
    text = stripped;
  }
  if (uni::is_ascii(text)) {
    return options_.collapse_whitespace ? ascii_collapse_pass(text, options_)
                                        : byte_pass(text, options_);
  }
  std::string repaired;
  if (!uni::utf8_valid(text)) {
    repaired = uni::utf8_repair(text);
    text = repaired;
  }
  return byte_pass(unicode_text(text), options_);
}

bool CleanNormalizer::normalize_in_place(std::string* text) const {
  const std::string_view t = *text;
  if (uni::is_ascii(t)) {
    if (byte_pass_is_identity(t, options_)) return false;
  } else if (!options_.lowercase && !options_.strip_accents && uni::utf8_valid(t) &&
             byte_pass_is_identity(t, options_)) {
    if (!options_.nfkc || uni::is_normalized(uni::NormalForm::kNfkc, t)) return false;
  }
  std::string out = normalize(t);
  if (out == t) return false;
  *text = std::move(out);
  return true;
}

}  // namespace lm::text
