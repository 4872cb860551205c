// formats.h: readers and writers of byte-level BPE vocabulary files: tiktoken rank files
// (*.tiktoken, base64 token + rank per line; the encoding name in the file name gives the split
// pattern and special tokens), GPT-2's encoder.json + vocab.bpe (= HF vocab.json + merges.txt),
// and HF tokenizer.json (model BPE, ByteLevel or Split+ByteLevel pre-tokenizer, optional
// normalizer: normalizer.h). Errors name the file and line or JSON member. Not here: WordPiece
// files (wordpiece.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/status.h"
#include "tokenizer/bpe.h"
#include "tokenizer/bpe_spec.h"
#include "tokenizer/normalizer.h"

namespace lm::tok {

struct LoadedBpe {
  BpeSpec spec;
  BpeOptions options;
  NormalizerSequence normalizer;  // tokenizer.json's "normalizer" (empty for the other formats)
};

// The known tiktoken encodings: pattern and special tokens by name (r50k_base, gpt2,
// p50k_base, p50k_edit, cl100k_base, o200k_base); false when the name is unknown.
bool known_encoding(std::string_view name, std::string* pattern,
                    std::vector<std::pair<std::string, uint32_t>>* specials);
// The known encoding whose name appears in `path`'s file name, or "".
std::string encoding_from_file_name(const std::string& path);

Result<LoadedBpe> load_tiktoken(const std::string& path);
// Parses rank-file text (for tests and load_tiktoken); `path` names it in errors.
Result<std::vector<std::string>> parse_tiktoken_ranks(std::string_view text,
                                                      const std::string& path);
// encoder.json (or vocab.json) with vocab.bpe (or merges.txt) in the same folder.
Result<LoadedBpe> load_gpt2(const std::string& encoder_json_path);
// A parsed tokenizer.json whose model.type is "BPE".
Result<LoadedBpe> load_hf_bpe(const nlohmann::json& j, const std::string& path);

// The text of an HF tokenizer.json for a BPE model (loadable by HF tokenizers), with
// `normalizer` as its "normalizer" member (null when empty).
Result<std::string> bpe_to_hf_json(const BpeModel& model,
                                   const NormalizerSequence& normalizer = {});
Status save_tiktoken(const BpeModel& model, const std::string& path);

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace lm::tok
