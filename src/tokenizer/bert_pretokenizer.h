// bert_pretokenizer.h: BERT's basic tokenizer as HF tokenizers runs it: BertNormalizer (drop NUL,
// U+FFFD and control characters except \t \n \r; map white space to ' '; pad CJK ideographs
// with spaces; NFD + drop Mn when stripping accents; lowercase per code point) then
// BertPreTokenizer (split on white space, isolate each punctuation character: ASCII punctuation
// and Unicode P*). Character classes, NFD and the CJK set (uni::is_bert_chinese_char, HF's
// exact blocks) come from uni/. Not here: WordPiece itself (wordpiece.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lm::tok {

struct BertNormalizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool strip_accents = true;  // HF: strip_accents.unwrap_or(lowercase)
  bool lowercase = true;
};

bool is_bert_punctuation(char32_t c);  // ASCII punctuation or Unicode P*
bool is_bert_whitespace(char32_t c);   // White_Space (Rust's char::is_whitespace)
bool is_bert_control(char32_t c);      // C* except \t \n \r

// HF BertNormalizer. Invalid UTF-8 bytes become U+FFFD (and are then dropped by clean_text).
std::string bert_normalize(std::string_view text, const BertNormalizerOptions& opts);

// HF BertPreTokenizer over normalized text: appends views into `normalized`.
void bert_pre_tokenize(std::string_view normalized, std::vector<std::string_view>* words);

}  // namespace lm::tok
