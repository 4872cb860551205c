// filter.cc: stage 4 of dedup, per rank: read this rank's files again, in order; a document the
// clusters stage removed goes to `removed` with its "removed" record, the others lose the lines
// (or paragraphs) seen earlier in the corpus and go to `kept` (a document left without words is
// removed by rule "lines"). Counts documents and bytes in and out per rule, source and language.
#include <cstring>

#include "core/log.h"
#include "core/progress.h"
#include "core/timer.h"
#include "dedup/minhash.h"
#include "dedup/run_file.h"
#include "dedup/stages.h"

namespace lm::dedup {
namespace {

struct Removed {
  uint64_t dense = UINT64_MAX;
  uint32_t rule = 0;
  float value = 0;
  std::string kept_id;
};

// Streams the removed records of one rank (sorted by dense index).
class RemovedStream {
 public:
  explicit RemovedStream(MappedBlob blob) : blob_(std::move(blob)) { advance(); }
  const Removed& head() const { return head_; }
  void advance() {
    if (pos_ + 20 > blob_.size()) {
      head_.dense = UINT64_MAX;
      return;
    }
    const uint8_t* p = blob_.data() + pos_;
    uint32_t len = 0;
    std::memcpy(&head_.dense, p, 8);
    std::memcpy(&head_.rule, p + 8, 4);
    std::memcpy(&head_.value, p + 12, 4);
    std::memcpy(&len, p + 16, 4);
    len = static_cast<uint32_t>(std::min<uint64_t>(len, blob_.size() - pos_ - 20));
    head_.kept_id.assign(reinterpret_cast<const char*>(p + 20), len);
    pos_ += 20 + len;
  }

