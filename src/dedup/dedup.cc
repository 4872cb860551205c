// dedup.cc: the public entry points: run the stages a call asks for (skipping completed ones
// under --resume, waiting for other ranks in the all-stages mode), clean the work folder, and
// DedupStats to/from JSON and merging across ranks.
#include "dedup/dedup.h"

#include <filesystem>

#include "core/log.h"
#include "core/timer.h"
#include "dedup/stages.h"

namespace lm::dedup {

Result<Stage> parse_stage(std::string_view name) {
  if (name == "all") return Stage::kAll;
  if (name == "signatures") return Stage::kSignatures;
  if (name == "buckets") return Stage::kBuckets;
  if (name == "clusters") return Stage::kClusters;
  if (name == "filter") return Stage::kFilter;
  return Status(Code::kInvalidArgument, fmt::format("unknown dedup stage '{}'", name),
                "use all, signatures, buckets, clusters or filter");
}

const char* stage_name(Stage stage) {
  switch (stage) {
    case Stage::kAll:
      return "all";
    case Stage::kSignatures:
      return "signatures";
    case Stage::kBuckets:
      return "buckets";
    case Stage::kClusters:
      return "clusters";
    case Stage::kFilter:
      return "filter";
  }
  return "?";
}

namespace {

nlohmann::json rule_json(const RuleCount& c) {
  return {{"documents", c.documents}, {"bytes", c.bytes}};
}

nlohmann::json groups_json(const std::map<std::string, GroupCount>& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, g] : m) {
    j[k] = {{"documents_in", g.documents_in},
            {"bytes_in", g.bytes_in},
            {"documents_kept", g.documents_kept},
            {"bytes_kept", g.bytes_kept}};
  }
  return j;
}

void groups_from(const nlohmann::json& j, std::map<std::string, GroupCount>* m) {
  for (const auto& [k, v] : j.items()) {
    (*m)[k] = GroupCount{v.at("documents_in"), v.at("bytes_in"), v.at("documents_kept"),
                         v.at("bytes_kept")};
  }
}

// Skips a stage under --resume when its marker is there (same job; see stage_done).
Result<bool> done_before(const Job& job, const std::string& marker) {
  if (!job.opts.resume) return false;
  LM_ASSIGN_OR_RETURN(bool done, stage_done(job, marker));
  if (done) log_info("dedup: resuming: {} already done", marker);
  return done;
}

void remove_work_files(const Job& job) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(job.dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 2 && name[0] == 's' && name[1] >= '1' && name[1] <= '4' && name[2] == '-') {
      std::filesystem::remove(e.path(), ec);
    } else if (name == cluster_marker()) {
      std::filesystem::remove(e.path(), ec);
    }
  }
  std::filesystem::remove(job.dir, ec);  // only when empty
}

}  // namespace

nlohmann::json DedupStats::to_json() const {
  nlohmann::json hist = nlohmann::json::object();
  for (const auto& [size, count] : cluster_sizes) hist[std::to_string(size)] = count;
  const double mbps = signature_seconds > 0 ? signature_bytes / 1e6 / signature_seconds : 0.0;
  return {
      {"rank", rank},
      {"world", world},
      {"files", files},
      {"documents_in", documents_in},
      {"bytes_in", bytes_in},
      {"documents_kept", documents_kept},
      {"bytes_kept", bytes_kept},
      {"removed",
       {{"exact", rule_json(exact)}, {"minhash", rule_json(minhash)}, {"lines", rule_json(lines)}}},
      {"lines_removed", lines_removed},
      {"line_bytes_removed", line_bytes_removed},
      {"clusters", clusters},
      {"cluster_sizes", hist},
      {"by_source", groups_json(by_source)},
      {"by_lang", groups_json(by_lang)},
      {"stage_seconds", stage_seconds},
      {"signature_bytes", signature_bytes},
      {"signature_seconds", signature_seconds},
      {"signature_mb_per_s_per_core", mbps}};
}

Result<DedupStats> DedupStats::from_json(const nlohmann::json& j) {
  DedupStats s;
  if (!j.is_object()) return corrupt("dedup stats: not a JSON object");
  s.rank = j.value("rank", 0);
  s.world = j.value("world", 1);
  s.files = j.value("files", 0ULL);
  s.documents_in = j.value("documents_in", 0ULL);
  s.bytes_in = j.value("bytes_in", 0ULL);
  s.documents_kept = j.value("documents_kept", 0ULL);
  s.bytes_kept = j.value("bytes_kept", 0ULL);
  if (j.contains("removed")) {
    const auto& r = j["removed"];
    s.exact = RuleCount{r["exact"]["documents"], r["exact"]["bytes"]};
    s.minhash = RuleCount{r["minhash"]["documents"], r["minhash"]["bytes"]};
    s.lines = RuleCount{r["lines"]["documents"], r["lines"]["bytes"]};
  }
  s.lines_removed = j.value("lines_removed", 0ULL);
  s.line_bytes_removed = j.value("line_bytes_removed", 0ULL);
  s.clusters = j.value("clusters", 0ULL);
  if (j.contains("cluster_sizes")) {
    for (const auto& [k, v] : j["cluster_sizes"].items()) {
      s.cluster_sizes[std::stoull(k)] = v.get<uint64_t>();
    }
  }
  if (j.contains("by_source")) groups_from(j["by_source"], &s.by_source);
  if (j.contains("by_lang")) groups_from(j["by_lang"], &s.by_lang);
  if (j.contains("stage_seconds")) s.stage_seconds = j["stage_seconds"];
  s.signature_bytes = j.value("signature_bytes", 0ULL);
  s.signature_seconds = j.value("signature_seconds", 0.0);
  return s;
}

