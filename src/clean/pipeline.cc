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
};

// Per-thread statistics, indexed by filter.
struct LocalStats {
  std::vector<StageStats> stages;
  std::vector<double> seconds;
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

Outcome process_document(const std::vector<std::unique_ptr<Filter>>& filters, io::Document* doc,
                         FilterContext* ctx, LocalStats* st) {
  ctx->start_document();
  uint64_t in_bytes = doc->text.size();
  Outcome o;
  for (size_t i = 0; i < filters.size(); ++i) {
    StageStats& s = st->stages[i];
    s.in.add(doc->text.size());
    ctx->removals.clear();
    auto t0 = std::chrono::steady_clock::now();
    Verdict v = filters[i]->apply(doc, ctx);
    st->seconds[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& r : ctx->removals) {
      Count& c = s.lines[std::string(r.rule)];
      c.docs += r.lines;
      c.bytes += r.bytes;
    }
    if (!v.keep) {
      s.removed[std::string(v.rule)].add(doc->text.size());
      o = {false, filters[i]->stage(), std::move(v)};
      break;
    }
    s.out.add(doc->text.size());
  }
  CleanStats& g = st->groups;
  g.input.add(in_bytes);
  (o.kept ? g.kept : g.removed).add(doc->text.size());
  note_group(&g.by_source[doc->source], in_bytes, o, doc->text.size());
  note_group(&g.by_lang[doc->lang], in_bytes, o, doc->text.size());
  return o;
}

struct Unit {
  size_t index = 0;
  std::string input;
  std::string prefix;  // f00003
  std::string state_path;
};

struct Ctx {
  const CleanConfig* config;
  const CleanOptions* opts;
  const std::vector<std::unique_ptr<Filter>>* filters;
  std::string kept_dir, removed_dir;
  int threads = 1;
  Progress* progress = nullptr;
};

void fold(const std::vector<std::unique_ptr<Filter>>& filters, const LocalStats& l,
          CleanStats* out) {
  for (size_t i = 0; i < filters.size(); ++i) {
    out->stage(std::string(filters[i]->stage())).merge(l.stages[i]);
    out->seconds[std::string(filters[i]->stage())] += l.seconds[i];
  }
  out->merge(l.groups);
}

// Filters one batch in parallel and writes it in order.
Status run_batch(const Ctx& c, std::vector<io::Document>* batch, io::ShardWriter* kept,
                 io::ShardWriter* removed, std::vector<LocalStats>* locals,
                 std::vector<FilterContext>* contexts) {
  std::vector<Outcome> outcomes(batch->size());
  const auto& filters = *c.filters;
  int64_t n = static_cast<int64_t>(batch->size());
#pragma omp parallel for schedule(dynamic, 8) num_threads(c.threads)
  for (int64_t i = 0; i < n; ++i) {
    int t = omp_get_thread_num();
    outcomes[i] = process_document(filters, &(*batch)[i], &(*contexts)[t], &(*locals)[t]);
  }
  for (int64_t i = 0; i < n; ++i) {
    io::Document& d = (*batch)[i];
    const Outcome& o = outcomes[i];
    if (o.kept) {
      LM_RETURN_IF_ERROR(kept->write(d));
    } else {
      d.extra_json =
          add_removed(d.extra_json, o.stage, o.verdict.rule, o.verdict.value, o.verdict.detail);
      LM_RETURN_IF_ERROR(removed->write(d));
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

// Cleans one input file and records its state.
Result<CleanStats> run_unit(const Ctx& c, const Unit& u) {
  LM_ASSIGN_OR_RETURN(auto reader, io::DocumentReader::open({u.input}, c.opts->read));
  io::WriterOptions wo;
  wo.prefix = u.prefix;
  wo.shard_bytes = c.opts->shard_bytes;
  wo.dir = c.kept_dir;
  LM_ASSIGN_OR_RETURN(auto kept, io::ShardWriter::create(wo));
  wo.dir = c.removed_dir;
  wo.zstd_level = 1;  // most documents are removed: compress them fast
  LM_ASSIGN_OR_RETURN(auto removed, io::ShardWriter::create(wo));
  std::vector<LocalStats> locals(c.threads);
  for (auto& l : locals) {
    l.stages.resize(c.filters->size());
    l.seconds.resize(c.filters->size());
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
    LM_RETURN_IF_ERROR(run_batch(c, &batch, kept.get(), removed.get(), &locals, &contexts));
    if (c.progress) c.progress->add(bytes);
  }
  LM_RETURN_IF_ERROR(kept->close());
  LM_RETURN_IF_ERROR(removed->close());
  CleanStats stats;
  for (const auto& f : *c.filters) stats.stage(std::string(f->stage()));
  for (const auto& l : locals) fold(*c.filters, l, &stats);
  LM_ASSIGN_OR_RETURN(json kept_list, shard_list(kept->shards(), c.opts->out_dir));
  LM_ASSIGN_OR_RETURN(json removed_list, shard_list(removed->shards(), c.opts->out_dir));
  json state = {{"input", u.input},
                {"fingerprint", fmt::format("{:016x}", hash64(c.opts->fingerprint))},
                {"kept", kept_list},
                {"removed", removed_list},
                {"stats", stats.to_json()}};
  LM_RETURN_IF_ERROR(write_file_atomic(u.state_path, state.dump(1) + "\n"));
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
  for (const char* key : {"kept", "removed"}) {
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

// Waits until every unit has a state file (other ranks finish theirs), then lists the kept
// shards of all units in input order.
Result<std::vector<std::string>> all_filtered_shards(const std::vector<Unit>& units,
                                                     const CleanOptions& o) {
  Timer waited;
  std::vector<std::string> shards;
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
    if (state.is_discarded()) return corrupt("{}: unreadable state file (corrupt)", u.state_path);
    for (const auto& s : state["kept"]) shards.push_back(o.out_dir + "/" + s.value("path", ""));
  }
  return shards;
}

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
#ifdef LMFORGE_HAVE_DEDUP
  total->dedup = ds.to_json();
  // Timings vary from run to run; stats.json must not.
  for (const char* k : {"stage_seconds", "signature_seconds", "signature_mb_per_s_per_core"})
    total->dedup.erase(k);
#endif
}

Status run_dedup_step(const CleanConfig& config, const CleanOptions& o, int threads,
                      const std::vector<Unit>& units, CleanStats* total) {
  LM_ASSIGN_OR_RETURN(std::vector<std::string> inputs, all_filtered_shards(units, o));
  Timer dedup_timer;
  io::WriterOptions wo;
  wo.prefix = fmt::format("dedup-r{:03d}", o.rank);
  wo.shard_bytes = o.shard_bytes;
  wo.dir = o.out_dir + "/kept";
  LM_ASSIGN_OR_RETURN(auto kept, io::ShardWriter::create(wo));
  wo.dir = o.out_dir + "/removed";
  LM_ASSIGN_OR_RETURN(auto removed, io::ShardWriter::create(wo));
  dedup::DedupStats ds;
  if (!inputs.empty()) {
    LM_ASSIGN_OR_RETURN(dedup::DedupOptions d, dedup_options(config.dedup));
    d.threads = threads;
    d.rank = o.rank;
    d.world = o.world;
    d.work_dir = o.out_dir + "/dedup-work";
    d.resume = o.resume;
    d.memory_budget = config.dedup.memory_mb << 20;
#ifdef LMFORGE_HAVE_DEDUP
    auto r = dedup::run_dedup(inputs, io::ReaderOptions{}, d, *kept, *removed);
    if (!r.ok()) return r.status().with_context("dedup stage");
    ds = std::move(r).value();
#endif
  }
  LM_RETURN_IF_ERROR(kept->close());
  LM_RETURN_IF_ERROR(removed->close());
  add_dedup_stats(ds, total);
  total->seconds["dedup"] += dedup_timer.seconds();
  return ok_status();
}

// world == 1: DIR/stats.json. Otherwise DIR/stats-rank-R.json, and stats.json once every
// rank's file exists (the last rank to finish writes it).
Status write_stats(const CleanStats& stats, const CleanOptions& o) {
  std::string body = stats.to_json().dump(1) + "\n";
  if (o.world == 1) return write_file_atomic(o.out_dir + "/stats.json", body);
  LM_RETURN_IF_ERROR(
      write_file_atomic(fmt::format("{}/stats-rank-{}.json", o.out_dir, o.rank), body));
  CleanStats all;
  dedup::DedupStats dall;
  bool have_dedup = false;
  for (int r = 0; r < o.world; ++r) {
    std::string path = fmt::format("{}/stats-rank-{}.json", o.out_dir, r);
    if (!file_exists(path)) return ok_status();
    LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) return corrupt("{}: unreadable stats", path);
    LM_ASSIGN_OR_RETURN(CleanStats s, CleanStats::from_json(j));
    if (!s.dedup.is_null()) {
#ifdef LMFORGE_HAVE_DEDUP
      LM_ASSIGN_OR_RETURN(dedup::DedupStats d, dedup::DedupStats::from_json(s.dedup));
#else
      dedup::DedupStats d;
#endif
      if (have_dedup) {
        dall.merge(d);
      } else {
        dall = d;
      }
      have_dedup = true;
    }
    all.merge(s);
  }
#ifdef LMFORGE_HAVE_DEDUP
  if (have_dedup) all.dedup = dall.to_json();
  for (const char* k : {"stage_seconds", "signature_seconds", "signature_mb_per_s_per_core"})
    all.dedup.erase(k);
#endif
  return write_file_atomic(o.out_dir + "/stats.json", all.to_json().dump(1) + "\n");
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

}  // namespace

Result<CleanStats> run_clean(const CleanConfig& config, const CleanOptions& o) {
  LM_RETURN_IF_ERROR(check_options(o));
  LM_ASSIGN_OR_RETURN(std::vector<std::string> files, io::expand_inputs(o.inputs));
  LM_ASSIGN_OR_RETURN(auto filters, make_filters(config));
  if (config.dedup.enabled) LM_RETURN_IF_ERROR(dedup_options(config.dedup).status());
  Ctx c{&config, &o, &filters, o.out_dir + (config.dedup.enabled ? "/filtered" : "/kept"),
        o.out_dir + "/removed"};
  c.threads = resolve_threads(o.threads);
  std::vector<Unit> units;
  std::vector<std::string> mine = {fmt::format("dedup-r{:03d}", o.rank)};
  for (size_t i = 0; i < files.size(); ++i) {
    units.push_back({i, files[i], fmt::format("f{:05d}", i),
                     fmt::format("{}/.state/unit-{:05d}.json", o.out_dir, i)});
    if (static_cast<int>(i % o.world) == o.rank) mine.push_back(units.back().prefix);
  }
  LM_RETURN_IF_ERROR(make_dirs(o.out_dir + "/.state"));
  if (!o.resume) {
    for (const auto& d : {c.kept_dir, c.removed_dir, o.out_dir + "/kept", o.out_dir + "/.state"}) {
      LM_RETURN_IF_ERROR(remove_outputs(d, mine));
    }
    for (const auto& u : units)
      if (static_cast<int>(u.index % o.world) == o.rank) fs::remove(u.state_path);
  }
  Progress progress("clean", 0, true);
  c.progress = &progress;
  CleanStats total;
  for (const auto& f : filters) total.stage(std::string(f->stage()));
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
    auto s = run_unit(c, u);
    if (!s.ok()) return s.status();
    total.merge(*s);
  }
  progress.finish();
  if (config.dedup.enabled) LM_RETURN_IF_ERROR(run_dedup_step(config, o, c.threads, units, &total));
  LM_RETURN_IF_ERROR(write_stats(total, o));
  return total;
}

}  // namespace lm::clean
