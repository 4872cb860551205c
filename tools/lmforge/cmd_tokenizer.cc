// cmd_tokenizer.cc: `lmforge tokenizer encode | decode | info | convert` (tokwp's
// cmd_tokenizer_train.cc adds `train`). encode reads documents with any DocumentReader and
// writes one id sequence per document, in input order for any --threads, as jsonl (an array per
// line), text (space-separated ids per line) or binary (little-endian uint32); --text encodes
// one string; invalid UTF-8 in the documents is kept byte for byte by default (--invalid-utf8).
// decode reverses it; info prints vocabulary size, special tokens and split pattern. The
// encoder and the id formats are the library's (tokenizer/id_files.h, shared with `pack`).
#include <fmt/core.h>

#include "cli.h"
#include "core/file_util.h"
#include "core/log.h"
#include "core/threads.h"
#include "core/timer.h"
#include "io/document.h"
#include "tokenizer/id_files.h"
#include "tokenizer/tokenizer.h"

namespace lm::cli {
namespace {

using tok::Tokenizer;

struct Options {
  std::string tokenizer, out, text, ids, format = "jsonl", to, text_field = "text";
  std::string invalid_utf8 = "keep";
  std::vector<std::string> in;
  int threads = 0;
  bool has_text = false, allow_special = false, special_as_text = false, eot = false;
  bool lossy = false, json = false;
  bool no_truncation = false, no_padding = false, add_special_tokens = false;
};

tok::SpecialPolicy policy_of(const Options& o) {
  if (o.allow_special) return tok::SpecialPolicy::kAllow;
  if (o.special_as_text) return tok::SpecialPolicy::kAsText;
  return tok::SpecialPolicy::kDisallow;
}

io::InvalidUtf8 invalid_utf8_of(const std::string& s) {
  return s == "repair" ? io::InvalidUtf8::kRepair
         : s == "skip" ? io::InvalidUtf8::kSkip
         : s == "fail" ? io::InvalidUtf8::kFail
                       : io::InvalidUtf8::kKeep;
}

// --text: one string, encoded here.
Result<tok::DocumentEncoderStats> encode_text(const Tokenizer& t, const tok::EncodeJob& job,
                                              const std::string& text, OutputFile* sink) {
  std::vector<uint32_t> ids;
  Status st = t.encode(text, job.policy, &ids);
  if (!st.ok()) return st.with_context("document 1 (id \"--text\")");
  if (auto eot = t.eot_id(); job.eot && eot) ids.push_back(*eot);
  std::string out;
  tok::format_ids(ids, job.format, &out);
  LM_RETURN_IF_ERROR(sink->write(out));
  return tok::DocumentEncoderStats{1, text.size(), ids.size(), 0, 0};
}

Status run_encode(const Options& o) {
  tok::EncodeJob job;
  LM_ASSIGN_OR_RETURN(job.format, tok::parse_id_format(o.format));
  if (o.has_text == !o.in.empty())
    return invalid_argument("tokenizer encode: give either --in DOCS or --text \"...\"");
  LM_ASSIGN_OR_RETURN(Tokenizer t, Tokenizer::load(o.tokenizer));
  // A tokenizer.json's truncation / padding sections apply as in HF, unless switched off.
  if (o.no_truncation) t.set_truncation(std::nullopt);
  if (o.no_padding) t.set_padding(std::nullopt);
  t.set_add_special_tokens(o.add_special_tokens);
  if (std::string notice = t.post_process_notice(); !notice.empty())
    log_warn("{}: {}; --no-truncation / --no-padding switch this off", o.tokenizer, notice);
  job.inputs = o.in;
  job.read.text_field = o.text_field;
  job.read.invalid_utf8 = invalid_utf8_of(o.invalid_utf8);
  job.policy = policy_of(o);
  job.eot = o.eot;
  job.threads = o.threads;
  OutputFile sink;
  LM_RETURN_IF_ERROR(sink.open(o.out));
  Timer timer;
  tok::DocumentEncoderStats st;
  if (o.has_text) {
    LM_ASSIGN_OR_RETURN(st, encode_text(t, job, o.text, &sink));
  } else {
    auto write = [&](std::string_view s) { return sink.write(s); };
    LM_ASSIGN_OR_RETURN(st, tok::encode_files(t, job, write));
  }
  LM_RETURN_IF_ERROR(sink.close());
  double secs = timer.seconds();
  nlohmann::json j = {{"documents", st.documents},
                      {"bytes", st.bytes},
                      {"tokens", st.ids},
                      {"seconds", secs},
                      {"mb_per_s", secs > 0 ? st.bytes / secs / 1e6 : 0.0},
                      {"bytes_per_token", st.ids ? double(st.bytes) / st.ids : 0.0},
                      {"encode_seconds", st.encode_wall},
                      {"encode_cpu_seconds", st.encode_cpu},
                      {"threads", resolve_threads(o.threads)},
                      {"mb_per_cpu_s", st.encode_cpu > 0 ? st.bytes / st.encode_cpu / 1e6 : 0.0}};
  if (o.json && !o.out.empty() && o.out != "-") print_json(j);
  if (!o.has_text)
    log_info("encoded {} documents, {} bytes -> {} tokens in {:.2f} s ({:.1f} MB/s)", st.documents,
             st.bytes, st.ids, secs, j["mb_per_s"].get<double>());
  return ok_status();
}

// Writes one decoded sequence: a {"id","text"} line (jsonl), or the text, followed by a newline
// when `newline` (line-based ids input).
Status emit_decoded(const Tokenizer& t, const Options& o, std::span<const uint32_t> ids,
                    uint64_t index, const std::string& where, bool jsonl, bool newline,
                    OutputFile* sink) {
  std::string text;
  if (o.lossy) {
    text = t.decode_lossy(ids);
  } else {
    auto r = t.decode(ids);
    if (!r.ok()) return r.status().with_context(where);
    text = std::move(r).value();
  }
  if (!jsonl) return sink->write(newline ? text + "\n" : text);
  nlohmann::json j = {{"id", std::to_string(index)}, {"text", text}};
  return sink->write(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

Status run_decode(const Options& o) {
  LM_RETURN_IF_ERROR(tok::parse_id_format(o.format).status());
  if (o.ids.empty() == o.in.empty())
    return invalid_argument("tokenizer decode: give either --in IDS or --ids \"1 2 3\"");
  LM_ASSIGN_OR_RETURN(Tokenizer t, Tokenizer::load(o.tokenizer));
  OutputFile sink;
  LM_RETURN_IF_ERROR(sink.open(o.out));
  std::vector<uint32_t> ids;
  if (!o.ids.empty()) {
    LM_RETURN_IF_ERROR(tok::parse_ids(o.ids, "--ids", &ids));
    LM_RETURN_IF_ERROR(emit_decoded(t, o, ids, 0, "--ids", o.to == "jsonl", false, &sink));
    return sink.close();
  }
  if (o.in.size() != 1) return invalid_argument("tokenizer decode: give one --in file");
  const bool jsonl = o.to.empty() ? o.format != "binary" : o.to == "jsonl";
  LM_ASSIGN_OR_RETURN(tok::IdFormat format, tok::parse_id_format(o.format));
  LM_RETURN_IF_ERROR(tok::read_id_file(
      o.in[0], format,
      [&](std::span<const uint32_t> ids, uint64_t index, const std::string& where, bool lines) {
        return emit_decoded(t, o, ids, index, where, jsonl, lines, &sink);
      }));
  return sink.close();
}

Status run_info(const Options& o) {
  LM_ASSIGN_OR_RETURN(Tokenizer t, Tokenizer::load(o.tokenizer));
  nlohmann::json j = t.info();
  j["path"] = o.tokenizer;
  if (o.json) {
    print_json(j);
    return ok_status();
  }
  fmt::print("{}: {} tokenizer, vocabulary size {}\n", o.tokenizer, j["type"].get<std::string>(),
             t.vocab_size());
  if (j.contains("scanner"))
    fmt::print("split pattern ({} scanner, {} ranks): {}\n", j["scanner"].get<std::string>(),
               j["ranks"].get<std::string>(), j["pattern"].get<std::string>());
  if (j.contains("normalizer") && !j["normalizer"].is_null())
    fmt::print("normalizer: {}\n", j["normalizer"].dump());
  fmt::print("special tokens:{}\n", j["special_tokens"].empty() ? " none" : "");
  for (const auto& [text, id] : j["special_tokens"].items())
    fmt::print("  {} {}\n", id.get<uint32_t>(), text);
  return ok_status();
}

Status run_convert(const Options& o) {
  LM_ASSIGN_OR_RETURN(Tokenizer t, Tokenizer::load(o.tokenizer));
  LM_RETURN_IF_ERROR(t.save(o.out));
  log_info("wrote {}", o.out);
  return ok_status();
}

void setup(CLI::App& app) {
  auto* tsub = app.add_subcommand("tokenizer", "Train, apply and inspect tokenizers");
  tsub->require_subcommand(1);
  static Options o;
  auto add_tok = [](CLI::App* s) {
    s->add_option("--tokenizer,-t", o.tokenizer,
                  "tokenizer.json, *.tiktoken, encoder.json (+vocab.bpe) or vocab.txt")
        ->required();
  };
  auto* enc = tsub->add_subcommand("encode", "Encode documents (or --text) into token ids");
  add_tok(enc);
  enc->add_option("--in,-i", o.in, "Documents (jsonl[.gz|.zst], text, sqlite; dirs, globs)");
  auto* text_opt = enc->add_option("--text", o.text, "Encode this one string instead");
  enc->add_option("--out,-o", o.out, "Output file (default: stdout)");
  enc->add_option("--format", o.format, "jsonl | text | binary (little-endian uint32)")
      ->capture_default_str();
  enc->add_option("--text-field", o.text_field, "JSONL member holding the text")
      ->capture_default_str();
  enc->add_option("--invalid-utf8", o.invalid_utf8,
                  "Invalid UTF-8 in --in: keep the bytes (byte-exact, as tiktoken; JSONL: bytes "
                  "inside the text string), repair (U+FFFD), skip the document, or fail")
      ->check(CLI::IsMember({"keep", "repair", "skip", "fail"}))
      ->capture_default_str();
  enc->add_flag("--allow-special", o.allow_special, "Special-token text becomes its special id");
  enc->add_flag("--special-as-text", o.special_as_text, "Special-token text is ordinary text");
  enc->add_flag("--eot", o.eot, "Append the end-of-text id after each document");
  enc->add_flag("--add-special-tokens", o.add_special_tokens,
                "Add the post_processor's special tokens (BERT: [CLS] ... [SEP]), as HF's "
                "encode does by default");
  enc->add_flag("--no-truncation", o.no_truncation,
                "Ignore the tokenizer.json's \"truncation\" section (HF applies it)");
  enc->add_flag("--no-padding", o.no_padding,
                "Ignore the tokenizer.json's \"padding\" section (HF applies it)");
  add_threads_option(enc, &o.threads);
  add_json_flag(enc, &o.json);
  set_action(enc, [text_opt] {
    o.has_text = text_opt->count() > 0;
    return run_encode(o);
  });
  auto* dec = tsub->add_subcommand("decode", "Decode token ids back into text");
  add_tok(dec);
  dec->add_option("--in,-i", o.in, "Ids file written by encode");
  dec->add_option("--ids", o.ids, "Decode these ids (\"1 2 3\") instead");
  dec->add_option("--out,-o", o.out, "Output file (default: stdout)");
  dec->add_option("--format", o.format, "Format of --in: jsonl | text | binary")
      ->capture_default_str();
  dec->add_option("--to", o.to, "Output: jsonl ({\"id\",\"text\"} per sequence) or text");
  dec->add_flag("--lossy", o.lossy, "Unknown ids become U+FFFD instead of an error");
  set_action(dec, [] { return run_decode(o); });
  auto* info = tsub->add_subcommand("info", "Vocabulary size, special tokens, split pattern");
  add_tok(info);
  add_json_flag(info, &o.json);
  set_action(info, [] { return run_info(o); });
  auto* conv = tsub->add_subcommand("convert", "Save a tokenizer in another format");
  add_tok(conv);
  conv->add_option("--out,-o", o.out, "tokenizer.json, NAME.tiktoken or vocab.txt")->required();
  set_action(conv, [] { return run_convert(o); });
}

Registrar reg(30, "tokenizer", setup);

}  // namespace
}  // namespace lm::cli
