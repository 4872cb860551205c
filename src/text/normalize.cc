// normalize.cc: ICU NFKC / lowercase / accent stripping for non-ASCII text, then one code point
// pass (controls, white space, punctuation variants) shared with the ASCII fast path.
#include "text/normalize.h"

#include <unicode/bytestream.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "core/utf8.h"
#include "text/chars.h"

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
    utf8_append(st->out, cp);
    return;
  }
  if (cp == '\n') {
    st->pending_spaces = 0;  // trailing spaces dropped
    ++st->pending_newlines;
    st->at_line_start = true;
    return;
  }
  if (cp != 0x85 && is_space(cp)) {
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
    utf8_append(st->out, cp);
  }
}

std::string byte_pass(std::string_view text, const NormalizeOptions& o) {
  std::string out;
  out.reserve(text.size());
  PassState st{&out};
  size_t pos = 0;
  while (pos < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[pos]);
    char32_t cp;
    if (c < 0x80) {
      cp = c;
      ++pos;
    } else {
      cp = utf8_decode(text, &pos);
    }
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

}  // namespace

Normalizer::~Normalizer() = default;

Result<std::unique_ptr<Normalizer>> Normalizer::create(const NormalizeOptions& options) {
  std::unique_ptr<Normalizer> n(new Normalizer());
  n->options_ = options;
  UErrorCode err = U_ZERO_ERROR;
  n->nfkc_ = icu::Normalizer2::getNFKCInstance(err);
  n->nfd_ = icu::Normalizer2::getNFDInstance(err);
  n->nfc_ = icu::Normalizer2::getNFCInstance(err);
  if (U_FAILURE(err)) {
    return internal_error("ICU normalizer data unavailable: {}", u_errorName(err));
  }
  return n;
}

std::string Normalizer::unicode_pass(std::string_view text) const {
  UErrorCode err = U_ZERO_ERROR;
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), text.size()));
  if (options_.nfkc) u = static_cast<const icu::Normalizer2*>(nfkc_)->normalize(u, err);
  if (options_.lowercase) u.toLower(icu::Locale::getRoot());
  if (options_.strip_accents) {
    icu::UnicodeString d = static_cast<const icu::Normalizer2*>(nfd_)->normalize(u, err);
    icu::UnicodeString kept;
    for (int32_t i = 0; i < d.length();) {
      UChar32 c = d.char32At(i);
      if (u_charType(c) != U_NON_SPACING_MARK) kept.append(c);
      i += U16_LENGTH(c);
    }
    u = static_cast<const icu::Normalizer2*>(nfc_)->normalize(kept, err);
  }
  if (U_FAILURE(err)) return std::string(text);
  std::string out;
  u.toUTF8String(out);
  return out;
}

std::string Normalizer::normalize(std::string_view text) const {
  if (is_ascii(text)) return byte_pass(text, options_);
  std::string repaired;
  if (!utf8_valid(text)) {
    repaired = utf8_repair(text);
    text = repaired;
  }
  if (!options_.nfkc && !options_.lowercase && !options_.strip_accents) {
    return byte_pass(text, options_);
  }
  return byte_pass(unicode_pass(text), options_);
}

}  // namespace lm::text
