// pipeline.cc: run_clean: per input file (a unit), documents are read in batches, filtered in
// parallel (core's OrderedRunner; per-worker scratch, per-batch stats), and written in input
// order, so output bytes do not depend on the thread count. A finished unit records its state
// (unit_state.h); --resume skips units whose outputs still match; then the dedup stage
// (dedup_step.h) and rank 0's stats.json for the whole job.
#include "clean/pipeline.h"

#include "clean/dedup_step.h"
#include "clean/filter_chain.h"
#include "clean/stage_progress.h"
#include "clean/unit_state.h"
#include "core/file_util.h"
#include "core/log.h"
#include "core/ordered_runner.h"
#include "core/threads.h"
#include "core/timer.h"

namespace lm::clean {
using nlohmann::json;

namespace {

struct Ctx {
  const CleanConfig* config = nullptr;
  const CleanOptions* opts = nullptr;
  FilterChain chain;
  std::string kept_dir, removed_dir, lines_dir;
  int threads = 1;
  StageProgress* progress = nullptr;
  const Ledger* ledger = nullptr;
};

struct Writers {
  std::unique_ptr<io::ShardWriter> kept, removed, lines;
};

// One batch of a unit: filtered by one worker, written in input order by the unit's thread.
struct Batch {
  std::vector<io::Document> docs;  // the first `count` (the rest: reused buffers)
  size_t count = 0;
  uint64_t bytes = 0;
  std::vector<Outcome> outcomes;
  LocalStats stats;  // of this batch's documents
};

void filter_batch(const Ctx& c, Batch* b, FilterContext* ctx) {
  reset(&b->stats, c.chain.slot_names.size());
  b->outcomes.resize(b->count);
  for (size_t i = 0; i < b->count; ++i)
    b->outcomes[i] = process_document(c.chain, &b->docs[i], ctx, &b->stats);
}

// Writes a filtered batch's documents, in input order, where their outcomes send them.
Status write_batch(Batch* b, Writers* w) {
  for (size_t i = 0; i < b->count; ++i) {
    io::Document& d = b->docs[i];
    const Outcome& o = b->outcomes[i];
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
  std::map<std::string, std::vector<std::string>> outputs;
  for (auto [key, writer] :
       {std::pair{"kept", w->kept.get()}, std::pair{"removed", w->removed.get()},
        std::pair{"lines", w->lines.get()}}) {
    LM_RETURN_IF_ERROR(writer->close());
    outputs[key] = writer->shards();
  }
  return write_unit_state(*c.ledger, u, *c.opts, outputs, stats);
}

// Cleans one input file (read, filter on all workers, write in order: core/ordered_runner.h)
// and records its state.
Result<CleanStats> run_unit(const Ctx& c, const Unit& u) {
  LM_ASSIGN_OR_RETURN(auto reader, io::DocumentReader::open({u.input}, c.opts->read));
  LM_ASSIGN_OR_RETURN(Writers w, open_writers(c, u));
  LocalStats unit;
  reset(&unit, c.chain.slot_names.size());
  std::vector<FilterContext> contexts(c.threads);
  OrderedRunner<Batch> r;
  r.threads = c.threads;
  r.read = [&](Batch& b) -> Result<bool> {
    return fill_batch([&reader](io::Document* d) { return reader->next(d); }, &b.docs, &b.count,
                      &b.bytes, SIZE_MAX, c.opts->batch_bytes);
  };
  r.empty = [](const Batch& b) { return b.count == 0; };
  r.work = [&](Batch& b, int worker) { filter_batch(c, &b, &contexts[worker]); };
  r.write = [&](Batch& b) {
    LM_RETURN_IF_ERROR(write_batch(&b, &w));
    merge(b.stats, &unit);
    if (c.progress) c.progress->update(unit, b.bytes);
    return ok_status();
  };
  LM_RETURN_IF_ERROR(r.run());
  if (c.progress) c.progress->unit_done(unit);
  CleanStats stats;
  for (const auto& name : c.chain.slot_names) stats.stage(name);
  fold(c.chain, unit, &stats);
  LM_RETURN_IF_ERROR(finish_unit(c, u, &w, stats));
  return stats;
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

// This rank's units, cleaned or (--resume) loaded from their state.
Result<CleanStats> clean_units(const Ctx& c, const std::vector<Unit>& units) {
  const CleanOptions& o = *c.opts;
  CleanStats total;
  for (const auto& name : c.chain.slot_names) total.stage(name);
  for (const auto& u : units) {
    if (static_cast<int>(u.index % o.world) != o.rank) continue;
    if (o.resume) {
      auto done = load_unit(*c.ledger, u, o);
      if (done.ok()) {
        log_info("resume: {} already cleaned", u.input);
        total.merge(*done);
        continue;
      }
      // Another config's (or an older lmforge's) state is refused; a damaged output or a state
      // of another input is redone.
      if (done.status().code() == Code::kFailedPrecondition) return done.status();
      if (done.status().code() != Code::kNotFound || file_exists(c.ledger->path(u.name))) {
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
  c.chain.filters = &filters;
  c.kept_dir = o.out_dir + (config.dedup.enabled ? "/filtered" : "/kept");
  c.removed_dir = o.out_dir + "/removed";
  c.lines_dir = o.out_dir + "/removed-lines";
  c.threads = resolve_threads(o.threads);
  c.chain.assign_slots();
  std::vector<Unit> units;
  std::vector<std::string> prefixes;  // of this rank's outputs (rank 0: the dedup stage's too)
  if (o.rank == 0) prefixes.push_back("dedup");
  for (size_t i = 0; i < files.size(); ++i) {
    units.push_back({i, files[i], fmt::format("f{:05d}", i), fmt::format("unit-{:05d}.json", i)});
    if (static_cast<int>(i % o.world) == o.rank) prefixes.push_back(units.back().prefix);
  }
  LM_RETURN_IF_ERROR(make_dirs(o.out_dir + "/.state"));
  const Ledger ledger = unit_ledger(o);
  c.ledger = &ledger;
  if (!o.resume) {
    for (const auto& d :
         {c.kept_dir, c.removed_dir, c.lines_dir, o.out_dir + "/kept", o.out_dir + "/.state"}) {
      LM_RETURN_IF_ERROR(remove_outputs(d, prefixes));
    }
    for (const auto& u : units)
      if (static_cast<int>(u.index % o.world) == o.rank) LM_RETURN_IF_ERROR(ledger.erase(u.name));
  }
  StageProgress progress(c.chain.slot_names);
  c.progress = &progress;
  LM_ASSIGN_OR_RETURN(CleanStats mine, clean_units(c, units));
  progress.finish();
  if (o.rank != 0 && !config.dedup.enabled) return mine;
  // The whole job's stats are the sum of every unit's (rank 0 waits for the other ranks'), then
  // the dedup stage's over all of them: the same stats.json for any --world.
  LM_ASSIGN_OR_RETURN(std::vector<json> states, all_unit_states(ledger, units, o));
  CleanStats job;
  for (const auto& name : c.chain.slot_names) job.stage(name);
  for (const auto& state : states) {
    LM_ASSIGN_OR_RETURN(CleanStats s, CleanStats::from_json(state["stats"]));
    job.merge(s);
  }
  job.seconds = mine.seconds;
  if (config.dedup.enabled) {
    Timer dedup_timer;
    dedup::DedupStats job_dedup;
    std::vector<std::string> inputs;  // every unit's filtered shards, in input order
    for (const auto& state : states)
      for (const auto& s : state["kept"]) inputs.push_back(o.out_dir + "/" + s.value("path", ""));
    LM_ASSIGN_OR_RETURN(dedup::DedupStats ds,
                        run_dedup_step(config, o, c.threads, inputs, &job_dedup));
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
