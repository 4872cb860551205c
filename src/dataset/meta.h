// meta.h: PREFIX.meta.json, written last by `lmforge pack`: the tokenizer (path, vocabulary
// size, EOT id, fingerprint), the formats with their dtype and EOT convention, the split rule,
// the documents/tokens of each split and, for a pack with --weight, the source weights and the
// train documents/tokens of each source. The loader reads vocab_size and eot_id from it.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"

namespace lm::dataset {

// The train documents and tokens (with EOTs) written of one source, copies included.
struct SourceCount {
  uint64_t documents = 0, tokens = 0;
  bool operator==(const SourceCount&) const = default;
};

struct PackMeta {
  std::string tokenizer;        // path given to pack
  uint64_t tokenizer_hash = 0;  // hash of the tokenizer file's bytes
  uint64_t vocab_size = 0;
  uint32_t eot_id = 0;
  double val_fraction = 0;
  uint64_t train_documents = 0, train_tokens = 0;  // tokens include the EOTs
  uint64_t val_documents = 0, val_tokens = 0;
  nlohmann::json formats = nlohmann::json::object();  // name -> {dtype, eot, files}
  // --weight SOURCE=W (empty: an unweighted pack, and neither is written) and the train
  // documents/tokens of every source seen ("" for documents without one).
  std::map<std::string, double> source_weights;
  std::map<std::string, SourceCount> train_sources;
  int passes = 1;  // over the input: ceil of the largest weight
  nlohmann::json to_json() const;
};

// Per-source counts as meta.json's train.sources ({source: {"documents", "tokens"}}) and back
// (members that are not counts read as 0).
nlohmann::json source_counts_json(const std::map<std::string, SourceCount>& counts);
std::map<std::string, SourceCount> parse_source_counts(const nlohmann::json& j);

Status write_meta(const std::string& prefix, const PackMeta& meta);
// Reads PREFIX.meta.json; errors name the file.
Result<PackMeta> read_meta(const std::string& prefix);

}  // namespace lm::dataset
