// pipeline.cc: run_clean: per input file (a unit), documents are read in batches, filtered in
// parallel (OpenMP, per-thread scratch and stats), and written in input order, so output bytes
// do not depend on the thread count. A finished unit records its outputs' XXH3 checksums and
// stats in DIR/.state/unit-NNNNN.json; --resume skips units whose outputs still match.
#include "clean/pipeline.h"

#include <omp.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "clean/filter.h"
#include "core/file_util.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/progress_block.h"
#include "core/threads.h"
#include "core/timer.h"
#include "dedup/dedup.h"

namespace lm::clean {
namespace fs = std::filesystem;
using nlohmann::json;

std::string add_removed(const std::string& extra, std::string_view stage, std::string_view rule,
                        double value, const std::string& detail) {
  json r = {{"stage", stage}, {"rule", rule}, {"value", value}};
  if (!detail.empty()) r["lang"] = detail;
  std::string member = "\"removed\":" + r.dump();
  size_t close = extra.rfind('}');
  if (extra.empty() || close == std::string::npos) return "{" + member + "}";
  std::string head = extra.substr(0, close);
  size_t last = head.find_last_not_of(" \t\n");
  bool empty_obj = last != std::string::npos && head[last] == '{';
  return head + (empty_obj ? "" : ",") + member + "}";
}

namespace {

struct Outcome {
  bool kept = true;
  std::string_view stage;
  Verdict verdict;
  std::vector<RemovedLine> lines;  // taken out by line rules, in order
};

// Per-thread statistics, indexed by stage slot (a continuation filter shares its stage's slot).
struct LocalStats {
  std::vector<StageStats> stages;
  std::vector<double> seconds;
  uint64_t documents = 0;
  CleanStats groups;  // input/kept/removed and by_source/by_lang only
};

void note_group(GroupStats* g, uint64_t in_bytes, const Outcome& o, uint64_t out_bytes) {
  g->in.add(in_bytes);
  if (o.kept) {
    g->kept.add(out_bytes);
  } else {
    g->removed_by_stage[std::string(o.stage)] += 1;
  }
}

struct Unit {
  size_t index = 0;
  std::string input;
  std::string prefix;  // f00003
  std::string state_path;
};

// The progress display of `lmforge clean`: a header line (bytes read, rate) and one line per
// stage with the documents into and out of it so far, summed over the threads' statistics when
// a redraw is due (after a batch).
class StageProgress {
 public:
  explicit StageProgress(std::vector<std::string> names)
      : names_(std::move(names)), base_(names_.size()) {}
  template <typename Locals>
  void update(const Locals& locals, uint64_t bytes) {
    bytes_ += bytes;
    if (block_.due()) block_.draw(lines(locals));
  }
  template <typename Locals>
  void unit_done(const Locals& locals) {
    for (const auto& l : locals)
      for (size_t i = 0; i < base_.size(); ++i) base_[i].merge(l.stages[i]);
  }
  void finish() { block_.finish(lines(std::vector<StageStatsHolder>{})); }

