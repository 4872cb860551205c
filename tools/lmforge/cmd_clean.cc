// cmd_clean.cc: `lmforge clean --in INPUT... --out DIR [--config clean.toml]`: normalise, filter
// (language, Gopher, C4, FineWeb, gibberish, boilerplate, toxicity) and deduplicate documents.
// Writes DIR/kept/, DIR/removed/ (each record says which stage and rule removed it),
// DIR/removed-lines/ (each line a line rule took out, with its rule) and DIR/stats.json, and
// prints a table per stage, rule, source and language (or --json).
#include <fmt/core.h>

#include "clean/config.h"
#include "clean/pipeline.h"
#include "cli.h"
#include "core/file_util.h"
#include "core/log.h"
#include "core/strings.h"
#include "core/threads.h"
#include "core/timer.h"

namespace lm::cli {
namespace {

struct CleanArgs {
  std::vector<std::string> inputs;
  std::string out, config, langs, langid_model, text_field = "text", on_error = "fail";
  int threads = 0, rank = -1, world = 0;
  bool resume = false, no_dedup = false, json = false;
};

Result<clean::CleanConfig> make_config(const CleanArgs& a, std::string* fingerprint) {
  clean::CleanConfig c;
  if (!a.config.empty()) {
    LM_ASSIGN_OR_RETURN(std::string text, read_file(a.config));
    LM_ASSIGN_OR_RETURN(c, clean::parse_config(text, a.config));
    *fingerprint += text;
  }
  if (!a.langs.empty()) {
    c.language.langs = a.langs == "all" ? std::vector<std::string>{} : split_commas(a.langs);
    *fingerprint += "\nlangs=" + a.langs;
  }
  if (!a.langid_model.empty()) {
    c.language.backend = "fasttext";
    c.language.model = a.langid_model;
    *fingerprint += "\nmodel=" + a.langid_model;
  }
  if (a.no_dedup) c.dedup.enabled = false;
  *fingerprint += a.no_dedup ? "\nno-dedup" : "";
  return c;
}

Status run(const CleanArgs& a) {
  clean::CleanOptions o;
  LM_ASSIGN_OR_RETURN(clean::CleanConfig config, make_config(a, &o.fingerprint));
  o.inputs = a.inputs;
  o.out_dir = a.out;
  o.read.text_field = a.text_field;
  o.read.on_error = a.on_error == "skip" ? io::OnError::kSkip : io::OnError::kFail;
  o.threads = a.threads;
  const RankWorld rw = resolve_rank_world(a.rank < 0 ? 0 : a.rank, a.world);
  o.rank = rw.rank;
  o.world = rw.world;
  o.resume = a.resume;
  Timer timer;
  LM_ASSIGN_OR_RETURN(clean::CleanStats stats, clean::run_clean(config, o));
  double secs = timer.seconds();
  if (rw.world > 1 && rw.rank != 0) {  // rank 0 reports (and writes stats.json for) the job
    log_info("rank {} of {}: done in {:.1f} s; {}/stats.json has the whole job's figures", rw.rank,
             rw.world, secs, a.out);
    return ok_status();
  }
  if (a.json) {
    nlohmann::json j = stats.to_json();
    j["seconds"] = secs;
    j["stage_seconds"] = stats.seconds;
    j["out"] = a.out;
    print_json(j);
    return ok_status();
  }
  fmt::print("{}", stats.table());
  fmt::print("\nthread-seconds per stage (sampled):");
  for (const auto& [stage, s] : stats.seconds) fmt::print(" {} {:.2f}", stage, s);
  fmt::print("\n");
  fmt::print("\n{} documents in, {} kept, in {:.1f} s ({:.1f} MB/s); outputs in {}/\n",
             stats.input.docs, stats.kept.docs, secs, stats.input.bytes / 1e6 / secs, a.out);
  return ok_status();
}

void setup(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "clean", "Normalise, filter and deduplicate documents, recording every decision");
  static CleanArgs a;
  sub->add_option("--in,inputs", a.inputs, "Files, directories or glob patterns")->required();
  sub->add_option("--out", a.out, "Output folder (kept/, removed/, removed-lines/, stats.json)")
      ->required();
  sub->add_option("--config", a.config,
                  "Recipe (TOML); default: the built-in Gopher + C4 + "
                  "FineWeb recipe, see examples/clean.toml");
  sub->add_option("--lang", a.langs, "Languages to keep, e.g. en,zh (\"all\": keep every one)");
  sub->add_option("--langid-model", a.langid_model,
                  "fastText language id model (e.g. "
                  "lid.176.bin) instead of CLD2");
  sub->add_option("--text-field", a.text_field, "JSONL member holding the text")
      ->capture_default_str();
  sub->add_option("--on-error", a.on_error, "Malformed records: fail, or skip and count them")
      ->check(CLI::IsMember({"fail", "skip"}))
      ->capture_default_str();
  sub->add_option("--rank", a.rank, "This process's rank (default: MPI/Slurm variables, or 0)");
  sub->add_option("--world", a.world, "Number of processes (default: MPI/Slurm variables, or 1)");
  sub->add_flag("--resume", a.resume, "Skip input files already cleaned (outputs checksummed)");
  sub->add_flag("--no-dedup", a.no_dedup, "Skip the dedup stage");
  add_threads_option(sub, &a.threads);
  add_json_flag(sub, &a.json);
  set_action(sub, [] { return run(a); });
}

Registrar reg(20, "clean", setup);

}  // namespace
}  // namespace lm::cli
