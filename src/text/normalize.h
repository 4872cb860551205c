// normalize.h: clean's text normalisation (its `normalize` step, before the filters): Unicode
// NFKC, control characters removed, runs of white space collapsed, punctuation variants mapped
// to ASCII (curly quotes, dashes), and optionally lowercase and accent stripping (é -> e: NFD,
// drop Mn, NFC). The Unicode operations are uni/normalize.h's; pure ASCII input skips ICU
// entirely (ASCII is NFKC-invariant): one pass over bytes. Not here: the tokenizer's HF
// normalizers (tokenizer/normalizer.h) and dedup's word normalisation (dedup/minhash.cc).
#pragma once

#include <string>
#include <string_view>

namespace lm::text {

struct NormalizeOptions {
  bool nfkc = true;
  bool remove_controls = true;       // C0/C1 controls except \t \n, zero-width chars, soft hyphen
  bool remove_ansi_escapes = false;  // terminal escapes whole ("\x1b[32m"), before the rest
  bool collapse_whitespace = true;  // spaces/tabs runs -> one space, lines trimmed, <= 1 blank line
  bool map_punctuation = true;      // ‘’ -> ', “”«» -> ", – — ― -> -
  bool lowercase = false;
  bool strip_accents = false;
};

class CleanNormalizer {
 public:
  explicit CleanNormalizer(const NormalizeOptions& options);
  // Thread-safe. Invalid UTF-8 is replaced by U+FFFD first.
  std::string normalize(std::string_view text) const;
  // Same result as *text = normalize(*text), without a copy when the text is already normal
  // (the common case). Returns true when the text changed.
  bool normalize_in_place(std::string* text) const;
  const NormalizeOptions& options() const { return options_; }

 private:
  std::string unicode_text(std::string_view text) const;
  NormalizeOptions options_;
};

// `text` without its terminal escape sequences: CSI (ESC [ parameters intermediates final, e.g.
// the colour codes "\x1b[32m" ... "\x1b[m" of fortune files) and two-byte escapes (ESC and one
// of @ A-Z [ \ ] ^ _); a lone ESC goes too. remove_controls alone would drop the ESC and leave
// "[32m" in the text.
std::string strip_ansi_escapes(std::string_view text);

// True when the code point pass (controls, white space, punctuation) would leave valid UTF-8
// `text` unchanged; exposed for tests.
bool byte_pass_is_identity(std::string_view text, const NormalizeOptions& options);
// The generic code point pass alone (no ICU); normalize() has a faster one for ASCII text that
// must give the same result (tests compare them).
std::string code_point_pass(std::string_view text, const NormalizeOptions& options);

}  // namespace lm::text
