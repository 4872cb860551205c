// langid.cc: the CLD2 and fastText language identifiers (see langid.h).
#include "langid/langid.h"

#include <cld2/public/compact_lang_det.h>

#include <cstdio>  // before cld2, which uses FILE
#include <string>

#include "uni/utf8.h"

namespace CLD2 {
const char* LanguageCode(Language lang);  // from cld2/internal/lang_script.h
}

namespace lm::langid {
namespace {

std::string normalise_code(std::string code) {
  size_t dash = code.find_first_of("-_");
  if (dash != std::string::npos) code.resize(dash);  // zh-Hant -> zh
  for (char& c : code) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return code;
}

bool is_control_at(std::string_view s, size_t i, size_t* len) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  *len = 1;
  if (c < 0x20) return c != '\n' && c != '\t' && c != '\r';
  if (c == 0x7f) return true;
  if (c == 0xC2 && i + 1 < s.size()) {  // U+0080..U+009F
    unsigned char d = static_cast<unsigned char>(s[i + 1]);
    *len = 2;
    return d >= 0x80 && d <= 0x9F;
  }
  return false;
}

bool has_controls(std::string_view s) {
  size_t len;
  for (size_t i = 0; i < s.size(); ++i)
    if (is_control_at(s, i, &len)) return true;
  return false;
}

std::string without_controls(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t len;
    if (is_control_at(s, i, &len)) {
      out.push_back(' ');
      i += len;
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

class Cld2Identifier : public LanguageIdentifier {
 public:
  explicit Cld2Identifier(size_t max_bytes) : max_bytes_(max_bytes) {}
  LangPrediction predict(std::string_view text) const override {
    text = uni::utf8_prefix(text, max_bytes_);
    std::string clean;
    if (has_controls(text)) {  // CLD2 stops at bytes that are not interchange-valid
      clean = without_controls(text);
      text = clean;
    }
    CLD2::Language lang3[3];
    int percent3[3];
    double score3[3];
    int text_bytes = 0, valid_prefix = 0;
    bool reliable = false;
    CLD2::Language lang = CLD2::ExtDetectLanguageSummaryCheckUTF8(
        text.data(), static_cast<int>(text.size()), true, nullptr, 0, lang3, percent3, score3,
        nullptr, &text_bytes, &reliable, &valid_prefix);
    if (lang == CLD2::UNKNOWN_LANGUAGE) return {"un", 0};
    float score = static_cast<float>(percent3[0]) / 100.0f;
    if (lang3[0] != lang) score = 0.5f;
    return {normalise_code(CLD2::LanguageCode(lang)), score};
  }
  std::string name() const override { return "cld2"; }

 private:
  size_t max_bytes_;
};

class FastTextIdentifier : public LanguageIdentifier {
 public:
  FastTextIdentifier(std::unique_ptr<FastTextModel> model, size_t max_bytes)
      : model_(std::move(model)), max_bytes_(max_bytes) {}
  LangPrediction predict(std::string_view text) const override {
    auto labels = model_->predict(uni::utf8_prefix(text, max_bytes_), 1);
    if (labels.empty()) return {"un", 0};
    return {normalise_code(labels[0].label), labels[0].prob};
  }
  std::string name() const override { return "fasttext:" + model_->path(); }

 private:
  std::unique_ptr<FastTextModel> model_;
  size_t max_bytes_;
};

}  // namespace

Result<std::unique_ptr<LanguageIdentifier>> make_language_identifier(const LangIdOptions& o) {
  if (o.backend == "cld2") {
    if (!o.model.empty()) {
      return invalid_argument("language id: a model ({}) was given with backend cld2", o.model)
          .with_hint("set backend = \"fasttext\" to use a fastText model");
    }
    return std::unique_ptr<LanguageIdentifier>(new Cld2Identifier(o.max_bytes));
  }
  if (o.backend == "fasttext") {
    if (o.model.empty()) {
      return invalid_argument("language id: backend fasttext needs a model file")
          .with_hint("give one (e.g. lid.176.bin, or train one with `lmforge langid train`)");
    }
    LM_ASSIGN_OR_RETURN(auto model, FastTextModel::load(o.model));
    return std::unique_ptr<LanguageIdentifier>(
        new FastTextIdentifier(std::move(model), o.max_bytes));
  }
  return invalid_argument("language id: unknown backend \"{}\"", o.backend)
      .with_hint("use \"cld2\" or \"fasttext\"");
}

}  // namespace lm::langid
