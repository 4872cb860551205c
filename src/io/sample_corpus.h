// sample_corpus.h: builds the embedded sample corpus (`lmforge corpus sample`) from Debian text
// packages: the King James Bible (one document per chapter), GCIDE (blocks of dictionary
// entries), the fortune databases (en, de, es, it, ru, zh; one document per fortune) and the
// Jargon File (one document per entry). Output: JSONL.zst shards + manifest.json (written last).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/status.h"

namespace lm::io {

inline constexpr const char* kSampleVersion = "1";

struct SampleOptions {
  std::string out_dir;
  std::string system_root = "/";  // where /usr/share/... is looked up (tests)
  uint64_t shard_bytes = 16ULL << 20;
  bool force = false;  // rebuild even if a complete corpus of this version is there
};

struct SampleSourceStats {
  uint64_t documents = 0;
  uint64_t bytes = 0;
};

struct SampleResult {
  bool reused = false;  // the folder already held a complete corpus of this version
  uint64_t documents = 0;
  uint64_t bytes = 0;
  std::map<std::string, SampleSourceStats> by_source_lang;  // "source/lang"
  std::string manifest_path;
};

Result<SampleResult> build_sample_corpus(const SampleOptions& options);

}  // namespace lm::io
