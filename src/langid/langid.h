// langid.h: language identification of a document: CLD2 (compiled-in tables, works offline) or
// a fastText model given by the user (lid.176.bin, or one trained by `lmforge langid train`).
// Only a prefix of each document (max_bytes, cut on a UTF-8 boundary) is looked at, since
// language id is the slowest step of cleaning. Codes are ISO 639-1 ("en", "zh").
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "langid/fasttext_model.h"

namespace lm::langid {

struct LangPrediction {
  std::string lang;  // "un" when unknown
  float score = 0;   // 0..1 (CLD2: percent of text in the top language; fastText: probability)
};

struct LangIdOptions {
  std::string backend = "cld2";  // "cld2" | "fasttext"
  std::string model;             // fastText model path (backend fasttext)
  size_t max_bytes = 2048;       // prefix looked at; 0 = whole document
};

class LanguageIdentifier {
 public:
  virtual ~LanguageIdentifier() = default;
  // Thread-safe.
  virtual LangPrediction predict(std::string_view text) const = 0;
  virtual std::string name() const = 0;
};

Result<std::unique_ptr<LanguageIdentifier>> make_language_identifier(const LangIdOptions& options);

}  // namespace lm::langid
