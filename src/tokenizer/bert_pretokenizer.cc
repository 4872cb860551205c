// bert_pretokenizer.cc: BertNormalizer and BertPreTokenizer (see the header). ASCII runs take a
// byte fast path; other code points use the character classes and NFD of uni/.
#include "tokenizer/bert_pretokenizer.h"

#include "uni/chars.h"
#include "uni/normalize.h"
#include "uni/utf8.h"

namespace lm::tok {
namespace {

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
    char32_t c = uni::utf8_decode(text, &i);
    if (o.clean_text) {
      if (c == 0xFFFD || is_bert_control(c)) continue;
      if (is_bert_whitespace(c)) {
        out.push_back(' ');
        continue;
      }
    }
    all_ascii = false;
    if (o.handle_chinese_chars && uni::is_bert_chinese_char(c)) {
      out.push_back(' ');
      uni::utf8_append(&out, c);
      out.push_back(' ');
    } else {
      uni::utf8_append(&out, c);
    }
  }
  *ascii = all_ascii;
  return out;
}

}  // namespace

bool is_bert_punctuation(char32_t c) { return uni::is_unicode_punctuation(c); }

bool is_bert_whitespace(char32_t c) { return uni::is_space(c); }

bool is_bert_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  return uni::is_other(c);
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
    s = uni::strip_nonspacing_marks(uni::normalize(uni::NormalForm::kNfd, s));  // Mn only
  }
  if (opts.lowercase) s = uni::lowercase_each_code_point(s);
  return s;
}

void bert_pre_tokenize(std::string_view s, std::vector<std::string_view>* words) {
  size_t i = 0, word_start = 0;
  bool in_word = false;
  while (i < s.size()) {
    size_t at = i;
    char32_t c = uni::utf8_decode(s, &i);
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