void DedupStats::merge(const DedupStats& o) {
  files += o.files;
  documents_in += o.documents_in;
  bytes_in += o.bytes_in;
  documents_kept += o.documents_kept;
  bytes_kept += o.bytes_kept;
  for (auto [mine, theirs] : {std::pair{&exact, &o.exact}, std::pair{&minhash, &o.minhash},
                              std::pair{&lines, &o.lines}}) {
    mine->documents += theirs->documents;
    mine->bytes += theirs->bytes;
  }
  lines_removed += o.lines_removed;
  line_bytes_removed += o.line_bytes_removed;
  for (auto [mine, theirs] :
       {std::pair{&by_source, &o.by_source}, std::pair{&by_lang, &o.by_lang}}) {
    for (const auto& [k, g] : *theirs) {
      GroupCount& m = (*mine)[k];
      m.documents_in += g.documents_in;
      m.bytes_in += g.bytes_in;
      m.documents_kept += g.documents_kept;
      m.bytes_kept += g.bytes_kept;
    }
  }
  for (const auto& [k, v] : o.stage_seconds) stage_seconds[k] = std::max(stage_seconds[k], v);
  signature_bytes += o.signature_bytes;
  signature_seconds += o.signature_seconds;
}

namespace {

// Per-stage stats found in markers (signature timing, clusters) for a resumed or split run.
Status add_marker_stats(const Job& job, int rank, DedupStats* st) {
  LM_ASSIGN_OR_RETURN(nlohmann::json m, read_marker(job, sig_marker(rank)));
  if (!m.is_null() && m.contains("stats")) {
    LM_ASSIGN_OR_RETURN(DedupStats s1, DedupStats::from_json(m["stats"]));
    st->signature_bytes = s1.signature_bytes;
    st->signature_seconds = s1.signature_seconds;
    for (const auto& [k, v] : s1.stage_seconds) st->stage_seconds[k] = v;
  }
  return ok_status();
}

}  // namespace

Result<DedupStats> run_dedup_stage(const std::vector<std::string>& inputs,
                                   const io::ReaderOptions& read, const DedupOptions& opts,
                                   io::ShardWriter* kept, io::ShardWriter* removed,
                                   io::ShardWriter* removed_lines) {
  LM_ASSIGN_OR_RETURN(Job job, make_job(inputs, read, opts));
  const int rank = opts.rank;
  const bool all = opts.stage == Stage::kAll;
  DedupStats st;
  st.rank = rank;
  st.world = opts.world;
  if (all || opts.stage == Stage::kSignatures) {
    LM_ASSIGN_OR_RETURN(bool skip, done_before(job, sig_marker(rank)));
    if (!skip) {
      LM_ASSIGN_OR_RETURN(st, stage_signatures(job, rank));
    }
  }
  if (all || opts.stage == Stage::kBuckets) {
    LM_ASSIGN_OR_RETURN(bool skip, done_before(job, bucket_marker(rank)));
    Timer t;
    if (!skip) LM_RETURN_IF_ERROR(stage_buckets(job, rank));
    st.stage_seconds["buckets"] = t.seconds();
  }
  if ((all || opts.stage == Stage::kClusters) && rank == 0) {
    LM_ASSIGN_OR_RETURN(bool skip, done_before(job, cluster_marker()));
    if (!skip) {
      LM_ASSIGN_OR_RETURN(DedupStats cs, stage_clusters(job));
      st.clusters = cs.clusters;
      st.cluster_sizes = cs.cluster_sizes;
      st.stage_seconds["clusters"] = cs.stage_seconds["clusters"];
    }
  }
  if (all || opts.stage == Stage::kFilter) {
    auto stage_times = st.stage_seconds;
    LM_ASSIGN_OR_RETURN(st, stage_filter(job, rank, kept, removed, removed_lines));
    for (const auto& [k, v] : stage_times) st.stage_seconds[k] = v;
    LM_RETURN_IF_ERROR(add_marker_stats(job, rank, &st));
    if (all && opts.world == 1 && !opts.keep_work) remove_work_files(job);
  }
  return st;
}

Result<DedupStats> run_dedup(const std::vector<std::string>& inputs, const io::ReaderOptions& read,
                             const DedupOptions& opts, io::ShardWriter& kept,
                             io::ShardWriter& removed, io::ShardWriter* removed_lines) {
  DedupOptions o = opts;
  o.stage = Stage::kAll;
  return run_dedup_stage(inputs, read, o, &kept, &removed, removed_lines);
}

Result<DedupStats> collect_rank_stats(const std::vector<std::string>& inputs,
                                      const io::ReaderOptions& read, const DedupOptions& opts) {
  DedupOptions o = opts;
  o.resume = true;
  LM_ASSIGN_OR_RETURN(Job job, make_job(inputs, read, o));
  std::vector<std::string> names;
  for (int r = 0; r < opts.world; ++r) names.push_back(filter_marker(r));
  LM_ASSIGN_OR_RETURN(auto markers, wait_markers(job, names));
  DedupStats all;
  all.world = opts.world;
  for (int r = 0; r < opts.world; ++r) {
    LM_ASSIGN_OR_RETURN(DedupStats s, DedupStats::from_json(markers[r].at("stats")));
    LM_RETURN_IF_ERROR(add_marker_stats(job, r, &s));
    if (r == 0) {
      all.clusters = s.clusters;
      all.cluster_sizes = s.cluster_sizes;
    }
    all.merge(s);
  }
  return all;
}

}  // namespace lm::dedup
