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

// Scanners: the end of the piece that starts at pos (< text.size()).
size_t gpt2_next(std::string_view text, size_t pos);
size_t cl100k_next(std::string_view text, size_t pos);
size_t o200k_next(std::string_view text, size_t pos);

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
    switch (kind_) {  // once per text, not per piece
      case SplitKind::kGpt2:
        return split_with(text, f, [](std::string_view t, size_t p) { return gpt2_next(t, p); });
      case SplitKind::kCl100k:
        return split_with(text, f, [](std::string_view t, size_t p) { return cl100k_next(t, p); });
      case SplitKind::kO200k:
        return split_with(text, f, [](std::string_view t, size_t p) { return o200k_next(t, p); });
      case SplitKind::kRegex:
        return split_with(text, f,
                          [this](std::string_view t, size_t p) { return regex_next(t, p); });
    }
  }
  SplitKind kind() const { return kind_; }
  const std::string& pattern() const { return pattern_; }

 private:
  struct Regex;
  template <typename F, typename Next>
  static void split_with(std::string_view text, F& f, const Next& next) {
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = next(text, pos);
      f(text.substr(pos, end - pos));
      pos = end;
    }
  }
  size_t regex_next(std::string_view text, size_t pos) const;
  SplitKind kind_ = SplitKind::kGpt2;
  std::string pattern_;
  std::unique_ptr<Regex> regex_;
};

}  // namespace lm::tok
