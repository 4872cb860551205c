// corpus_stats.h: figures about a set of documents (`lmforge corpus stats`): counts, bytes,
// characters, documents per language and per source, and document-length percentiles in
// characters. Memory is bounded: lengths go into a histogram (exact below 65536 characters,
// within 1/64 relative above), so percentiles of very long documents are approximate.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/document.h"

namespace lm::io {

struct CorpusStats {
  uint64_t documents = 0;
  uint64_t bytes = 0;       // UTF-8 bytes of text
  uint64_t characters = 0;  // code points of text
  uint64_t empty_documents = 0;
  std::map<std::string, uint64_t> docs_by_lang, bytes_by_lang;      // "" = untagged
  std::map<std::string, uint64_t> docs_by_source, bytes_by_source;  // "" = unknown
  uint64_t min_chars = 0, max_chars = 0;
  std::vector<std::pair<double, uint64_t>> percentiles;  // (p, characters), p in {1,10,50,90,99}

  void add(const Document& doc);
  void finish();  // computes the percentiles

 private:
  std::vector<uint64_t> small_ = std::vector<uint64_t>(65536);
  std::map<uint32_t, uint64_t> large_;  // log bucket -> count
};

// Reads every document of `reader` into stats (reader stats are left in the reader).
Status compute_stats(DocumentReader* reader, CorpusStats* stats);

// The `--json` records of `lmforge corpus`: a reader's counters (with this process's peak RSS),
// and the corpus statistics with them.
nlohmann::json reader_stats_json(const ReaderStats& s);
nlohmann::json corpus_stats_json(const CorpusStats& s, const ReaderStats& rs);
// "N files; skipped N malformed records; repaired N and dropped N documents with invalid UTF-8".
std::string reader_stats_summary(const ReaderStats& s);

}  // namespace lm::io
