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
  bool remove_controls = true;      // C0/C1 controls except \t \n, zero-width chars, soft hyphen
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
  const NormalizeOptions& options() const { return options_; }

 private:
  Normalizer() = default;
  std::string unicode_pass(std::string_view text) const;
  NormalizeOptions options_;
  const void* nfkc_ = nullptr;  // icu::Normalizer2 (owned by ICU)
  const void* nfd_ = nullptr;
  const void* nfc_ = nullptr;
};

}  // namespace lm::text
