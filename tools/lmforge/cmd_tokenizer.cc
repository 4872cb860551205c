// cmd_tokenizer.cc: `lmforge tokenizer encode | decode | info | convert` (tokwp's
// cmd_tokenizer_train.cc adds `train`). encode reads documents with any DocumentReader and
// writes one id sequence per document (tokenizer/id_files.h: the ordered parallel encoder and
// the jsonl / text / binary formats); --text encodes one string; invalid UTF-8 in the documents
// is kept byte for byte by default (--invalid-utf8). decode reverses it; info prints vocabulary
// size, special tokens and split pattern.
#include <fmt/core.h>

#include <cstdio>

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
};

// Output to a file (atomically) or stdout.
class Sink {
 public:
  Status open(const std::string& path) {
    if (path.empty() || path == "-") return ok_status();
    LM_ASSIGN_OR_RETURN(AtomicFile f, AtomicFile::create(path));
    file_ = std::make_unique<AtomicFile>(std::move(f));
    return ok_status();
  }
  Status write(std::string_view s) {
    if (file_) return file_->write(s);
    if (std::fwrite(s.data(), 1, s.size(), stdout) != s.size())
      return io_error("stdout: write failed");
    return ok_status();
  }
  Status close() {
    if (file_) return file_->commit();
    std::fflush(stdout);
    return ok_status();
  }

 private:
  std::unique_ptr<AtomicFile> file_;
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

Status run_encode(const Options& o) {
  tok::EncodeIdsOptions eo;
  LM_ASSIGN_OR_RETURN(eo.format, tok::parse_ids_format(o.format));
  if (o.has_text == !o.in.empty())
    return invalid_argument("tokenizer encode: give either --in DOCS or --text \"...\"");
  eo.policy = policy_of(o);
  eo.eot = o.eot;
  eo.threads = o.threads;
  LM_ASSIGN_OR_RETURN(Tokenizer t, Tokenizer::load(o.tokenizer));
  Sink sink;
  LM_RETURN_IF_ERROR(sink.open(o.out));
  auto write = [&sink](std::string_view s) { return sink.write(s); };
  Timer timer;
  tok::EncodeIdsStats st;
  if (o.has_text) {
    LM_ASSIGN_OR_RETURN(st, tok::encode_text_to_ids(t, o.text, "--text", eo, write));
  } else {
    io::ReaderOptions ro;
    ro.text_field = o.text_field;
    ro.invalid_utf8 = invalid_utf8_of(o.invalid_utf8);
    LM_ASSIGN_OR_RETURN(auto reader, io::DocumentReader::open(o.in, ro));
    LM_ASSIGN_OR_RETURN(st, tok::encode_documents_to_ids(t, reader.get(), eo, write));
  }
  LM_RETURN_IF_ERROR(sink.close());
  double secs = timer.seconds();
  nlohmann::json j = {
      {"documents", st.documents},
      {"bytes", st.bytes},
      {"tokens", st.tokens},
      {"seconds", secs},
      {"mb_per_s", secs > 0 ? st.bytes / secs / 1e6 : 0.0},
      {"bytes_per_token", st.tokens ? double(st.bytes) / st.tokens : 0.0},
      {"encode_seconds", st.encode_seconds},
      {"encode_cpu_seconds", st.encode_cpu_seconds},
      {"threads", resolve_threads(o.threads)},
      {"mb_per_cpu_s", st.encode_cpu_seconds > 0 ? st.bytes / st.encode_cpu_seconds / 1e6 : 0.0}};
  if (o.json && !o.out.empty() && o.out != "-") print_json(j);
  if (!o.has_text)
    log_info("encoded {} documents, {} bytes -> {} tokens in {:.2f} s ({:.1f} MB/s)", st.documents,
             st.bytes, st.tokens, secs, j["mb_per_s"].get<double>());
  return ok_status();
}

// Writes one decoded sequence: a {"id","text"} line (jsonl), or the text, followed by a newline
// when `newline` (line-based ids input).
Status emit_decoded(const Tokenizer& t, const Options& o, const std::vector<uint32_t>& ids,
                    uint64_t index, const std::string& where, bool jsonl, bool newline,
                    Sink* sink) {
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
  LM_RETURN_IF_ERROR(tok::parse_ids_format(o.format).status());
  if (o.ids.empty() == o.in.empty())
    return invalid_argument("tokenizer decode: give either --in IDS or --ids \"1 2 3\"");
  LM_ASSIGN_OR_RETURN(Tokenizer t, Tokenizer::load(o.tokenizer));
  Sink sink;
  LM_RETURN_IF_ERROR(sink.open(o.out));
  std::vector<uint32_t> ids;
  if (!o.ids.empty()) {
    LM_RETURN_IF_ERROR(tok::parse_ids(o.ids, "--ids", &ids));
    LM_RETURN_IF_ERROR(emit_decoded(t, o, ids, 0, "--ids", o.to == "jsonl", false, &sink));
    return sink.close();
  }
  if (o.in.size() != 1) return invalid_argument("tokenizer decode: give one --in file");
  bool jsonl = o.to.empty() ? o.format != "binary" : o.to == "jsonl";
  LM_ASSIGN_OR_RETURN(std::string data, read_file(o.in[0]));
  if (o.format == "binary") {
    LM_RETURN_IF_ERROR(tok::parse_binary_ids(data, o.in[0], &ids));
    LM_RETURN_IF_ERROR(emit_decoded(t, o, ids, 0, o.in[0], jsonl, false, &sink));
    return sink.close();
  }
  uint64_t line_no = 0;
  for (size_t pos = 0; pos < data.size();) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    std::string where = fmt::format("{}:{}", o.in[0], ++line_no);
    ids.clear();
    LM_RETURN_IF_ERROR(tok::parse_ids(std::string_view(data).substr(pos, nl - pos), where, &ids));
    LM_RETURN_IF_ERROR(emit_decoded(t, o, ids, line_no - 1, where, jsonl, true, &sink));
    pos = nl + 1;
  }
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
