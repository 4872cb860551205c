// info.h: `lmforge pack info`: what a packed prefix holds (documents, tokens, dtype, document
// length percentiles per split), with every shard validated (Megatron .idx/.bin agreement,
// llm.c headers, token ids inside the vocabulary), and the padding each loader mode wastes.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"

namespace lm::dataset {

// Validates an llm.c shard (magic, version, size = 1024 + itemsize * ntok) and, when
// vocab_size > 0, that every id is inside the vocabulary. Returns its token count.
Result<uint64_t> check_llmc_shard(const std::string& path, uint64_t vocab_size);

// Summary of PREFIX (meta.json + shards). verify: scan every token against the vocabulary.
Result<nlohmann::json> pack_info(const std::string& prefix, bool verify);

// One epoch of the train split through the loader in each mode at (B, T): fraction of input
// positions that are padding (pad mode: at fixed T, trimmed to each batch's longest row, and
// trimmed with length bucketing), loss-masked targets, tokens dropped, and the loader's own time
// per batch (for the loader-overhead figure; never pass/fail).
Result<nlohmann::json> padding_report(const std::string& prefix, int batch_size, int seq_len);

}  // namespace lm::dataset
