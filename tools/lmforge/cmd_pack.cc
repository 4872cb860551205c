// cmd_pack.cc: `lmforge pack` (tokenize documents into Megatron .bin/.idx, llm.c or nanoGPT
// token shards with a train/val split, optional per-source train weights and meta.json;
// resumable) and `lmforge pack info PREFIX` (documents, tokens, dtype, length percentiles,
// validation, the weights, and with --padding the padding each loader mode wastes). The work
// is in src/dataset; this file parses and prints.
#include <fmt/core.h>

#include "cli.h"
#include "dataset/info.h"
#include "dataset/meta.h"
#include "dataset/packer.h"

namespace lm::cli {
namespace {

struct PackArgs {
  std::vector<std::string> inputs, formats = {"megatron"}, weights;
  std::string tokenizer, out, text_field = "text", id_field = "id";
  dataset::PackOptions o;
  bool json = false;
};

struct InfoArgs {
  std::string prefix;
  bool json = false, no_verify = false, padding = false;
  int batch_size = 8, seq_len = 1024;
};

// The weighted mixture: per source, its weight and the train documents/tokens written.
void print_train_sources(const std::map<std::string, double>& weights,
                         const std::map<std::string, dataset::SourceCount>& sources,
                         uint64_t train_tokens, int passes) {
  fmt::print("train by source (weights over {} pass{}; val unweighted):\n", passes,
             passes == 1 ? "" : "es");
  for (const auto& [name, c] : sources) {
    auto w = weights.find(name);
    fmt::print("  {:24} weight {:<6} {:>10} docs {:>12} tokens ({:5.2f}%)\n",
               name.empty() ? "(no source)" : name,
               w == weights.end() ? std::string("1") : fmt::format("{}", w->second), c.documents,
               c.tokens, train_tokens ? 100.0 * double(c.tokens) / double(train_tokens) : 0.0);
  }
}

Status run_pack(PackArgs* a) {
  if (a->inputs.empty() || a->tokenizer.empty() || a->out.empty()) {
    return Status(Code::kInvalidArgument, "pack needs --in, --tokenizer and --out",
                  "e.g. lmforge pack --in docs/ --tokenizer tokenizer.json --out data/corpus");
  }
  dataset::PackOptions o = a->o;
  o.inputs = a->inputs;
  o.out = a->out;
  o.reader.text_field = a->text_field;
  o.reader.id_field = a->id_field;
  o.reader.invalid_utf8 = io::InvalidUtf8::kKeep;  // byte-exact tokens, as tokenizer encode
  LM_ASSIGN_OR_RETURN(o.source_weights, dataset::parse_source_weights(a->weights));
  o.formats.clear();
  for (const auto& f : a->formats) {
    LM_ASSIGN_OR_RETURN(auto fmt, dataset::parse_format(f));
    o.formats.push_back(fmt);
  }
  LM_ASSIGN_OR_RETURN(dataset::Encoder enc, dataset::load_encoder(a->tokenizer));
  LM_ASSIGN_OR_RETURN(dataset::PackStats s, dataset::pack(o, enc));
  const uint64_t tokens = s.train_tokens + s.val_tokens;
  const double tps = s.seconds > 0 ? double(tokens) / s.seconds : 0;
  if (a->json) {
    nlohmann::json j = {{"out", o.out},
                        {"documents", s.documents},
                        {"train", {{"documents", s.train_documents}, {"tokens", s.train_tokens}}},
                        {"val", {{"documents", s.val_documents}, {"tokens", s.val_tokens}}},
                        {"text_bytes", s.text_bytes},
                        {"resumed_documents", s.resumed_documents},
                        {"threads", s.threads},
                        {"seconds", s.seconds},
                        {"tokens_per_second", tps}};
    if (!o.source_weights.empty()) {
      j["source_weights"] = o.source_weights;
      j["passes"] = s.passes;
      j["train"]["sources"] = dataset::source_counts_json(s.train_sources);
    }
    print_json(j);
    return ok_status();
  }
  fmt::print(
      "packed {} documents ({} resumed): train {} docs / {} tokens, val {} docs / {} "
      "tokens\n{:.2f} s, {:.0f} tokens/s on {} threads -> {}.meta.json\n",
      s.documents, s.resumed_documents, s.train_documents, s.train_tokens, s.val_documents,
      s.val_tokens, s.seconds, tps, s.threads, o.out);
  if (!o.source_weights.empty()) {
    print_train_sources(o.source_weights, s.train_sources, s.train_tokens, s.passes);
  }
  return ok_status();
}

void print_split(const std::string& name, const nlohmann::json& s) {
  fmt::print("{}: {} documents, {} tokens\n", name, s.value("documents", 0), s.value("tokens", 0));
  for (auto& [fmt_name, f] : s.items()) {
    if (!f.is_object()) continue;
    fmt::print("  {:9} dtype {:6} {} tokens in {} file(s)\n", fmt_name, f.value("dtype", ""),
               f.value("tokens", 0), f.value("files", nlohmann::json::array()).size());
    if (f.contains("length") && !f["length"].empty()) {
      const auto& l = f["length"];
      fmt::print(
          "  document length (tokens): min {} p10 {} p50 {} p90 {} p99 {} max {} mean {:.1f}\n",
          l.value("min", 0), l.value("p10", 0), l.value("p50", 0), l.value("p90", 0),
          l.value("p99", 0), l.value("max", 0), l.value("mean", 0.0));
    }
  }
}

Status run_info(InfoArgs* a) {
  LM_ASSIGN_OR_RETURN(nlohmann::json j, dataset::pack_info(a->prefix, !a->no_verify));
  if (a->padding) {
    LM_ASSIGN_OR_RETURN(j["padding"],
                        dataset::padding_report(a->prefix, a->batch_size, a->seq_len));
  }
  if (a->json) {
    print_json(j);
    return ok_status();
  }
  fmt::print("{}: tokenizer {} (vocab {}, eot {}), val fraction {}{}\n", a->prefix,
             j.value("tokenizer", ""), j.value("vocab_size", 0), j.value("eot_id", 0),
             j.value("val_fraction", 0.0), a->no_verify ? "" : ", all shards verified");
  for (auto& [name, s] : j["splits"].items()) print_split(name, s);
  if (j.contains("source_weights")) {
    std::map<std::string, double> weights = j["source_weights"];
    print_train_sources(weights, dataset::parse_source_counts(j["train_sources"]),
                        j["splits"]["train"].value("tokens", uint64_t(0)), j.value("passes", 1));
  }
  if (a->padding) {
    const auto& p = j["padding"];
    fmt::print("padding at B={} T={} (train split, one epoch):\n", a->batch_size, a->seq_len);
    for (auto& [mode, m] : p["modes"].items()) {
      fmt::print(
          "  {:13} padding {:6.2f}%  trimmed {:6.2f}%  loss-masked {:6.2f}%  unserved "
          "{:5.2f}%  loader {:.0f} us/batch\n",
          mode, 100 * m.value("padding_fraction", 0.0),
          100 * m.value("padding_fraction_trimmed", 0.0),
          100 * m.value("loss_masked_fraction", 0.0),
          100 * m.value("tokens_not_served_fraction", 0.0), m.value("loader_us_per_batch", 0.0));
    }
  }
  return ok_status();
}

void setup(CLI::App& app) {
  auto* sub = app.add_subcommand("pack", "Tokenize documents into training token shards");
  static PackArgs a;
  sub->add_option("--in", a.inputs, "Document files, directories or globs")->expected(1, -1);
  sub->add_option("--tokenizer", a.tokenizer,
                  "Tokenizer file (tokenizer.json, *.tiktoken, ...) "
                  "or 'bytes'");
  sub->add_option("--out", a.out, "Output prefix: PREFIX.bin/.idx, PREFIX.meta.json, ...");
  sub->add_option("--format", a.formats, "megatron (native), llmc, nanogpt; several allowed")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("--val-fraction", a.o.val_fraction, "Fraction of documents (by id hash) for val")
      ->capture_default_str();
  sub->add_option("--weight", a.weights,
                  "Write each train document of SOURCE W times (W >= 0: 3 triples it, 0.5 keeps "
                  "half, chosen by id hash, 0 drops it; unnamed sources 1); copies go in later "
                  "passes over the input, never next to each other; val is never weighted. "
                  "Repeatable")
      ->type_name("SOURCE=W")
      ->expected(1)
      ->take_all();
  sub->add_option("--shard-tokens", a.o.shard_tokens, "llm.c tokens per shard")
      ->capture_default_str();
  sub->add_option("--checkpoint-seconds", a.o.checkpoint_seconds,
                  "Save a resumable state this often")
      ->capture_default_str();
  sub->add_flag("--restart", a.o.restart, "Ignore an interrupted run's state and start over");
  sub->add_option("--text-field", a.text_field, "JSONL member holding the text")
      ->capture_default_str();
  sub->add_option("--id-field", a.id_field, "JSONL member holding the id")->capture_default_str();
  sub->add_option("--stop-after", a.o.stop_after_documents,
                  "Testing: stop as if killed after N documents")
      ->group("");
  add_threads_option(sub, &a.o.threads);
  add_json_flag(sub, &a.json);

  auto* info = sub->add_subcommand("info", "Describe and validate a packed prefix");
  static InfoArgs ia;
  info->add_option("prefix", ia.prefix, "The --out PREFIX of a pack")->required();
  info->add_flag("--no-verify", ia.no_verify, "Skip the scan of every token id");
  info->add_flag("--padding", ia.padding, "Report the padding each loader mode wastes");
  info->add_option("--batch-size", ia.batch_size, "B for --padding")->capture_default_str();
  info->add_option("--seq-len", ia.seq_len, "T for --padding")->capture_default_str();
  add_json_flag(info, &ia.json);
  set_action(info, [] { return run_info(&ia); });
  set_action(sub, [info] { return info->parsed() ? ok_status() : run_pack(&a); });
}

Registrar reg(40, "pack", setup);

}  // namespace
}  // namespace lm::cli
