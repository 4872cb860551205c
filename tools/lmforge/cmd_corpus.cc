// cmd_corpus.cc: `lmforge corpus sample|stats|convert`: build the sample corpus, print figures
// about documents, and turn any supported input (text, JSONL[.gz|.zst], SQLite) into JSONL.zst
// shards. Reader options (text field, split, error and UTF-8 policies) are shared.
#include <fmt/core.h>

#include "cli.h"
#include "core/progress.h"
#include "core/timer.h"
#include "io/corpus_stats.h"
#include "io/document.h"
#include "io/sample_corpus.h"

namespace lm::cli {
namespace {

struct InputArgs {
  std::vector<std::string> inputs;
  std::string sqlite, query;
  std::string split = "whole", on_error = "fail", invalid_utf8 = "repair";
  io::ReaderOptions options;
};

void add_input_options(CLI::App* sub, InputArgs* a) {
  sub->add_option("inputs", a->inputs, "Files, directories or glob patterns");
  sub->add_option("--sqlite", a->sqlite, "A SQLite database to read (with --query)");
  sub->add_option("--query", a->query, "SQL query returning the documents: SELECT id, text FROM t");
  sub->add_option("--text-field", a->options.text_field,
                  "JSONL member holding the text (a.b nests)")
      ->capture_default_str();
  sub->add_option("--id-field", a->options.id_field, "JSONL member holding the id")
      ->capture_default_str();
  sub->add_option("--split", a->split,
                  "Plain text: one document per whole file, blank-line "
                  "block or line")
      ->check(CLI::IsMember({"whole", "blank", "line"}))
      ->capture_default_str();
  sub->add_option("--on-error", a->on_error, "Malformed records: fail, or skip and count them")
      ->check(CLI::IsMember({"fail", "skip"}))
      ->capture_default_str();
  sub->add_option("--invalid-utf8", a->invalid_utf8,
                  "Invalid UTF-8: repair (U+FFFD), skip the document, or fail")
      ->check(CLI::IsMember({"repair", "skip", "fail"}))
      ->capture_default_str();
  sub->add_option("--max-document-bytes", a->options.max_document_bytes,
                  "Longest document accepted (a longer one is a malformed record)")
      ->capture_default_str();
}

Result<std::unique_ptr<io::DocumentReader>> open_inputs(InputArgs* a) {
  io::ReaderOptions o = a->options;
  o.text_split = a->split == "blank"  ? io::TextSplit::kBlankLines
                 : a->split == "line" ? io::TextSplit::kLines
                                      : io::TextSplit::kWholeFile;
  o.on_error = a->on_error == "skip" ? io::OnError::kSkip : io::OnError::kFail;
  o.invalid_utf8 = a->invalid_utf8 == "skip"   ? io::InvalidUtf8::kSkip
                   : a->invalid_utf8 == "fail" ? io::InvalidUtf8::kFail
                                               : io::InvalidUtf8::kRepair;
  o.sqlite_query = a->query;
  std::vector<std::string> inputs = a->inputs;
  if (!a->sqlite.empty()) inputs.push_back(a->sqlite);
  if (!a->query.empty() && a->sqlite.empty() && inputs.empty()) {
    return Status(Code::kInvalidArgument, "--query needs --sqlite FILE", "pass --sqlite FILE");
  }
  return io::DocumentReader::open(inputs, o);
}

void setup_convert(CLI::App* corpus) {
  auto* sub = corpus->add_subcommand("convert", "Convert any supported input to JSONL.zst shards");
  static InputArgs in;
  static io::WriterOptions wo;
  static std::string shard_size = "64M";
  static bool json = false;
  add_input_options(sub, &in);
  sub->add_option("--out", wo.dir, "Output folder")->required();
  sub->add_option("--prefix", wo.prefix, "Shard name prefix")->capture_default_str();
  sub->add_option("--shard-size", shard_size, "Uncompressed bytes per shard (64M, 1G, ...)")
      ->capture_default_str();
  sub->add_option("--zstd-level", wo.zstd_level, "zstd compression level")->capture_default_str();
  add_json_flag(sub, &json);
  set_action(sub, [] {
    LM_ASSIGN_OR_RETURN(wo.shard_bytes, parse_bytes(shard_size));
    LM_ASSIGN_OR_RETURN(auto reader, open_inputs(&in));
    LM_ASSIGN_OR_RETURN(auto writer, io::ShardWriter::create(wo));
    Timer timer;
    Progress progress("convert", 0);
    io::Document doc;
    for (;;) {
      LM_ASSIGN_OR_RETURN(bool more, reader->next(&doc));
      if (!more) break;
      LM_RETURN_IF_ERROR(writer->write(doc));
      progress.add();
    }
    LM_RETURN_IF_ERROR(writer->close());
    progress.finish();
    io::ReaderStats rs = reader->stats();
    if (json) {
      nlohmann::json j = io::reader_stats_json(rs);
      j["documents"] = writer->documents();
      j["bytes"] = rs.bytes;
      j["shards"] = writer->shards();
      j["seconds"] = timer.seconds();
      print_json(j);
    } else {
      fmt::print("wrote {} documents ({}) into {} shards in {}\n{}\n", writer->documents(),
                 format_bytes(static_cast<double>(rs.bytes)), writer->shards().size(), wo.dir,
                 io::reader_stats_summary(rs));
    }
    return ok_status();
  });
}

void print_stats_text(const io::CorpusStats& s, const io::ReaderStats& rs) {
  fmt::print("documents   {}\nbytes       {} ({})\ncharacters  {}\n", s.documents, s.bytes,
             format_bytes(static_cast<double>(s.bytes)), s.characters);
  fmt::print("length (characters): min {}", s.min_chars);
  for (const auto& [p, v] : s.percentiles) fmt::print("  p{} {}", p, v);
  fmt::print("  max {}\n", s.max_chars);
  fmt::print("languages:\n");
  for (const auto& [k, v] : s.docs_by_lang) {
    fmt::print("  {:<10} {:>9} docs {:>12}\n", k.empty() ? "(none)" : k, v,
               format_bytes(static_cast<double>(s.bytes_by_lang.at(k))));
  }
  fmt::print("sources:\n");
  for (const auto& [k, v] : s.docs_by_source) {
    fmt::print("  {:<14} {:>9} docs {:>12}\n", k.empty() ? "(none)" : k, v,
               format_bytes(static_cast<double>(s.bytes_by_source.at(k))));
  }
  fmt::print("{}\n", io::reader_stats_summary(rs));
}

void setup_stats(CLI::App* corpus) {
  auto* sub = corpus->add_subcommand("stats",
                                     "Print documents, bytes, characters, languages, "
                                     "sources and length percentiles");
  static InputArgs in;
  static bool json = false;
  add_input_options(sub, &in);
  add_json_flag(sub, &json);
  set_action(sub, [] {
    LM_ASSIGN_OR_RETURN(auto reader, open_inputs(&in));
    io::CorpusStats stats;
    LM_RETURN_IF_ERROR(io::compute_stats(reader.get(), &stats));
    if (json) {
      print_json(io::corpus_stats_json(stats, reader->stats()));
    } else {
      print_stats_text(stats, reader->stats());
    }
    return ok_status();
  });
}

void setup_sample(CLI::App* corpus) {
  auto* sub = corpus->add_subcommand(
      "sample",
      "Build the sample corpus (KJV Bible, GCIDE, fortunes in 6 languages, Jargon "
      "File) from the installed Debian packages");
  static io::SampleOptions so;
  static bool json = false;
  sub->add_option("--out", so.out_dir, "Output folder")->required();
  sub->add_flag("--force", so.force, "Rebuild even if the folder holds a complete corpus");
  add_json_flag(sub, &json);
  set_action(sub, [] {
    LM_ASSIGN_OR_RETURN(io::SampleResult r, io::build_sample_corpus(so));
    if (json) {
      nlohmann::json j = {{"reused", r.reused},
                          {"documents", r.documents},
                          {"bytes", r.bytes},
                          {"manifest", r.manifest_path}};
      for (const auto& [k, v] : r.by_source_lang) {
        j["sources"][k] = {{"documents", v.documents}, {"bytes", v.bytes}};
      }
      print_json(j);
      return ok_status();
    }
    if (r.reused)
      fmt::print("{} already holds the sample corpus (use --force to rebuild)\n", so.out_dir);
    for (const auto& [k, v] : r.by_source_lang) {
      fmt::print("  {:<20} {:>8} docs {:>12}\n", k, v.documents,
                 format_bytes(static_cast<double>(v.bytes)));
    }
    fmt::print("sample corpus: {} documents, {} of text in {}\n", r.documents,
               format_bytes(static_cast<double>(r.bytes)), so.out_dir);
    return ok_status();
  });
}

void setup(CLI::App& app) {
  auto* corpus = app.add_subcommand("corpus", "Collect documents: sample, stats, convert");
  corpus->require_subcommand(1);
  setup_sample(corpus);
  setup_stats(corpus);
  setup_convert(corpus);
}

Registrar reg(10, "corpus", setup);

}  // namespace
}  // namespace lm::cli
