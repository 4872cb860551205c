// normalizer.cc: the HF normalizer steps over uni/normalize.h (NFC/NFD/NFKC/NFKD through ICU,
// Lowercase per code point as Rust's char::to_lowercase, StripAccents = drop Mn, Mc, Me), and
// the HF JSON form of a sequence of steps.
#include "tokenizer/normalizer.h"

#include <algorithm>
#include <cctype>

#include "uni/normalize.h"

namespace lm::tok {

const char* norm_step_name(NormStep step) {
  switch (step) {
    case NormStep::kNfc:
      return "NFC";
    case NormStep::kNfd:
      return "NFD";
    case NormStep::kNfkc:
      return "NFKC";
    case NormStep::kNfkd:
      return "NFKD";
    case NormStep::kLowercase:
      return "Lowercase";
    case NormStep::kStripAccents:
      return "StripAccents";
  }
  return "?";
}

std::string apply_norm_step(NormStep step, std::string_view text) {
  switch (step) {
    case NormStep::kNfc:
      return uni::normalize(uni::NormalForm::kNfc, text);
    case NormStep::kNfd:
      return uni::normalize(uni::NormalForm::kNfd, text);
    case NormStep::kNfkc:
      return uni::normalize(uni::NormalForm::kNfkc, text);
    case NormStep::kNfkd:
      return uni::normalize(uni::NormalForm::kNfkd, text);
    case NormStep::kLowercase:
      return uni::lowercase_each_code_point(text);
    case NormStep::kStripAccents:
      return uni::strip_marks(text);
  }
  return std::string(text);
}

Result<NormalizerSequence> NormalizerSequence::parse(std::string_view spec) {
  std::vector<NormStep> steps;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t end = spec.find(',', start);
    if (end == std::string_view::npos) end = spec.size();
    std::string name(spec.substr(start, end - start));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
      return c == '-' ? '_' : static_cast<char>(std::tolower(c));
    });
    if (name == "nfc")
      steps.push_back(NormStep::kNfc);
    else if (name == "nfd")
      steps.push_back(NormStep::kNfd);
    else if (name == "nfkc")
      steps.push_back(NormStep::kNfkc);
    else if (name == "nfkd")
      steps.push_back(NormStep::kNfkd);
    else if (name == "lowercase" || name == "lower")
      steps.push_back(NormStep::kLowercase);
    else if (name == "strip_accents") {
      steps.push_back(NormStep::kNfd);
      steps.push_back(NormStep::kStripAccents);
    } else if (name == "strip_marks")
      steps.push_back(NormStep::kStripAccents);
    else if (!name.empty() && name != "none") {
      return Status(Code::kInvalidArgument, "unknown normalizer step '" + name + "'",
                    "use nfc, nfd, nfkc, nfkd, lowercase, strip_accents (comma separated)");
    }
    start = end + 1;
  }
  return NormalizerSequence(std::move(steps));
}

static Status add_json_step(const nlohmann::json& j, std::vector<NormStep>* steps) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    return invalid_argument("normalizer: expected an object with a \"type\" string");
  }
  std::string type = j["type"];
  if (type == "Sequence") {
    if (!j.contains("normalizers") || !j["normalizers"].is_array()) {
      return invalid_argument("normalizer Sequence: missing \"normalizers\" array");
    }
    for (const auto& s : j["normalizers"]) LM_RETURN_IF_ERROR(add_json_step(s, steps));
    return ok_status();
  }
  for (NormStep s : {NormStep::kNfc, NormStep::kNfd, NormStep::kNfkc, NormStep::kNfkd,
                     NormStep::kLowercase, NormStep::kStripAccents}) {
    if (type == norm_step_name(s)) {
      steps->push_back(s);
      return ok_status();
    }
  }
  return Status(Code::kUnimplemented, "normalizer type '" + type + "' is not supported",
                "supported: NFC, NFD, NFKC, NFKD, Lowercase, StripAccents, Sequence");
}

Result<NormalizerSequence> NormalizerSequence::from_json(const nlohmann::json& j) {
  std::vector<NormStep> steps;
  if (!j.is_null()) LM_RETURN_IF_ERROR(add_json_step(j, &steps));
  return NormalizerSequence(std::move(steps));
}

nlohmann::json NormalizerSequence::to_json() const {
  if (steps_.empty()) return nullptr;
  auto one = [](NormStep s) { return nlohmann::json{{"type", norm_step_name(s)}}; };
  if (steps_.size() == 1) return one(steps_[0]);
  nlohmann::json seq = nlohmann::json::array();
  for (NormStep s : steps_) seq.push_back(one(s));
  return {{"type", "Sequence"}, {"normalizers", seq}};
}

std::string NormalizerSequence::normalize(std::string_view text) const {
  std::string cur(text);
  for (NormStep s : steps_) cur = apply_norm_step(s, cur);
  return cur;
}

}  // namespace lm::tok
