// pretokenize.h: the pre-tokenizer of byte-level BPE: splits text into pieces exactly as the
// split regex of GPT-2 (= r50k/p50k, HF ByteLevel), cl100k_base or o200k_base would, with
// hand-written scanners (Unicode categories from a table built from ICU), and with PCRE2
// (UTF + UCP + JIT, invalid UTF-8 allowed) for any other pattern. Invalid UTF-8 bytes are
// single characters that are neither letters, numbers nor whitespace. Thread-safe (const).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace lm::tok {

enum class SplitKind { kGpt2, kCl100k, kO200k, kRegex };

// Which scanner a pattern gets: the known patterns (both tiktoken's npm and Python spellings)
// map to their scanner, anything else to kRegex.
SplitKind split_kind_of(std::string_view pattern);

class PreTokenizer {
 public:
  // Compiles the pattern with PCRE2 unless a hand-written scanner implements it.
  static Result<PreTokenizer> create(const std::string& pattern);
  PreTokenizer();
  ~PreTokenizer();
  PreTokenizer(PreTokenizer&&) noexcept;
  PreTokenizer& operator=(PreTokenizer&&) noexcept;

  // End of the piece that starts at `pos` (< text.size()); pieces tile the text exactly.
  size_t next_piece(std::string_view text, size_t pos) const;
  // Calls f(piece) for each piece of text, in order.
  template <typename F>
  void split(std::string_view text, F&& f) const {
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = next_piece(text, pos);
      f(text.substr(pos, end - pos));
      pos = end;
    }
  }
  SplitKind kind() const { return kind_; }
  const std::string& pattern() const { return pattern_; }

 private:
  struct Regex;
  size_t regex_next(std::string_view text, size_t pos) const;
  SplitKind kind_ = SplitKind::kGpt2;
  std::string pattern_;
  std::unique_ptr<Regex> regex_;
};

// Scanners, exposed for tests.
size_t gpt2_next(std::string_view text, size_t pos);
size_t cl100k_next(std::string_view text, size_t pos);
size_t o200k_next(std::string_view text, size_t pos);

}  // namespace lm::tok
