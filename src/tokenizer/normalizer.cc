// normalizer.cc: NFC/NFD/NFKC/NFKD through ICU's Normalizer2 (UTF-8 API), Lowercase per code
// point (u_strToLower on one code point: the full, context-free mapping, as Rust's
// char::to_lowercase), StripAccents (drop marks: Mn, Mc, Me), and the HF JSON form of a sequence of
// steps.
#include "tokenizer/normalizer.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/ustring.h>

#include <algorithm>
#include <cctype>

#include "core/utf8.h"

namespace lm::tok {
namespace {

bool is_ascii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

const icu::Normalizer2* icu_normalizer(NormStep step) {
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* n = nullptr;
  switch (step) {
    case NormStep::kNfc:
      n = icu::Normalizer2::getNFCInstance(err);
      break;
    case NormStep::kNfd:
      n = icu::Normalizer2::getNFDInstance(err);
      break;
    case NormStep::kNfkc:
      n = icu::Normalizer2::getNFKCInstance(err);
      break;
    case NormStep::kNfkd:
      n = icu::Normalizer2::getNFKDInstance(err);
      break;
    default:
      break;
  }
  LM_CHECK(n != nullptr && U_SUCCESS(err), "ICU normalizer unavailable: {}", u_errorName(err));
  return n;
}

std::string icu_normalize(NormStep step, std::string_view text) {
  if (is_ascii(text)) return std::string(text);
  std::string valid = utf8_repair(text);
  std::string out;
  out.reserve(valid.size() + valid.size() / 8);
  icu::StringByteSink<std::string> sink(&out);
  UErrorCode err = U_ZERO_ERROR;
  icu_normalizer(step)->normalizeUTF8(0, icu::StringPiece(valid.data(), valid.size()), sink,
                                      nullptr, err);
  LM_CHECK(U_SUCCESS(err), "ICU normalizeUTF8 failed: {}", u_errorName(err));
  return out;
}

std::string lowercase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    unsigned char b = text[i];
    if (b < 0x80) {
      out.push_back(static_cast<char>(std::tolower(b)));
      ++i;
    } else {
      append_lowercase(utf8_decode(text, &i), &out);
    }
  }
  return out;
}

}  // namespace

std::string strip_marks(std::string_view text, bool nonspacing_only) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    unsigned char b = text[i];
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
      ++i;
      continue;
    }
    char32_t c = utf8_decode(text, &i);
    int8_t t = u_charType(static_cast<UChar32>(c));
    bool mark = t == U_NON_SPACING_MARK ||
                (!nonspacing_only && (t == U_COMBINING_SPACING_MARK || t == U_ENCLOSING_MARK));
    if (!mark) utf8_append(&out, c);
  }
  return out;
}

void append_lowercase(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(std::tolower(static_cast<int>(c))));
    return;
  }
  UChar src[2];
  int32_t src_len = 0;
  U16_APPEND_UNSAFE(src, src_len, static_cast<UChar32>(c));
  UChar dst[8];
  UErrorCode err = U_ZERO_ERROR;
  int32_t n = u_strToLower(dst, 8, src, src_len, "", &err);
  if (U_FAILURE(err) || n > 8) {
    utf8_append(out, c);
    return;
  }
  for (int32_t k = 0; k < n;) {
    UChar32 cp;
    U16_NEXT(dst, k, n, cp);
    utf8_append(out, static_cast<char32_t>(cp));
  }
}

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
    case NormStep::kLowercase:
      return lowercase(text);
    case NormStep::kStripAccents:
      return strip_marks(text, false);
    default:
      return icu_normalize(step, text);
  }
}

Result<Normalizer> Normalizer::parse(std::string_view spec) {
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
  return Normalizer(std::move(steps));
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

Result<Normalizer> Normalizer::from_json(const nlohmann::json& j) {
  std::vector<NormStep> steps;
  if (!j.is_null()) LM_RETURN_IF_ERROR(add_json_step(j, &steps));
  return Normalizer(std::move(steps));
}

nlohmann::json Normalizer::to_json() const {
  if (steps_.empty()) return nullptr;
  auto one = [](NormStep s) { return nlohmann::json{{"type", norm_step_name(s)}}; };
  if (steps_.size() == 1) return one(steps_[0]);
  nlohmann::json seq = nlohmann::json::array();
  for (NormStep s : steps_) seq.push_back(one(s));
  return {{"type", "Sequence"}, {"normalizers", seq}};
}

std::string Normalizer::normalize(std::string_view text) const {
  std::string cur(text);
  for (NormStep s : steps_) cur = apply_norm_step(s, cur);
  return cur;
}

}  // namespace lm::tok
