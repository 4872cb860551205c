// bpe_spec.h: BpeSpec, the plain description of a byte-level BPE tokenizer (vocabulary as raw
// token bytes, merges in rank order, the pre-tokenizer split pattern, special tokens). Loaders
// (formats.h) produce one, the trainer (tokwp) produces one, and Tokenizer::from_bpe consumes one.
// Not here: the encoder itself (bpe.h) or the GPT-2 byte<->unicode mapping (byte_level.h).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lm::tok {

// The split patterns of the known encodings (PCRE2 syntax), as tiktoken/HF use them.
inline constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
inline constexpr const char* kR50kPattern =
    R"('(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s)";
inline constexpr const char* kCl100kPattern =
    R"('(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s)";
// cl100k_base as npm tiktoken and HF conversions spell it (no possessive quantifiers); the same
// pieces as kCl100kPattern except for trailing whitespace, and the same ids.
inline constexpr const char* kCl100kNpmPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
inline constexpr const char* kO200kPattern =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

struct BpeSpec {
  std::vector<std::string> tokens;  // id -> raw token bytes (not the GPT-2 unicode form)
  std::vector<std::pair<std::string, std::string>> merges;  // merge rank order; raw bytes of parts
  std::string pattern;  // pre-tokenizer split regex (PCRE2 syntax)
  std::vector<std::pair<std::string, uint32_t>> special_tokens;  // text -> id
};

}  // namespace lm::tok