 private:
  MappedBlob blob_;
  uint64_t pos_ = 0;
  Removed head_;
};

// Adds "removed": {...} to the document's extra JSON object.
void mark_removed(io::Document* doc, const char* rule, double value, const std::string& kept_id) {
  nlohmann::json extra = nlohmann::json::object();
  if (!doc->extra_json.empty()) {
    extra = nlohmann::json::parse(doc->extra_json, nullptr, false);
    if (!extra.is_object()) extra = nlohmann::json::object();
  }
  nlohmann::json r = {{"stage", "dedup"}, {"rule", rule}, {"value", value}};
  if (!kept_id.empty()) r["kept_id"] = kept_id;
  extra["removed"] = std::move(r);
  doc->extra_json = extra.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void count_group(std::map<std::string, GroupCount>* m, const std::string& name, uint64_t in,
                 uint64_t kept, bool is_kept) {
  GroupCount& g = (*m)[name.empty() ? "unknown" : name];
  ++g.documents_in;
  g.bytes_in += in;
  if (is_kept) {
    ++g.documents_kept;
    g.bytes_kept += kept;
  }
}

struct FilterState {
  const Job* job;
  RemovedStream* removed_stream;
  RunMerger<LineDrop>* drops;
  LineDrop drop{UINT64_MAX, 0, 0};
  bool drop_valid = false;
  io::ShardWriter* kept;
  io::ShardWriter* removed;
  DedupStats* st;
  io::ShardWriter* removed_lines = nullptr;
  std::vector<std::pair<uint32_t, std::string>> dropped;  // of the current document
};

// One record per unit line dedup took out of `doc` (see dedup.h).
Status write_dropped(FilterState* s, const io::Document& doc, bool doc_kept) {
  if (!s->removed_lines || s->dropped.empty()) return ok_status();
  io::Document l;
  l.id = doc.id;
  l.source = doc.source;
  l.lang = doc.lang;
  for (auto& [line, text] : s->dropped) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    l.text = std::move(text);
    nlohmann::json r = {{"stage", "dedup"},
                        {"rule", "lines"},
                        {"line", line},
                        {"document", doc_kept ? "kept" : "removed"}};
    l.extra_json = nlohmann::json{{"removed", std::move(r)}}.dump();
    LM_RETURN_IF_ERROR(s->removed_lines->write(l));
  }
  return ok_status();
}

Status next_drop(FilterState* s) {
  LM_ASSIGN_OR_RETURN(bool more, s->drops->next(&s->drop));
  s->drop_valid = more;
  if (!more) s->drop = LineDrop{UINT64_MAX, 0, 0};
  return ok_status();
}

// Removes dropped units from doc->text; returns the number of units dropped.
Result<uint64_t> drop_lines(FilterState* s, uint64_t key, io::Document* doc, bool* emptied) {
  *emptied = false;
  if (s->drop.key != key) return 0;
  thread_local std::vector<std::string_view> units;
  thread_local std::vector<uint64_t> scratch;
  units.clear();
  split_units(doc->text, s->job->opts.line_unit, &units);
  std::string out;
  uint64_t dropped = 0;
  bool words_left = false;
  for (uint32_t i = 0; i < units.size(); ++i) {
    if (s->drop.key == key && s->drop.line == i) {
      ++dropped;
      if (s->removed_lines) s->dropped.emplace_back(i, std::string(units[i]));
      s->st->line_bytes_removed += units[i].size();
      LM_RETURN_IF_ERROR(next_drop(s));
      continue;
    }
    out.append(units[i]);
    if (!words_left && line_key(units[i], &scratch) != 0) words_left = true;
  }
  while (s->drop.key == key) LM_RETURN_IF_ERROR(next_drop(s));  // stale (should not happen)
  s->st->lines_removed += dropped;
  *emptied = !words_left;
  if (!*emptied) doc->text = std::move(out);
  return dropped;
}

Status filter_doc(FilterState* s, uint64_t key, uint64_t dense, io::Document* doc) {
  DedupStats& st = *s->st;
  const uint64_t in = doc->text.size();
  ++st.documents_in;
  st.bytes_in += in;
  auto remove = [&](RuleCount* c, const char* rule, double value, const std::string& kept_id) {
    ++c->documents;
    c->bytes += in;
    count_group(&st.by_source, doc->source, in, 0, false);
    count_group(&st.by_lang, doc->lang, in, 0, false);
    mark_removed(doc, rule, value, kept_id);
    return s->removed ? s->removed->write(*doc) : ok_status();
  };
  while (s->removed_stream->head().dense < dense) s->removed_stream->advance();
  const Removed& r = s->removed_stream->head();
  if (r.dense == dense) {
    while (s->drop.key == key) LM_RETURN_IF_ERROR(next_drop(s));
    if (r.rule == kRuleExact) return remove(&st.exact, "exact", r.value, r.kept_id);
    return remove(&st.minhash, "minhash", r.value, r.kept_id);
  }
  bool emptied = false;
  s->dropped.clear();
  LM_ASSIGN_OR_RETURN(uint64_t dropped, drop_lines(s, key, doc, &emptied));
  LM_RETURN_IF_ERROR(write_dropped(s, *doc, !emptied));
  if (emptied) {
    return remove(&st.lines, "lines", static_cast<double>(dropped), "");
  }
  ++st.documents_kept;
  st.bytes_kept += doc->text.size();
  count_group(&st.by_source, doc->source, in, doc->text.size(), true);
  count_group(&st.by_lang, doc->lang, in, doc->text.size(), true);
  return s->kept ? s->kept->write(*doc) : ok_status();
}

}  // namespace

Result<DedupStats> stage_filter(const Job& job, int rank, io::ShardWriter* kept,
                                io::ShardWriter* removed, io::ShardWriter* removed_lines) {
  Timer timer;
  const int world = job.opts.world;
  std::vector<std::string> names;
  for (int r = 0; r < world; ++r) names.push_back(sig_marker(r));
  LM_ASSIGN_OR_RETURN(auto sig_markers, wait_markers(job, names));
  names.clear();
  for (int p = 0; p < world; ++p) names.push_back(bucket_marker(p));
  LM_ASSIGN_OR_RETURN(auto bucket_markers, wait_markers(job, names));
  LM_ASSIGN_OR_RETURN(auto cluster_markers, wait_markers(job, {cluster_marker()}));
  uint64_t dense = 0;  // first dense index of this rank
  for (int r = 0; r < rank; ++r) {
    for (const auto& c : sig_markers[r].at("file_counts")) dense += c.get<uint64_t>();
  }
  LM_ASSIGN_OR_RETURN(
      MappedBlob rblob,
      MappedBlob::open(job.path(fmt::format("s3-removed-r{}", rank)), kRemovedMagic));
  RemovedStream rs(std::move(rblob));
  std::vector<std::string> drop_runs;
  for (const auto& m : bucket_markers) {
    for (const auto& r : m.at("drop_runs")) drop_runs.push_back(r.get<std::string>());
  }
  LM_ASSIGN_OR_RETURN(auto drops,
                      RunMerger<LineDrop>::open(drop_runs, rank, job.opts.memory_budget / 2));
  DedupStats st;
  st.rank = rank;
  st.world = world;
  FilterState s{&job, &rs, drops.get(), {}, false, kept, removed, &st, removed_lines, {}};
  LM_RETURN_IF_ERROR(next_drop(&s));
  Progress progress(fmt::format("dedup 4/4 filter (rank {})", rank), 0, true);
  io::Document doc;
  for (int f = job.file_begin(rank); f < job.file_begin(rank + 1); ++f) {
    LM_ASSIGN_OR_RETURN(auto reader, io::DocumentReader::open({job.files[f]}, job.read));
    if (job.opts.on_file) LM_RETURN_IF_ERROR(job.opts.on_file(f, job.files[f]));
    ++st.files;
    for (uint64_t i = 0;; ++i) {
      LM_ASSIGN_OR_RETURN(bool more, reader->next(&doc));
      if (!more) break;
      progress.add(doc.text.size());
      LM_RETURN_IF_ERROR(filter_doc(&s, make_key(f, i), dense++, &doc));
    }
  }
  progress.finish();
  LM_ASSIGN_OR_RETURN(DedupStats cs, DedupStats::from_json(cluster_markers[0].at("stats")));
  st.clusters = cs.clusters;
  st.cluster_sizes = cs.cluster_sizes;
  st.stage_seconds["filter"] = timer.seconds();
  LM_RETURN_IF_ERROR(write_marker(job, filter_marker(rank), {{"stats", st.to_json()}}));
  return st;
}

}  // namespace lm::dedup
