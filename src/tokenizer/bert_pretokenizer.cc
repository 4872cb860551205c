// bert_pretokenizer.cc: BertNormalizer and BertPreTokenizer (see the header). ASCII runs take a
// byte fast path; other code points use ICU's character properties and Normalizer2 (NFD).
#include "tokenizer/bert_pretokenizer.h"

#include <unicode/uchar.h>

#include "core/utf8.h"
#include "tokenizer/normalizer.h"

namespace lm::tok {
namespace {

bool ascii_punct(unsigned char c) {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
         (c >= 123 && c <= 126);
}

// Pass 1: clean text and pad CJK ideographs; sets *ascii when the output is pure ASCII.
std::string clean_and_pad(std::string_view text, const BertNormalizerOptions& o, bool* ascii) {
  std::string out;
  out.reserve(text.size() + 16);
  bool all_ascii = true;
  size_t i = 0;
  while (i < text.size()) {
    unsigned char b = text[i];
    if (b < 0x80) {
      ++i;
      if (o.clean_text) {
        if (b == 0 || (b < 32 && b != '\t' && b != '\n' && b != '\r') || b == 127) continue;
        if (b == '\t' || b == '\n' || b == '\r') b = ' ';
      }
      out.push_back(static_cast<char>(b));
      continue;
    }
    char32_t c = utf8_decode(text, &i);
    if (o.clean_text) {
      if (c == 0xFFFD || is_bert_control(c)) continue;
      if (is_bert_whitespace(c)) {
        out.push_back(' ');
        continue;
      }
    }
    all_ascii = false;
    if (o.handle_chinese_chars && is_bert_chinese_char(c)) {
      out.push_back(' ');
      utf8_append(&out, c);
      out.push_back(' ');
    } else {
      utf8_append(&out, c);
    }
  }
  *ascii = all_ascii;
  return out;
}

}  // namespace

bool is_bert_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B81F) ||
         (c >= 0x2B920 && c <= 0x2CEAF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0x2F800 && c <= 0x2FA1F);
}

bool is_bert_punctuation(char32_t c) {
  if (c < 0x80) return ascii_punct(static_cast<unsigned char>(c));
  return u_ispunct(static_cast<UChar32>(c));
}

bool is_bert_whitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 9 && c <= 13);
  return u_isUWhiteSpace(static_cast<UChar32>(c));
}

bool is_bert_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  int8_t t = u_charType(static_cast<UChar32>(c));
  return t == U_CONTROL_CHAR || t == U_FORMAT_CHAR || t == U_UNASSIGNED ||
         t == U_PRIVATE_USE_CHAR || t == U_SURROGATE;
}

std::string bert_normalize(std::string_view text, const BertNormalizerOptions& opts) {
  bool ascii = true;
  std::string s = clean_and_pad(text, opts, &ascii);
  if (ascii) {
    if (opts.lowercase) {
      for (char& ch : s) {
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
      }
    }
    return s;
  }
  if (opts.strip_accents) {
    s = apply_norm_step(NormStep::kNfd, s);
    s = strip_marks(s, /*nonspacing_only=*/true);  // BertNormalizer: Mn only
  }
  if (opts.lowercase) s = apply_norm_step(NormStep::kLowercase, s);
  return s;
}

void bert_pre_tokenize(std::string_view s, std::vector<std::string_view>* words) {
  size_t i = 0, word_start = 0;
  bool in_word = false;
  while (i < s.size()) {
    size_t at = i;
    unsigned char b = s[i];
    char32_t c = b < 0x80 ? (++i, b) : utf8_decode(s, &i);
    bool space = is_bert_whitespace(c);
    bool punct = !space && is_bert_punctuation(c);
    if (space || punct) {
      if (in_word) words->push_back(s.substr(word_start, at - word_start));
      in_word = false;
      if (punct) words->push_back(s.substr(at, i - at));
    } else if (!in_word) {
      in_word = true;
      word_start = at;
    }
  }
  if (in_word) words->push_back(s.substr(word_start));
}

}  // namespace lm::tok
