// hf_post_process.h: what an HF tokenizer.json adds to the ids of one text after the model has
// encoded it, in HF's order (TokenizerImpl::post_process): truncation (its "truncation"
// section; max_length counts the post_processor's special tokens when they are added), then the
// post_processor's special tokens (TemplateProcessing "single", BertProcessing,
// RobertaProcessing, ByteLevel = none, Sequence of these), then padding (its "padding"
// section). Single sequences only (lmforge encodes one text at a time): no pairs, no overflow.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace lm::tok {

// HF TruncationParams. `stride` only shapes HF's overflowing pieces, which lmforge does not
// return; it is kept for the notice.
struct Truncation {
  enum class Strategy { kLongestFirst, kOnlyFirst, kOnlySecond };
  size_t max_length = 512;
  size_t stride = 0;
  Strategy strategy = Strategy::kLongestFirst;
  bool left = false;  // direction Left: keep the last max_length ids
};

// HF PaddingParams. BatchLongest over one text pads to its own length (then to a multiple).
struct Padding {
  std::optional<size_t> fixed;    // strategy {"Fixed": n}; unset: BatchLongest
  size_t pad_to_multiple_of = 0;  // 0: none
  uint32_t pad_id = 0;
  std::string pad_token = "[PAD]";
  bool left = false;  // direction Left: pads go first
};

// The special tokens the post_processor puts around a single sequence: prefix $A suffix.
struct PostTemplate {
  std::string kind;  // "TemplateProcessing", "BertProcessing", ... ("" when none)
  std::vector<uint32_t> prefix, suffix;
  size_t added() const { return prefix.size() + suffix.size(); }
};

struct HfPostProcess {
  PostTemplate post;
  std::optional<Truncation> truncation;
  std::optional<Padding> padding;
};

// Reads "post_processor", "truncation" and "padding" of a parsed tokenizer.json; `path` names the
// file in errors. An unknown post_processor type is an error (its ids would be wrong).
Result<HfPostProcess> parse_hf_post_process(const nlohmann::json& tokenizer_json,
                                            const std::string& path);

// Applies truncation (when set), the template (when add_special_tokens) and padding (when set)
// to `ids`, the model's ids of one text, exactly as HF's encode(text, add_special_tokens) does.
Status apply_hf_post_process(const HfPostProcess& p, bool add_special_tokens,
                             std::vector<uint32_t>* ids);

// One line saying what the file's truncation / padding sections do to encode ("" when it has
// neither), e.g. "truncation: each text is cut to its first 50 ids (tokenizer.json's
// \"truncation\" section, as HF does)".
std::string describe_hf_post_process(const HfPostProcess& p);

}  // namespace lm::tok
