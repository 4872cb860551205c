// stats.h: what cleaning did, in numbers: documents and bytes into and out of every stage,
// removals per rule, lines and bytes taken by line rules, and in/kept/removed per source and
// per language. Counts are integers, so merging per-thread or per-rank stats in any order gives
// the same stats.json. Also renders the table the CLI prints.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"

namespace lm::clean {

struct Count {
  uint64_t docs = 0, bytes = 0;
  void add(uint64_t b) {
    ++docs;
    bytes += b;
  }
  void add(const Count& c) {
    docs += c.docs;
    bytes += c.bytes;
  }
};

struct StageStats {
  Count in, out;
  std::map<std::string, Count> removed;  // by rule
  std::map<std::string, Count> lines;    // line rules: docs = lines removed
  void merge(const StageStats& o);
};

struct GroupStats {
  Count in, kept;
  std::map<std::string, uint64_t> removed_by_stage;
};

struct CleanStats {
  Count input, kept, removed;
  std::vector<std::string> stage_order;
  std::map<std::string, StageStats> stages;
  std::map<std::string, GroupStats> by_source, by_lang;
  nlohmann::json dedup;  // the dedup module's stats (null when it did not run)
  // Thread-seconds per stage: printed and in --json, never in stats.json (they vary by run).
  std::map<std::string, double> seconds;

  StageStats& stage(const std::string& name);
  void merge(const CleanStats& o);
  nlohmann::json to_json() const;
  static Result<CleanStats> from_json(const nlohmann::json& j);
  // A plain-text table: one row per stage and rule, then per source and language.
  std::string table() const;
};

}  // namespace lm::clean
