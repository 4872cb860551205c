// normalize.h: text normalisation before filtering and dedup: Unicode NFKC (ICU), control
// characters removed, runs of white space collapsed, punctuation variants mapped to ASCII
// (curly quotes, dashes), and optionally lowercase and accent stripping (é -> e: NFD, drop Mn,
// NFC). Pure ASCII input skips ICU entirely (ASCII is NFKC-invariant): one pass over bytes.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

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

class Normalizer {
 public:
  static Result<std::unique_ptr<Normalizer>> create(const NormalizeOptions& options);
  ~Normalizer();
  // Thread-safe. Invalid UTF-8 is replaced by U+FFFD first.
  std::string normalize(std::string_view text) const;
  // Same result as *text = normalize(*text), without a copy when the text is already normal
  // (the common case). Returns true when the text changed.
  bool normalize_in_place(std::string* text) const;
  const NormalizeOptions& options() const { return options_; }

 private:
  Normalizer() = default;
  std::string unicode_pass(std::string_view text) const;
  std::string unicode_text(std::string_view text) const;
  NormalizeOptions options_;
  const void* nfkc_ = nullptr;  // icu::Normalizer2 (owned by ICU)
  const void* nfd_ = nullptr;
  const void* nfc_ = nullptr;
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
