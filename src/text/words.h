// words.h: the word split the quality rules count with (Gopher, C4, FineWeb): runs of
// non-space characters, with a leading and a trailing run of punctuation split off as symbol
// words (nltk-like: "word," -> "word" ","; "..." stays one), and every character of a script
// written without spaces (uni::is_written_without_spaces: Han, kana, Bopomofo, Thai, Lao, Khmer;
// not Hangul, whose words are separated by spaces) a word of its own. Views point into the text.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace lm::text {

struct Word {
  std::string_view text;
  uint32_t length = 0;  // code points
  bool alpha = false;   // has an alphabetic character
  bool symbol = false;  // only punctuation/symbol characters
};

// Appends the words of `text` to *out (which is not cleared).
void split_words(std::string_view text, std::vector<Word>* out);

}  // namespace lm::text
