// corpus_stats.cc: see corpus_stats.h. Percentiles use the nearest-rank definition.
#include "io/corpus_stats.h"

#include <fmt/core.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "core/progress.h"
#include "uni/utf8.h"

namespace lm::io {
namespace {

// Bucket of a length >= 65536: 64 sub-buckets per power of two.
uint32_t bucket_of(uint64_t n) {
  int e = 63 - std::countl_zero(n);
  uint32_t sub = static_cast<uint32_t>((n >> (e - 6)) & 63);
  return static_cast<uint32_t>(e) * 64 + sub;
}
uint64_t bucket_floor(uint32_t b) {
  uint32_t e = b / 64, sub = b % 64;
  return (uint64_t{1} << e) + (uint64_t{sub} << (e - 6));
}

}  // namespace

void CorpusStats::add(const Document& doc) {
  uint64_t chars = uni::utf8_length(doc.text);
  if (documents == 0 || chars < min_chars) min_chars = chars;
  max_chars = std::max(max_chars, chars);
  ++documents;
  bytes += doc.text.size();
  characters += chars;
  empty_documents += doc.text.empty();
  ++docs_by_lang[doc.lang];
  bytes_by_lang[doc.lang] += doc.text.size();
  ++docs_by_source[doc.source];
  bytes_by_source[doc.source] += doc.text.size();
  if (chars < small_.size()) {
    ++small_[chars];
  } else {
    ++large_[bucket_of(chars)];
  }
}

void CorpusStats::finish() {
  percentiles.clear();
  if (documents == 0) return;
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0}) {
    uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(p / 100 * documents)));
    uint64_t seen = 0, value = max_chars;
    bool found = false;
    for (size_t i = 0; i < small_.size() && !found; ++i) {
      seen += small_[i];
      if (seen >= rank) value = i, found = true;
    }
    for (auto it = large_.begin(); it != large_.end() && !found; ++it) {
      seen += it->second;
      if (seen >= rank) value = bucket_floor(it->first), found = true;
    }
    percentiles.emplace_back(p, std::clamp(value, min_chars, max_chars));
  }
}

Status compute_stats(DocumentReader* reader, CorpusStats* stats) {
  Document doc;
  for (;;) {
    LM_ASSIGN_OR_RETURN(bool more, reader->next(&doc));
    if (!more) break;
    stats->add(doc);
  }
  stats->finish();
  return ok_status();
}

nlohmann::json reader_stats_json(const ReaderStats& s) {
  return {{"peak_rss_bytes", peak_rss_bytes()},
          {"files", s.files},
          {"skipped_records", s.skipped_records},
          {"repaired_utf8", s.repaired_utf8},
          {"skipped_utf8", s.skipped_utf8}};
}

std::string reader_stats_summary(const ReaderStats& s) {
  return fmt::format(
      "{} files; skipped {} malformed records; repaired {} and dropped {} "
      "documents with invalid UTF-8",
      s.files, s.skipped_records, s.repaired_utf8, s.skipped_utf8);
}

nlohmann::json corpus_stats_json(const CorpusStats& s, const ReaderStats& rs) {
  nlohmann::json j = reader_stats_json(rs);
  j["documents"] = s.documents;
  j["bytes"] = s.bytes;
  j["characters"] = s.characters;
  j["empty_documents"] = s.empty_documents;
  nlohmann::json len = {{"min", s.min_chars}, {"max", s.max_chars}};
  for (const auto& [p, v] : s.percentiles) len[fmt::format("p{}", p)] = v;
  j["length_chars"] = len;
  for (const auto& [k, v] : s.docs_by_lang) {
    j["languages"][k] = {{"documents", v}, {"bytes", s.bytes_by_lang.at(k)}};
  }
  for (const auto& [k, v] : s.docs_by_source) {
    j["sources"][k] = {{"documents", v}, {"bytes", s.bytes_by_source.at(k)}};
  }
  return j;
}

}  // namespace lm::io
