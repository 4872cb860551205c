// stages.h: what the four dedup stages share: the record types of the intermediate files, the
// work-folder layout, the job (files, rank ranges, fingerprints), and completion markers (entries
// of core's resume ledger, core/ledger.h).
// A document's key is (global file index << 40 | index in file): its place in input order.
// Internal to the dedup module; the contract is dedup.h.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/ledger.h"
#include "dedup/dedup.h"

namespace lm::dedup {

constexpr int kFileShift = 40;
inline uint64_t make_key(uint64_t file, uint64_t index) { return (file << kFileShift) | index; }
inline uint64_t key_file(uint64_t key) { return key >> kFileShift; }
inline uint64_t key_index(uint64_t key) { return key & ((1ULL << kFileShift) - 1); }
inline int hash_part(uint64_t h, int parts) {
  return static_cast<int>(((h >> 32) * static_cast<uint64_t>(parts)) >> 32);
}

struct BandRec {  // one LSH bucket entry
  uint64_t hash, key;
  uint32_t band, pad;
  bool operator<(const BandRec& o) const {
    if (band != o.band) return band < o.band;
    return hash != o.hash ? hash < o.hash : key < o.key;
  }
};
struct ExactRec {
  uint64_t hi, lo, key;
  bool operator<(const ExactRec& o) const {
    if (hi != o.hi) return hi < o.hi;
    return lo != o.lo ? lo < o.lo : key < o.key;
  }
};
struct LineRec {  // a line (or paragraph) and where it occurs
  uint64_t hash, key;
  uint32_t line, pad;
  bool operator<(const LineRec& o) const {
    if (hash != o.hash) return hash < o.hash;
    return key != o.key ? key < o.key : line < o.line;
  }
};
struct LineDrop {  // a line to drop in the filter stage
  uint64_t key;
  uint32_t line, pad;
  bool operator<(const LineDrop& o) const { return key != o.key ? key < o.key : line < o.line; }
};
enum EdgeKind : uint32_t { kEdgeExact = 1, kEdgeNear = 2 };
struct Edge {  // a (earlier) and b (later) are duplicates
  uint64_t a, b;
  uint32_t kind, pad;
};
enum RemovedRule : uint32_t { kRuleExact = 1, kRuleMinhash = 2 };

extern const char kSigMagic[8];
extern const char kIdsMagic[8];
extern const char kEdgeMagic[8];
extern const char kRemovedMagic[8];

// The job every stage of every rank sees identically.
struct Job {
  std::vector<std::string> files;  // expanded inputs, sorted
  DedupOptions opts;
  io::ReaderOptions read;
  int threads = 1;
  uint64_t config = 0;  // fingerprint of the result-affecting options (a resume needs the same)
  uint64_t inputs = 0;  // of the input files' paths, sizes and mtimes (other ones: stale markers)
  std::string dir;      // work folder
  int file_begin(int rank) const { return static_cast<int>(files.size() * rank / opts.world); }
  int rank_of_file(uint64_t f) const;  // inverse of file_begin
  std::string path(const std::string& name) const { return dir + "/" + name; }
  Ledger ledger() const;  // the markers
};

Result<Job> make_job(const std::vector<std::string>& inputs, const io::ReaderOptions& read,
                     const DedupOptions& opts);

// Markers: ledger entries written last by a stage, with the job's fingerprints.
Status write_marker(const Job& job, const std::string& name, nlohmann::json body);
// The marker's body when it exists for this job (same options and inputs); null json otherwise
// (an unreadable one is an error).
Result<nlohmann::json> read_marker(const Job& job, const std::string& name);
// --resume: whether the stage of this marker is done. A marker of other inputs is stale (the
// stage runs again); one of other options (or an older lmforge) is refused with a hint.
Result<bool> stage_done(const Job& job, const std::string& name);
// Waits (polling; kAll mode with world > 1, else a missing marker is an error) until every named
// marker exists for this job: the ledger's wait for other ranks.
Result<std::vector<nlohmann::json>> wait_markers(const Job& job,
                                                 const std::vector<std::string>& names);

// Marker names.
std::string sig_marker(int rank);     // "s1-r<rank>.done"
std::string bucket_marker(int part);  // "s2-p<part>.done"
std::string cluster_marker();         // "s3.done"
std::string filter_marker(int rank);  // "s4-r<rank>.done"

// The stages (each writes its marker last).
Result<DedupStats> stage_signatures(const Job& job, int rank);
Status stage_buckets(const Job& job, int part);
Result<DedupStats> stage_clusters(const Job& job);
Result<DedupStats> stage_filter(const Job& job, int rank, io::ShardWriter* kept,
                                io::ShardWriter* removed, io::ShardWriter* removed_lines);

// Splits text into units (lines, or paragraphs separated by blank lines); each unit keeps its
// trailing separator, so concatenating all units gives the text back.
void split_units(std::string_view text, LineUnit unit, std::vector<std::string_view>* out);

}  // namespace lm::dedup
