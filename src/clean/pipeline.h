// pipeline.h: `lmforge clean`: read documents, run the recipe's stages ([pipeline].order) on all
// cores, write kept and removed documents (each removed one with {"stage","rule","value"}) as
// JSONL.zst under DIR/kept and DIR/removed, the lines that line rules took out under
// DIR/removed-lines (one record per line: {"id","text","removed":{"stage","rule","line",
// "document"}}), then deduplicate (the dedup module) and write DIR/stats.json. A progress block
// shows documents into and out of every stage.
// Work is split by input file: file i belongs to rank i % world; each file is one resumable
// unit whose outputs are checksummed in DIR/.state. Output bytes do not depend on threads.
#pragma once

#include <string>
#include <vector>

#include "clean/config.h"
#include "clean/stats.h"
#include "core/status.h"
#include "io/document.h"

namespace lm::clean {

struct CleanOptions {
  std::vector<std::string> inputs;
  std::string out_dir;
  io::ReaderOptions read;
  int threads = 0;  // 0 = all cores
  int rank = 0, world = 1;
  bool resume = false;
  std::string fingerprint;  // config identity (e.g. the config text); --resume refuses another
  uint64_t batch_bytes = 1ULL << 20;  // per batch a worker filters (outputs do not depend on it)
  uint64_t shard_bytes = 64ULL << 20;
  double wait_timeout_s = 7 * 86400.0;  // world > 1: waiting for the other ranks before dedup
};

Result<CleanStats> run_clean(const CleanConfig& config, const CleanOptions& options);

// The removed-document record: `extra_json` with "removed": {"stage","rule","value"[,"lang"]}
// added (other members kept).
std::string add_removed(const std::string& extra_json, std::string_view stage,
                        std::string_view rule, double value, const std::string& detail);

}  // namespace lm::clean
