// sinks.h: where packed documents go. One TokenSink per (format, split) applies that format's
// end-of-text convention and dtype, writes through PartialFile (resumable) and commits its files
// in finish(). checkpoint() syncs and describes the sink so a later run can reopen it there.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "core/status.h"
#include "dataset/formats.h"

namespace lm::dataset {

struct SinkConfig {
  std::string prefix;
  Split split = Split::kTrain;
  uint64_t vocab_size = 0;
  uint32_t eot_id = 0;
  uint64_t shard_tokens = 100000000;  // llmc: tokens per shard (llm.c uses 1e8)
};

class TokenSink {
 public:
  virtual ~TokenSink() = default;
  virtual Status add(std::span<const uint32_t> doc) = 0;  // a document's tokens, without EOT
  virtual Status checkpoint(nlohmann::json* state) = 0;
  virtual Status finish(nlohmann::json* info) = 0;  // info: dtype, eot, files, tokens
  virtual void abandon() = 0;  // remove what it wrote: partial files and committed shards
};

// resume: a state from checkpoint() to continue from, or null to start empty.
Result<std::unique_ptr<TokenSink>> make_sink(Format format, const SinkConfig& config,
                                             const nlohmann::json* resume);

}  // namespace lm::dataset
