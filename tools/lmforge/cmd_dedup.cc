// cmd_dedup.cc: `lmforge dedup --in INPUT... --out DIR`: exact, MinHash + LSH and line dedup.
// Writes DIR/kept/, DIR/removed/ (JSONL.zst; removed records say why), with --lines
// DIR/removed-lines/ (one record per dropped line, see docs/dedup.md) and DIR/stats.json, and
// prints a table (or --json). `--explain` prints the threshold and S-curve of a bands x rows
// setting without reading anything. --rank/--world (or MPI/Slurm variables) split the work.
#include <fmt/core.h>

#include "cli.h"
#include "core/file_util.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/threads.h"
#include "core/timer.h"
#include "dedup/dedup.h"

namespace lm::cli {
namespace {

struct DedupArgs {
  std::vector<std::string> inputs;
  std::string out, work_dir, preset = "datatrove", line_unit = "lines", cjk = "chars";
  std::string stage = "all", text_field = "text", id_field = "id";
  int bands = 0, rows = 0, ngram = 5, threads = 0, rank = -1, world = 0;
  uint64_t seed = 1, memory_mb = 1024;
  double verify = -1;
  bool no_exact = false, no_near = false, lines = false, resume = false, keep_work = false;
  bool explain = false, json = false;
};

Result<dedup::DedupOptions> make_options(const DedupArgs& a) {
  dedup::DedupOptions o;
  LM_ASSIGN_OR_RETURN(o.minhash, dedup::minhash_preset(a.preset));
  if (a.bands > 0) o.minhash.bands = a.bands;
  if (a.rows > 0) o.minhash.rows = a.rows;
  o.minhash.ngram = a.ngram;
  o.minhash.seed = a.seed;
  o.minhash.cjk_chars = a.cjk == "chars";
  o.verify_threshold = a.verify;
  o.exact = !a.no_exact;
  o.near = !a.no_near;
  o.lines = a.lines;
  o.line_unit =
      a.line_unit == "paragraphs" ? dedup::LineUnit::kParagraphs : dedup::LineUnit::kLines;
  o.threads = a.threads;
  const RankWorld rw = resolve_rank_world(a.rank < 0 ? 0 : a.rank, a.world);
  o.rank = rw.rank;
  o.world = rw.world;
  LM_ASSIGN_OR_RETURN(o.stage, dedup::parse_stage(a.stage));
  o.work_dir = a.work_dir.empty() ? a.out + "/work" : a.work_dir;
  o.resume = a.resume;
  o.keep_work = a.keep_work;
  o.memory_budget = a.memory_mb << 20;
  return o;
}

void print_explain(const dedup::MinHashParams& m) {
  fmt::print("MinHash: {}-word shingles, {} bands x {} rows = {} hashes\n", m.ngram, m.bands,
             m.rows, m.num_hashes());
  fmt::print("implied similarity threshold (1/b)^(1/r) = {:.3f}\n",
             dedup::lsh_threshold(m.bands, m.rows));
  fmt::print("{:>10} {:>12}\n", "Jaccard", "P(found)");
  for (const auto& [s, p] : dedup::lsh_s_curve(m.bands, m.rows, 21)) {
    fmt::print("{:>10.2f} {:>12.4f}\n", s, p);
  }
}

void print_table(const dedup::DedupStats& s, const dedup::DedupOptions& o) {
  auto row = [](const char* what, uint64_t docs, uint64_t bytes) {
    fmt::print("{:<28} {:>12} {:>14}\n", what, docs, format_bytes(static_cast<double>(bytes)));
  };
  fmt::print("{:<28} {:>12} {:>14}\n", "dedup", "documents", "bytes");
  row("in", s.documents_in, s.bytes_in);
  row("removed: exact", s.exact.documents, s.exact.bytes);
  row("removed: minhash", s.minhash.documents, s.minhash.bytes);
  row("removed: lines (emptied)", s.lines.documents, s.lines.bytes);
  row("lines dropped (count)", s.lines_removed, s.line_bytes_removed);
  row("kept", s.documents_kept, s.bytes_kept);
  fmt::print("\nMinHash {}x{} (threshold {:.3f}); {} duplicate clusters; sizes:", o.minhash.bands,
             o.minhash.rows, dedup::lsh_threshold(o.minhash.bands, o.minhash.rows), s.clusters);
  for (const auto& [size, n] : s.cluster_sizes) fmt::print(" {}:{}", size, n);
  fmt::print("\n\n{:<28} {:>12} {:>12}\n", "per source / language", "docs in", "docs kept");
  for (const auto* m : {&s.by_source, &s.by_lang}) {
    for (const auto& [k, g] : *m) {
      fmt::print("{:<28} {:>12} {:>12}\n", k, g.documents_in, g.documents_kept);
    }
  }
  for (const auto& [k, v] : s.stage_seconds) fmt::print("stage {:<12} {:8.2f} s\n", k, v);
  if (s.signature_seconds > 0) {
    fmt::print("signatures: {:.1f} MB/s per core\n", s.signature_bytes / 1e6 / s.signature_seconds);
  }
}

Status run(const DedupArgs& a) {
  LM_ASSIGN_OR_RETURN(dedup::DedupOptions o, make_options(a));
  if (a.explain) {
    print_explain(o.minhash);
    return ok_status();
  }
  if (a.inputs.empty()) return invalid_argument("dedup needs --in INPUT...");
  if (a.out.empty()) return invalid_argument("dedup needs --out DIR");
  io::ReaderOptions read;
  read.text_field = a.text_field;
  read.id_field = a.id_field;
  const std::string prefix = o.world > 1 ? fmt::format("part-r{:05}", o.rank) : "part";
  std::unique_ptr<io::ShardWriter> kept, removed, lines;
  const bool filter = o.stage == dedup::Stage::kAll || o.stage == dedup::Stage::kFilter;
  if (filter) {
    LM_ASSIGN_OR_RETURN(kept, io::ShardWriter::create({a.out + "/kept", prefix}));
    LM_ASSIGN_OR_RETURN(removed, io::ShardWriter::create({a.out + "/removed", prefix}));
    if (o.lines) {
      LM_ASSIGN_OR_RETURN(lines, io::ShardWriter::create({a.out + "/removed-lines", prefix}));
    }
  }
  LM_ASSIGN_OR_RETURN(dedup::DedupStats st, dedup::run_dedup_stage(a.inputs, read, o, kept.get(),
                                                                   removed.get(), lines.get()));
  if (filter) {
    LM_RETURN_IF_ERROR(kept->close());
    LM_RETURN_IF_ERROR(removed->close());
    if (lines) LM_RETURN_IF_ERROR(lines->close());
  }
  if (!filter) {
    log_info("dedup: stage {} done for rank {}", a.stage, o.rank);
    if (a.json) print_json(st.to_json());
    return ok_status();
  }
  const bool merged = o.world == 1 || o.rank == 0;
  if (o.world > 1 && o.rank == 0) {
    LM_ASSIGN_OR_RETURN(st, dedup::collect_rank_stats(a.inputs, read, o));
  }
  nlohmann::json j = st.to_json();
  j["minhash"] = {{"ngram", o.minhash.ngram},
                  {"bands", o.minhash.bands},
                  {"rows", o.minhash.rows},
                  {"seed", o.minhash.seed},
                  {"threshold", dedup::lsh_threshold(o.minhash.bands, o.minhash.rows)}};
  const std::string name = merged ? "stats.json" : fmt::format("stats-r{:05}.json", o.rank);
  LM_RETURN_IF_ERROR(write_file_atomic(a.out + "/" + name, j.dump(2) + "\n"));
  if (a.json) {
    print_json(j);
  } else {
    print_table(st, o);
  }
  return ok_status();
}

void setup(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "dedup", "Deduplicate documents: exact, MinHash + LSH near-duplicates, repeated lines");
  static DedupArgs a;
  sub->add_option("--in,inputs", a.inputs, "Input files, folders or globs");
  sub->add_option("--out", a.out, "Output folder (kept/, removed/, stats.json)");
  sub->add_option("--work-dir", a.work_dir,
                  "Intermediate files (default OUT/work; shared by ranks)");
  sub->add_flag("--no-exact", a.no_exact, "Skip exact dedup");
  sub->add_flag("--no-near", a.no_near, "Skip MinHash near-duplicate dedup");
  sub->add_flag("--lines", a.lines, "Drop lines (or paragraphs) seen earlier in the corpus");
  sub->add_option("--line-unit", a.line_unit, "Unit of --lines")
      ->check(CLI::IsMember({"lines", "paragraphs"}))
      ->capture_default_str();
  sub->add_option("--preset", a.preset, "MinHash preset: datatrove (14x8) or nemo (20x13)")
      ->capture_default_str();
  sub->add_option("--bands", a.bands, "LSH bands (overrides the preset)");
  sub->add_option("--rows", a.rows, "Rows per band (overrides the preset)");
  sub->add_option("--verify", a.verify,
                  "Join an LSH pair only at this estimated Jaccard or more (-1: the implied "
                  "threshold; 0: off, as datatrove)")
      ->capture_default_str();
  sub->add_option("--ngram", a.ngram, "Words per shingle")->capture_default_str();
  sub->add_option("--seed", a.seed, "MinHash permutation seed")->capture_default_str();
  sub->add_option("--cjk", a.cjk, "CJK text: one word per character, or ICU dictionary words")
      ->check(CLI::IsMember({"chars", "words"}))
      ->capture_default_str();
  sub->add_option("--stage", a.stage, "all, or one of signatures|buckets|clusters|filter")
      ->capture_default_str();
  sub->add_option("--rank", a.rank, "This process's rank (default: MPI/Slurm env, else 0)");
  sub->add_option("--world", a.world, "Number of ranks (default: MPI/Slurm env, else 1)");
  sub->add_flag("--resume", a.resume, "Skip stages already completed in the work folder");
  sub->add_flag("--keep-work", a.keep_work, "Keep the work folder after success");
  sub->add_option("--memory-mb", a.memory_mb, "Sort buffer budget in MB")->capture_default_str();
  sub->add_option("--text-field", a.text_field, "JSONL member holding the text")
      ->capture_default_str();
  sub->add_option("--id-field", a.id_field, "JSONL member holding the id")->capture_default_str();
  sub->add_flag("--explain", a.explain, "Print the threshold and S-curve of the setting and exit");
  add_threads_option(sub, &a.threads);
  add_json_flag(sub, &a.json);
  set_action(sub, [] { return run(a); });
}

Registrar reg(25, "dedup", setup);

}  // namespace
}  // namespace lm::cli