 private:
  struct StageStatsHolder {
    std::vector<StageStats> stages;
  };
  template <typename Locals>
  std::vector<std::string> lines(const Locals& locals) const {
    std::vector<StageStats> sum = base_;
    for (const auto& l : locals)
      for (size_t i = 0; i < sum.size(); ++i) sum[i].merge(l.stages[i]);
    const double t = block_.elapsed();
    std::vector<std::string> out = {
        fmt::format("clean: {} read [{}, {}/s]", format_bytes(static_cast<double>(bytes_)),
                    format_duration(t), format_bytes(t > 0 ? bytes_ / t : 0.0))};
    for (size_t i = 0; i < sum.size(); ++i) {
      const StageStats& s = sum[i];
      const double removed = s.in.docs ? 100.0 * (s.in.docs - s.out.docs) / s.in.docs : 0.0;
      out.push_back(fmt::format("  {:<18} {:>11} docs in {:>11} out ({:5.1f}% removed)", names_[i],
                                s.in.docs, s.out.docs, removed));
    }
    return out;
  }
  std::vector<std::string> names_;
  std::vector<StageStats> base_;  // finished units
  uint64_t bytes_ = 0;
  ProgressBlock block_;
};

struct Ctx {
  const CleanConfig* config = nullptr;
  const CleanOptions* opts = nullptr;
  const std::vector<std::unique_ptr<Filter>>* filters = nullptr;
  std::string kept_dir, removed_dir, lines_dir;
  std::vector<size_t> slot;  // per filter: index into slot_names
  std::vector<std::string> slot_names;
  int threads = 1;
  StageProgress* progress = nullptr;
};

// Stage time is sampled (one document in kTimeEvery per thread, scaled up): two clock reads per
// filter per document cost more than the cheap filters themselves.
constexpr uint64_t kTimeEvery = 16;

Verdict timed_apply(const Filter& f, io::Document* doc, FilterContext* ctx, double* seconds) {
  auto t0 = std::chrono::steady_clock::now();
  Verdict v = f.apply(doc, ctx);
  *seconds +=
      kTimeEvery * std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return v;
}

void count_line_removals(const std::vector<LineRemoval>& removals, StageStats* s) {
  for (const auto& r : removals) {
    Count& c = s->lines[std::string(r.rule)];
    c.docs += r.lines;
    c.bytes += r.bytes;
  }
}

// Runs the filters over one document until one removes it. A continuation filter's removal
// moves the document from its stage's "out" to its "removed".
Outcome run_filters(const Ctx& c, io::Document* doc, FilterContext* ctx, LocalStats* st) {
  const auto& filters = *c.filters;
  const bool timed = st->documents++ % kTimeEvery == 0;
  Outcome o;
  for (size_t i = 0; i < filters.size(); ++i) {
    const Filter& f = *filters[i];
    StageStats& s = st->stages[c.slot[i]];
    const bool cont = f.continuation();
    if (!cont) s.in.add(doc->text.size());
    ctx->removals.clear();
    const size_t mark = ctx->removed_lines.size(), size = doc->text.size();
    Verdict v = timed ? timed_apply(f, doc, ctx, &st->seconds[c.slot[i]]) : f.apply(doc, ctx);
    count_line_removals(ctx->removals, &s);
    if (!v.keep) {
      // Removed with its text untouched: the lines this filter took are in the record anyway.
      if (doc->text.size() == size) ctx->removed_lines.resize(mark);
      s.removed[std::string(v.rule)].add(doc->text.size());
      if (cont) {
        --s.out.docs;
        s.out.bytes -= doc->text.size();
      }
      o.kept = false;
      o.stage = f.stage();
      o.verdict = std::move(v);
      break;
    }
    if (!cont) s.out.add(doc->text.size());
  }
  return o;
}

Outcome process_document(const Ctx& c, io::Document* doc, FilterContext* ctx, LocalStats* st) {
  ctx->start_document();
  const uint64_t in_bytes = doc->text.size();
  Outcome o = run_filters(c, doc, ctx, st);
  o.lines = std::move(ctx->removed_lines);
  ctx->removed_lines.clear();
  CleanStats& g = st->groups;
  g.input.add(in_bytes);
  (o.kept ? g.kept : g.removed).add(doc->text.size());
  note_group(&g.by_source[doc->source], in_bytes, o, doc->text.size());
  note_group(&g.by_lang[doc->lang], in_bytes, o, doc->text.size());
  return o;
}

void fold(const Ctx& c, const LocalStats& l, CleanStats* out) {
  for (size_t i = 0; i < c.slot_names.size(); ++i) {
    out->stage(c.slot_names[i]).merge(l.stages[i]);
    out->seconds[c.slot_names[i]] += l.seconds[i];
  }
  out->merge(l.groups);
}

// The removed-lines record of one line: {"id","text":<the line>,"source","lang","removed":
// {"stage","rule","line","document":"kept"|"removed"}}.
Status write_removed_lines(const io::Document& d, const Outcome& o, io::ShardWriter* w) {
  if (o.lines.empty()) return ok_status();
  io::Document l;
  l.id = d.id;
  l.source = d.source;
  l.lang = d.lang;
  for (const auto& r : o.lines) {
    l.text = r.text;
    l.extra_json = json{{"removed",
                         {{"stage", r.stage},
                          {"rule", r.rule},
                          {"line", r.line},
                          {"document", o.kept ? "kept" : "removed"}}}}
                       .dump();
    LM_RETURN_IF_ERROR(w->write(l));
  }
  return ok_status();
}

struct Writers {
  std::unique_ptr<io::ShardWriter> kept, removed, lines;
};

// Filters one batch in parallel and writes it in order.
Status run_batch(const Ctx& c, std::vector<io::Document>* batch, Writers* w,
                 std::vector<LocalStats>* locals, std::vector<FilterContext>* contexts) {
  std::vector<Outcome> outcomes(batch->size());
  int64_t n = static_cast<int64_t>(batch->size());
#pragma omp parallel for schedule(dynamic, 8) num_threads(c.threads)
  for (int64_t i = 0; i < n; ++i) {
    int t = omp_get_thread_num();
    outcomes[i] = process_document(c, &(*batch)[i], &(*contexts)[t], &(*locals)[t]);
  }
  for (int64_t i = 0; i < n; ++i) {
    io::Document& d = (*batch)[i];
    const Outcome& o = outcomes[i];
    LM_RETURN_IF_ERROR(write_removed_lines(d, o, w->lines.get()));
    if (o.kept) {
      LM_RETURN_IF_ERROR(w->kept->write(d));
    } else {
      d.extra_json =
          add_removed(d.extra_json, o.stage, o.verdict.rule, o.verdict.value, o.verdict.detail);
      LM_RETURN_IF_ERROR(w->removed->write(d));
    }
  }
  return ok_status();
}

Result<json> shard_list(const std::vector<std::string>& shards, const std::string& out_dir) {
  json list = json::array();
  for (const auto& p : shards) {
    LM_ASSIGN_OR_RETURN(MappedFile m, MappedFile::open(p));
    list.push_back({{"path", fs::relative(p, out_dir).string()},
                    {"bytes", m.size()},
                    {"xxh3", fmt::format("{:016x}", hash64(m.view()))}});
  }
  return list;
}

Result<Writers> open_writers(const Ctx& c, const Unit& u) {
  io::WriterOptions wo;
  wo.prefix = u.prefix;
  wo.shard_bytes = c.opts->shard_bytes;
  wo.dir = c.kept_dir;
  Writers w;
  LM_ASSIGN_OR_RETURN(w.kept, io::ShardWriter::create(wo));
  wo.zstd_level = 1;  // most documents are removed: compress them fast
  wo.dir = c.removed_dir;
  LM_ASSIGN_OR_RETURN(w.removed, io::ShardWriter::create(wo));
  wo.dir = c.lines_dir;
  LM_ASSIGN_OR_RETURN(w.lines, io::ShardWriter::create(wo));
  return w;
}

// Closes the writers and records the unit's outputs, their checksums and its stats.
Status finish_unit(const Ctx& c, const Unit& u, Writers* w, const CleanStats& stats) {
  json state = {{"input", u.input},
                {"fingerprint", fmt::format("{:016x}", hash64(c.opts->fingerprint))},
                {"stats", stats.to_json()}};
  for (auto [key, writer] :
       {std::pair{"kept", w->kept.get()}, std::pair{"removed", w->removed.get()},
        std::pair{"lines", w->lines.get()}}) {
    LM_RETURN_IF_ERROR(writer->close());
    LM_ASSIGN_OR_RETURN(state[key], shard_list(writer->shards(), c.opts->out_dir));
  }
  return write_file_atomic(u.state_path, state.dump(1) + "\n");
}

// Cleans one input file and records its state.
Result<CleanStats> run_unit(const Ctx& c, const Unit& u) {
  LM_ASSIGN_OR_RETURN(auto reader, io::DocumentReader::open({u.input}, c.opts->read));
  LM_ASSIGN_OR_RETURN(Writers w, open_writers(c, u));
  std::vector<LocalStats> locals(c.threads);
  for (auto& l : locals) {
    l.stages.resize(c.slot_names.size());
    l.seconds.resize(c.slot_names.size());
  }
  std::vector<FilterContext> contexts(c.threads);
  std::vector<io::Document> batch;
  bool more = true;
  while (more) {
    batch.clear();
    uint64_t bytes = 0;
    while (bytes < c.opts->batch_bytes) {
      io::Document d;
      LM_ASSIGN_OR_RETURN(more, reader->next(&d));
      if (!more) break;
      bytes += d.text.size();
      batch.push_back(std::move(d));
    }
    LM_RETURN_IF_ERROR(run_batch(c, &batch, &w, &locals, &contexts));
    if (c.progress) c.progress->update(locals, bytes);
  }
  if (c.progress) c.progress->unit_done(locals);
  CleanStats stats;
  for (const auto& name : c.slot_names) stats.stage(name);
  for (const auto& l : locals) fold(c, l, &stats);
  LM_RETURN_IF_ERROR(finish_unit(c, u, &w, stats));
  return stats;
}

// A completed unit's stats when its state and every output still check out; else why not.
Result<CleanStats> load_unit(const Unit& u, const CleanOptions& o) {
  if (!file_exists(u.state_path)) return not_found("{}: not finished", u.input);
  LM_ASSIGN_OR_RETURN(std::string text, read_file(u.state_path));
  json state = json::parse(text, nullptr, false);
  if (state.is_discarded() || !state.contains("stats")) {
    return corrupt("{}: unreadable state file (corrupt)", u.state_path);
  }
  if (state.value("input", "") != u.input ||
      state.value("fingerprint", "") != fmt::format("{:016x}", hash64(o.fingerprint))) {
    return invalid_argument("{}: made from another input or config", u.state_path);
  }
  for (const char* key : {"kept", "removed", "lines"}) {
    if (!state.contains(key))
      return corrupt("{}: no \"{}\" outputs (old or corrupt)", u.state_path, key);
    for (const auto& s : state[key]) {
      std::string path = o.out_dir + "/" + s.value("path", "");
      auto m = MappedFile::open(path);
      if (!m.ok()) return corrupt("{}: missing output of a finished unit", path);
      if (fmt::format("{:016x}", hash64(m->view())) != s.value("xxh3", "")) {
        return corrupt("{}: checksum mismatch (corrupt or changed)", path);
      }
    }
  }
  return CleanStats::from_json(state["stats"]);
}

// Removes this rank's earlier outputs (files starting with one of `prefixes`) from `dir`.
Status remove_outputs(const std::string& dir, const std::vector<std::string>& prefixes) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return ok_status();
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    for (const auto& p : prefixes) {
      if (name.starts_with(p + "-") || name.starts_with(p + ".")) {
        fs::remove(e.path(), ec);
        break;
      }
    }
  }
  if (ec) return io_error("{}: {}", dir, ec.message());
  return ok_status();
}

