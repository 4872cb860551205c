// formats.h: the token-shard formats pack writes and the file names it gives them.
//   megatron (native): train PREFIX.bin/.idx, val PREFIX.val.bin/.idx; EOT appended per document.
//   llmc: PREFIX_val_000000.bin, ... and PREFIX_train_000001.bin, ... (256 x int32 header);
//         EOT prepended per document; shards of --shard-tokens tokens (llm.c: 1e8).
//   nanogpt: PREFIX.nanogpt/train.bin and val.bin, raw tokens, EOT appended per document.
// Plus PREFIX.meta.json (meta.h) and, while a pack runs, PREFIX.pack-state.json (resume).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "dataset/indexed.h"

namespace lm::dataset {

enum class Split { kTrain, kVal };
enum class Format { kMegatron, kLlmc, kNanogpt };

const char* split_name(Split split);  // "train" | "val"
const char* format_name(Format format);
Result<Format> parse_format(const std::string& name);

// Megatron prefix of a split: PREFIX (train) or PREFIX.val (val).
std::string megatron_prefix(const std::string& prefix, Split split);
std::string llmc_shard_path(const std::string& prefix, Split split, int index);
std::string nanogpt_path(const std::string& prefix, Split split);
std::string meta_path(const std::string& prefix);
std::string state_path(const std::string& prefix);

// llm.c shard header (llm.c dev/data/data_common.py): 256 int32; [0] magic, [1] version,
// [2] token count. uint16 tokens: magic 20240520, version 1; uint32: 20240801, version 7.
inline constexpr int32_t kLlmcMagicU16 = 20240520, kLlmcVersionU16 = 1;
inline constexpr int32_t kLlmcMagicU32 = 20240801, kLlmcVersionU32 = 7;
inline constexpr size_t kLlmcHeaderInts = 256;

// llm.c and nanoGPT: uint16 when every id fits (vocab <= 65536), else uint32.
TokenDtype raw_dtype_for_vocab(uint64_t vocab_size);

}  // namespace lm::dataset
