// normalizer.h: the tokenizer normalizers of HF tokenizer.json as composable steps: NFC, NFD,
// NFKC, NFKD, Lowercase (per code point full mapping, as Rust's char::to_lowercase) and
// StripAccents (drops combining marks, General_Category M = Mn, Mc, Me, as HF's StripAccents;
// put NFD before it for é -> e, as "strip_accents" in parse() does), each one function of
// uni/normalize.h. A NormalizerSequence is a sequence of steps; it reads and writes the HF JSON
// ("NFC", ..., "Sequence"). Not here: the BERT normalizer (bert_pretokenizer.h), clean's text
// normalisation (text/normalize.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace lm::tok {

enum class NormStep { kNfc, kNfd, kNfkc, kNfkd, kLowercase, kStripAccents };

const char* norm_step_name(NormStep step);  // the HF type name: "NFC", ..., "StripAccents"

// One step applied to UTF-8 text; invalid UTF-8 becomes U+FFFD. Thread-safe.
std::string apply_norm_step(NormStep step, std::string_view text);

class NormalizerSequence {
 public:
  NormalizerSequence() = default;
  explicit NormalizerSequence(std::vector<NormStep> steps) : steps_(std::move(steps)) {}
  // "nfkc,lowercase,strip_accents" (comma separated; case-insensitive; "strip_accents" and
  // "strip-accents" mean NFD then StripAccents; "none" or "" is the empty sequence).
  static Result<NormalizerSequence> parse(std::string_view spec);
  // An HF normalizer object (null -> empty). Unknown types are a kUnimplemented error.
  static Result<NormalizerSequence> from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;  // null when empty, one object, or a Sequence

  std::string normalize(std::string_view text) const;  // thread-safe
  const std::vector<NormStep>& steps() const { return steps_; }
  bool empty() const { return steps_.empty(); }

 private:
  std::vector<NormStep> steps_;
};

}  // namespace lm::tok