// Waits until every unit (this rank's and the other ranks') has a state file, then returns the
// states in input order: the list of outputs and the stats of the whole job.
Result<std::vector<json>> all_unit_states(const std::vector<Unit>& units, const CleanOptions& o) {
  Timer waited;
  std::vector<json> states;
  for (const auto& u : units) {
    while (!file_exists(u.state_path)) {
      if (waited.seconds() > o.wait_timeout_s) {
        return Status(Code::kCancelled,
                      fmt::format("waited {:.0f} s for {} (another rank's part)", waited.seconds(),
                                  u.state_path),
                      "start every rank (--rank 0..W-1) with the same inputs and --out");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    LM_ASSIGN_OR_RETURN(std::string text, read_file(u.state_path));
    json state = json::parse(text, nullptr, false);
    if (state.is_discarded() || !state.contains("stats") || !state.contains("kept"))
      return corrupt("{}: unreadable state file (corrupt)", u.state_path);
    states.push_back(std::move(state));
  }
  return states;
}

// The dedup stage's outputs of one kind (kept, removed, removed lines): one run of shards per
// input file of the stage (a filtered shard f00003-00000 gives dedup-f00003-00000-NNNNN), so the
// bytes written do not depend on how the files were split between ranks.
class PerFileWriter : public io::ShardWriter {
 public:
  explicit PerFileWriter(io::WriterOptions o) : opts_(std::move(o)) {}
  Status start(const std::string& input) {
    LM_RETURN_IF_ERROR(close());
    std::string name = fs::path(input).filename().string();
    name = name.substr(0, name.find('.'));
    opts_.prefix = "dedup-" + name;
    LM_ASSIGN_OR_RETURN(current_, io::ShardWriter::create(opts_));
    return ok_status();
  }
  Status write(const io::Document& d) override {
    if (!current_) return internal_error("{}: dedup output before its input file", opts_.dir);
    return current_->write(d);
  }
  Status close() override {
    if (!current_) return ok_status();
    LM_RETURN_IF_ERROR(current_->close());
    shards_.insert(shards_.end(), current_->shards().begin(), current_->shards().end());
    documents_ += current_->documents();
    current_.reset();
    return ok_status();
  }
  const std::vector<std::string>& shards() const override { return shards_; }
  uint64_t documents() const override { return documents_; }

 private:
  io::WriterOptions opts_;
  std::unique_ptr<io::ShardWriter> current_;
  std::vector<std::string> shards_;
  uint64_t documents_ = 0;
};

// Applies the dedup stage's counts to the stats of the documents it read.
void add_dedup_stats(const dedup::DedupStats& ds, CleanStats* total) {
  StageStats& s = total->stage("dedup");
  s.in = {ds.documents_in, ds.bytes_in};
  s.out = {ds.documents_kept, ds.bytes_kept};
  s.removed["exact"] = {ds.exact.documents, ds.exact.bytes};
  s.removed["minhash"] = {ds.minhash.documents, ds.minhash.bytes};
  s.removed["lines"] = {ds.lines.documents, ds.lines.bytes};
  if (ds.lines_removed) s.lines["lines"] = {ds.lines_removed, ds.line_bytes_removed};
  total->kept = {ds.documents_kept, ds.bytes_kept};
  total->removed.add({ds.documents_in - ds.documents_kept, ds.bytes_in - ds.bytes_kept});
  for (auto* groups : {&total->by_source, &total->by_lang}) {
    const auto& dg = groups == &total->by_source ? ds.by_source : ds.by_lang;
    for (auto& [k, g] : *groups) {
      auto it = dg.find(k);
      uint64_t in = it == dg.end() ? 0 : it->second.documents_in;
      uint64_t kept = it == dg.end() ? 0 : it->second.documents_kept;
      if (in > kept) g.removed_by_stage["dedup"] += in - kept;
      g.kept = {kept, it == dg.end() ? 0 : it->second.bytes_kept};
    }
  }
  total->dedup = ds.to_json();
  // Which rank wrote them and the timings vary from run to run; stats.json must not.
  for (const char* k :
       {"rank", "world", "stage_seconds", "signature_seconds", "signature_mb_per_s_per_core"})
    total->dedup.erase(k);
}

// The dedup stage over every unit's filtered shards. Returns this rank's dedup stats, and in
// *job (rank 0, world > 1) every rank's, merged.
Result<dedup::DedupStats> run_dedup_step(const CleanConfig& config, const CleanOptions& o,
                                         int threads, const std::vector<json>& states,
                                         dedup::DedupStats* job) {
  std::vector<std::string> inputs;
  for (const auto& state : states)
    for (const auto& s : state["kept"]) inputs.push_back(o.out_dir + "/" + s.value("path", ""));
  io::WriterOptions wo;
  wo.shard_bytes = o.shard_bytes;
  wo.dir = o.out_dir + "/kept";
  PerFileWriter kept(wo);
  wo.dir = o.out_dir + "/removed";
  PerFileWriter removed(wo);
  wo.dir = o.out_dir + "/removed-lines";
  wo.zstd_level = 1;
  PerFileWriter lines(wo);
  dedup::DedupStats ds;
  if (!inputs.empty()) {
    LM_ASSIGN_OR_RETURN(dedup::DedupOptions d, dedup_options(config.dedup));
    d.threads = threads;
    d.rank = o.rank;
    d.world = o.world;
    d.work_dir = o.out_dir + "/dedup-work";
    d.resume = o.resume;
    d.memory_budget = config.dedup.memory_mb << 20;
    d.wait_timeout_s = o.wait_timeout_s;
    d.on_file = [&](int, const std::string& path) {
      for (PerFileWriter* w : {&kept, &removed, &lines}) LM_RETURN_IF_ERROR(w->start(path));
      return ok_status();
    };
    auto r = dedup::run_dedup(inputs, io::ReaderOptions{}, d, kept, removed, &lines);
    if (!r.ok()) return r.status().with_context("dedup stage");
    ds = std::move(r).value();
    if (o.world > 1 && o.rank == 0) {
      d.on_file = nullptr;
      auto all = dedup::collect_rank_stats(inputs, io::ReaderOptions{}, d);
      if (!all.ok()) return all.status().with_context("dedup stage");
      *job = std::move(all).value();
    }
  }
  for (PerFileWriter* w : {&kept, &removed, &lines}) LM_RETURN_IF_ERROR(w->close());
  if (o.world == 1) *job = ds;
  return ds;
}

Status check_options(const CleanOptions& o) {
  if (o.out_dir.empty()) return invalid_argument("no output folder").with_hint("pass --out DIR");
  if (o.inputs.empty()) return invalid_argument("no input").with_hint("pass --in FILE...");
  if (o.world < 1 || o.rank < 0 || o.rank >= o.world) {
    return invalid_argument("rank {} is not in [0, world={})", o.rank, o.world)
        .with_hint("pass --rank R --world W with 0 <= R < W");
  }
  return ok_status();
}

// Stats slots: one per stage name, in filter order (a continuation joins its stage's slot).
void assign_slots(Ctx* c) {
  for (const auto& f : *c->filters) {
    const std::string name(f->stage());
    auto it = std::find(c->slot_names.begin(), c->slot_names.end(), name);
    c->slot.push_back(it - c->slot_names.begin());
    if (it == c->slot_names.end()) c->slot_names.push_back(name);
  }
}

// This rank's units, cleaned or (--resume) loaded from their state.
Result<CleanStats> clean_units(const Ctx& c, const std::vector<Unit>& units) {
  const CleanOptions& o = *c.opts;
  CleanStats total;
  for (const auto& name : c.slot_names) total.stage(name);
  for (const auto& u : units) {
    if (static_cast<int>(u.index % o.world) != o.rank) continue;
    if (o.resume) {
      auto done = load_unit(u, o);
      if (done.ok()) {
        log_info("resume: {} already cleaned", u.input);
        total.merge(*done);
        continue;
      }
      if (done.status().code() != Code::kNotFound) {
        log_warn("{}; cleaning {} again", done.status().message(), u.input);
      }
    }
    LM_ASSIGN_OR_RETURN(CleanStats s, run_unit(c, u));
    total.merge(s);
  }
  return total;
}

}  // namespace

Result<CleanStats> run_clean(const CleanConfig& config, const CleanOptions& o) {
  LM_RETURN_IF_ERROR(check_options(o));
  LM_ASSIGN_OR_RETURN(std::vector<std::string> files, io::expand_inputs(o.inputs));
  LM_ASSIGN_OR_RETURN(auto filters, make_filters(config));
  if (config.dedup.enabled) LM_RETURN_IF_ERROR(dedup_options(config.dedup).status());
  Ctx c;
  c.config = &config;
  c.opts = &o;
  c.filters = &filters;
  c.kept_dir = o.out_dir + (config.dedup.enabled ? "/filtered" : "/kept");
  c.removed_dir = o.out_dir + "/removed";
  c.lines_dir = o.out_dir + "/removed-lines";
  c.threads = resolve_threads(o.threads);
  assign_slots(&c);
  std::vector<Unit> units;
  std::vector<std::string> prefixes;  // of this rank's outputs (rank 0: the dedup stage's too)
  if (o.rank == 0) prefixes.push_back("dedup");
  for (size_t i = 0; i < files.size(); ++i) {
    units.push_back({i, files[i], fmt::format("f{:05d}", i),
                     fmt::format("{}/.state/unit-{:05d}.json", o.out_dir, i)});
    if (static_cast<int>(i % o.world) == o.rank) prefixes.push_back(units.back().prefix);
  }
  LM_RETURN_IF_ERROR(make_dirs(o.out_dir + "/.state"));
  if (!o.resume) {
    for (const auto& d :
         {c.kept_dir, c.removed_dir, c.lines_dir, o.out_dir + "/kept", o.out_dir + "/.state"}) {
      LM_RETURN_IF_ERROR(remove_outputs(d, prefixes));
    }
    for (const auto& u : units)
      if (static_cast<int>(u.index % o.world) == o.rank) fs::remove(u.state_path);
  }
  StageProgress progress(c.slot_names);
  c.progress = &progress;
  LM_ASSIGN_OR_RETURN(CleanStats mine, clean_units(c, units));
  progress.finish();
  if (o.rank != 0 && !config.dedup.enabled) return mine;
  // The whole job's stats are the sum of every unit's (rank 0 waits for the other ranks'), then
  // the dedup stage's over all of them: the same stats.json for any --world.
  LM_ASSIGN_OR_RETURN(std::vector<json> states, all_unit_states(units, o));
  CleanStats job;
  for (const auto& name : c.slot_names) job.stage(name);
  for (const auto& state : states) {
    LM_ASSIGN_OR_RETURN(CleanStats s, CleanStats::from_json(state["stats"]));
    job.merge(s);
  }
  job.seconds = mine.seconds;
  if (config.dedup.enabled) {
    Timer dedup_timer;
    dedup::DedupStats job_dedup;
    LM_ASSIGN_OR_RETURN(dedup::DedupStats ds,
                        run_dedup_step(config, o, c.threads, states, &job_dedup));
    if (o.rank != 0) {  // this rank's part only; rank 0 writes the job's stats.json
      add_dedup_stats(ds, &mine);
      mine.seconds["dedup"] += dedup_timer.seconds();
      return mine;
    }
    add_dedup_stats(job_dedup, &job);
    job.seconds["dedup"] += dedup_timer.seconds();
  }
  LM_RETURN_IF_ERROR(write_file_atomic(o.out_dir + "/stats.json", job.to_json().dump(1) + "\n"));
  return job;
}

}  // namespace lm::clean
