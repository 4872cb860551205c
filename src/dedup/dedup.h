// dedup.h: corpus deduplication: exact (hash of the normalised word stream), near-duplicate
// (MinHash over word n-gram shingles + LSH banding, clusters by a union-find that keeps the first
// document in input order) and line/paragraph dedup across the corpus (CCNet-style). Work runs in
// datatrove's four stages (signatures per rank -> buckets -> clusters -> filter) through
// checksummed, externally sorted files in a work folder, so memory stays bounded and
// `--rank/--world` processes give the same result as one. This header is the module's contract.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "io/document.h"

namespace lm::dedup {

// MinHash + LSH settings. Presets: "datatrove" (5-word shingles, 14 bands x 8 rows, the
// default) and "nemo" (20 x 13; NeMo shingles 24 characters, we keep 5 words).
struct MinHashParams {
  int ngram = 5;  // words per shingle (CJK: characters per shingle when cjk_chars)
  int bands = 14;
  int rows = 8;
  uint64_t seed = 1;      // seeds the permutations; part of the result
  bool cjk_chars = true;  // CJK text: one "word" per character (false: ICU dictionary words)
  int num_hashes() const { return bands * rows; }
};

Result<MinHashParams> minhash_preset(std::string_view name);  // "datatrove" | "nemo"

// The similarity at which a pair is found with probability ~1/2: (1/bands)^(1/rows).
double lsh_threshold(int bands, int rows);
// P(a pair of Jaccard similarity s shares at least one band) = 1 - (1 - s^rows)^bands.
double lsh_match_probability(double s, int bands, int rows);
// The S-curve: (s, P(match)) for s = 0, 1/(points-1), ..., 1.
std::vector<std::pair<double, double>> lsh_s_curve(int bands, int rows, int points = 21);

enum class LineUnit { kLines, kParagraphs };  // paragraphs: split on blank lines

// Which stage(s) this call runs. kAll runs the four in order, waiting (polling the work folder)
// for the other ranks where a stage needs their files; the single stages let a scheduler chain
// them as separate jobs (every rank runs signatures, buckets and filter; rank 0 runs clusters).
enum class Stage { kAll, kSignatures, kBuckets, kClusters, kFilter };
Result<Stage> parse_stage(std::string_view name);  // all|signatures|buckets|clusters|filter
const char* stage_name(Stage stage);

struct DedupOptions {
  bool exact = true;   // identical normalised text
  bool near = true;    // MinHash + LSH
  bool lines = false;  // drop lines/paragraphs seen earlier in the corpus
  LineUnit line_unit = LineUnit::kLines;
  MinHashParams minhash;
  // A near pair found by LSH is joined only when its estimated Jaccard similarity (share of
  // equal minimums over all bands x rows) is at least this: < 0 = the implied threshold
  // (1/b)^(1/r) (default), 0 = no check (datatrove's behaviour).
  double verify_threshold = -1;
  int threads = 0;  // 0 = all cores
  int rank = 0;     // this process's part of the inputs: files [rank*n/world, (rank+1)*n/world)
  int world = 1;
  Stage stage = Stage::kAll;
  std::string work_dir;    // intermediate files (required); shared by all ranks
  bool resume = false;     // skip stages whose marker exists (other inputs: redone; other
                           // options: refused)
  bool keep_work = false;  // world == 1: keep work_dir after success (default: delete it)
  uint64_t memory_budget = 1ULL << 30;  // bytes for sort buffers (the sort spills runs past it)
  double wait_timeout_s = 7 * 86400.0;  // kAll with world > 1: how long to wait for other ranks
  // Filter stage: called before the documents of each of this rank's input files (index into
  // the expanded inputs, and its path) are written, so that a caller can give every input file
  // its own outputs (the clean pipeline does: its outputs then do not depend on --world).
  std::function<Status(int file, const std::string& path)> on_file;
};

struct RuleCount {
  uint64_t documents = 0;
  uint64_t bytes = 0;
};

struct GroupCount {  // per source / per language
  uint64_t documents_in = 0, bytes_in = 0, documents_kept = 0, bytes_kept = 0;
};

struct DedupStats {
  int rank = 0, world = 1;
  uint64_t files = 0;
  uint64_t documents_in = 0, bytes_in = 0;
  uint64_t documents_kept = 0, bytes_kept = 0;         // bytes_kept after line removal
  RuleCount exact, minhash, lines;                     // whole documents removed, by rule
  uint64_t lines_removed = 0, line_bytes_removed = 0;  // from kept and emptied documents
  uint64_t clusters = 0;  // near/exact duplicate clusters with >= 2 documents (whole corpus)
  std::map<uint64_t, uint64_t> cluster_sizes;  // size -> number of clusters (whole corpus)
  std::map<std::string, GroupCount> by_source, by_lang;
  std::map<std::string, double> stage_seconds;  // "signatures", "buckets", ...
  uint64_t signature_bytes = 0;  // text bytes hashed by the signatures stage (this rank)
  double signature_seconds = 0;  // thread CPU seconds computing keys (MinHash + exact + lines)

  nlohmann::json to_json() const;
  static Result<DedupStats> from_json(const nlohmann::json& j);
  // Adds another rank's per-document counts (cluster figures are global and not summed).
  void merge(const DedupStats& other);
};

// Runs `opts.stage` over `inputs` (files, folders, globs: io::expand_inputs). Kept documents go
// to `kept` (lines removed by line dedup), removed ones to `removed` with extra_json member
// "removed": {"stage":"dedup","rule":"exact|minhash|lines","value":<estimated Jaccard | lines
// removed>,"kept_id":"<id of the kept document of its cluster>"} merged into their extra_json.
// Writers are used only by the filter stage (they may be null for the others) and are not
// closed. `removed_lines`, when given, receives one record per line (or paragraph) that line
// dedup took out of a document: {"id","text":<the line>,"source","lang","removed":{"stage":
// "dedup","rule":"lines","line":<index>,"document":"kept"|"removed"}}. Same inputs + options give
// the same documents in the same order for any threads; with world > 1 the concatenation of the
// ranks' outputs in rank order equals world == 1.
Result<DedupStats> run_dedup_stage(const std::vector<std::string>& inputs,
                                   const io::ReaderOptions& read, const DedupOptions& opts,
                                   io::ShardWriter* kept, io::ShardWriter* removed,
                                   io::ShardWriter* removed_lines = nullptr);

// All stages (opts.stage is ignored), as the clean pipeline calls it.
Result<DedupStats> run_dedup(const std::vector<std::string>& inputs, const io::ReaderOptions& read,
                             const DedupOptions& opts, io::ShardWriter& kept,
                             io::ShardWriter& removed, io::ShardWriter* removed_lines = nullptr);

// With world > 1: every rank's filter stats from the work folder, merged (kAll waits for the
// ranks still filtering; a single stage needs them all done).
Result<DedupStats> collect_rank_stats(const std::vector<std::string>& inputs,
                                      const io::ReaderOptions& read, const DedupOptions& opts);

}  // namespace lm::dedup
