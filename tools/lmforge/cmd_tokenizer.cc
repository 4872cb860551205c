// cmd_tokenizer.cc: `lmforge tokenizer encode | decode | info | convert` (tokwp's
// cmd_tokenizer_train.cc adds `train`). encode reads documents with any DocumentReader and
// writes one id sequence per document, in input order for any --threads, as jsonl (an array per
// line), text (space-separated ids per line) or binary (little-endian uint32); --text encodes
// one string; invalid UTF-8 in the documents is kept byte for byte by default (--invalid-utf8).
// decode reverses it; info prints vocabulary size, special tokens and split pattern.
#include <fmt/core.h>
#include <omp.h>

#include <cstdio>
#include <cstring>
#include <ctime>

#include "cli.h"
#include "core/file_util.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/threads.h"
#include "core/timer.h"
#include "io/document.h"
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

Status check_format(const std::string& f) {
  if (f == "jsonl" || f == "text" || f == "binary") return ok_status();
  return invalid_argument("--format {}: expected jsonl, text or binary", f);
}

enum class Format { kJsonl, kText, kBinary };
Format format_of(const std::string& f) {
  return f == "binary" ? Format::kBinary : f == "text" ? Format::kText : Format::kJsonl;
}

// Writes the decimal digits of v at p; returns the end.
inline char* put_decimal(char* p, uint32_t v) {
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  char buf[10];
  char* b = buf + sizeof(buf);
  while (v >= 100) {
    uint32_t r = v % 100;
    v /= 100;
    b -= 2;
    std::memcpy(b, kPairs + 2 * r, 2);
  }
  if (v >= 10) {
    b -= 2;
    std::memcpy(b, kPairs + 2 * v, 2);
  } else {
    *--b = static_cast<char>('0' + v);
  }
  size_t n = static_cast<size_t>(buf + sizeof(buf) - b);
  std::memcpy(p, b, n);
  return p + n;
}

void format_ids(const std::vector<uint32_t>& ids, Format format, std::string* out) {
  size_t old = out->size();
  if (format == Format::kBinary) {  // little-endian uint32
    out->resize(old + ids.size() * 4);
    char* p = out->data() + old;
    for (uint32_t id : ids) {
      unsigned char b[4] = {static_cast<unsigned char>(id), static_cast<unsigned char>(id >> 8),
                            static_cast<unsigned char>(id >> 16),
                            static_cast<unsigned char>(id >> 24)};
      std::memcpy(p, b, 4);
      p += 4;
    }
    return;
  }
  bool jsonl = format == Format::kJsonl;
  thread_local std::vector<char> buf;
  buf.resize(std::max(buf.size(), ids.size() * 11 + 3));  // up to 10 digits and a separator
  char* p = buf.data();
  if (jsonl) *p++ = '[';
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) *p++ = jsonl ? ',' : ' ';
    p = put_decimal(p, ids[i]);
  }
  if (jsonl) *p++ = ']';
  *p++ = '\n';
  out->append(buf.data(), p);
}

tok::SpecialPolicy policy_of(const Options& o) {
  if (o.allow_special) return tok::SpecialPolicy::kAllow;
  if (o.special_as_text) return tok::SpecialPolicy::kAsText;
  return tok::SpecialPolicy::kDisallow;
}

struct EncodeStats {
  uint64_t docs = 0, bytes = 0, tokens = 0;
  double encode_wall = 0, encode_cpu = 0;  // inside the parallel encode only (no reading)
};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Encodes one batch in parallel and appends the formatted ids, in order, to the sink.
Status encode_batch(const Tokenizer& t, const Options& o, const std::vector<io::Document>& docs,
                    uint64_t first_index, int threads, Sink* sink, EncodeStats* st) {
  static std::vector<std::string> outs;  // kept across batches (no page faults); one caller
  outs.resize(std::max(outs.size(), docs.size()));
  for (size_t i = 0; i < docs.size(); ++i) outs[i].clear();
  std::vector<Status> errors(docs.size());
  std::vector<size_t> counts(docs.size());
  auto eot = t.eot_id();
  tok::SpecialPolicy policy = policy_of(o);
  Format format = format_of(o.format);
  Timer wall;
  double cpu = 0;
#pragma omp parallel num_threads(threads) reduction(+ : cpu)
  {
    double c0 = thread_cpu_seconds();
#pragma omp for schedule(dynamic, 16)
    for (size_t i = 0; i < docs.size(); ++i) {
      thread_local std::vector<uint32_t> ids;
      ids.clear();
      errors[i] = t.encode(docs[i].text, policy, &ids);
      if (o.eot && eot) ids.push_back(*eot);
      counts[i] = ids.size();
      format_ids(ids, format, &outs[i]);
    }
    cpu += thread_cpu_seconds() - c0;
  }
  st->encode_wall += wall.seconds();
  st->encode_cpu += cpu;
  for (size_t i = 0; i < docs.size(); ++i) {
    if (!errors[i].ok())
      return errors[i].with_context(
          fmt::format("document {} (id \"{}\")", first_index + i + 1, docs[i].id));
    LM_RETURN_IF_ERROR(sink->write(outs[i]));
    st->bytes += docs[i].text.size();
    st->tokens += counts[i];
  }
  st->docs += docs.size();
  return ok_status();
}

Status encode_documents(const Tokenizer& t, const Options& o, Sink* sink, EncodeStats* st) {
  io::ReaderOptions ro;
  ro.text_field = o.text_field;
  ro.invalid_utf8 = o.invalid_utf8 == "repair" ? io::InvalidUtf8::kRepair
                    : o.invalid_utf8 == "skip" ? io::InvalidUtf8::kSkip
                    : o.invalid_utf8 == "fail" ? io::InvalidUtf8::kFail
                                               : io::InvalidUtf8::kKeep;
  LM_ASSIGN_OR_RETURN(auto reader, io::DocumentReader::open(o.in, ro));
  int threads = resolve_threads(o.threads);
  Progress progress("encode", 0, true);
  std::vector<io::Document> batch;
  size_t batch_bytes = 0;
  io::Document doc;
  while (true) {
    LM_ASSIGN_OR_RETURN(bool more, reader->next(&doc));
    if (more) {
      batch_bytes += doc.text.size();
      batch.push_back(std::move(doc));
      doc = io::Document();
    }
    if (!batch.empty() && (!more || batch.size() >= 8192 || batch_bytes >= (16u << 20))) {
      LM_RETURN_IF_ERROR(encode_batch(t, o, batch, st->docs, threads, sink, st));
      progress.add(batch_bytes);
      batch.clear();
      batch_bytes = 0;
    }
    if (!more) break;
  }
  progress.finish();
  return ok_status();
}

Status run_encode(const Options& o) {
  LM_RETURN_IF_ERROR(check_format(o.format));
  if (o.has_text == !o.in.empty())
    return invalid_argument("tokenizer encode: give either --in DOCS or --text \"...\"");
  LM_ASSIGN_OR_RETURN(Tokenizer t, Tokenizer::load(o.tokenizer));
  Sink sink;
  LM_RETURN_IF_ERROR(sink.open(o.out));
  EncodeStats st;
  Timer timer;
  if (o.has_text) {
    std::vector<io::Document> one(1);
    one[0].text = o.text;
    one[0].id = "--text";
    LM_RETURN_IF_ERROR(encode_batch(t, o, one, 0, 1, &sink, &st));
  } else {
    LM_RETURN_IF_ERROR(encode_documents(t, o, &sink, &st));
  }
  LM_RETURN_IF_ERROR(sink.close());
  double secs = timer.seconds();
  nlohmann::json j = {{"documents", st.docs},
                      {"bytes", st.bytes},
                      {"tokens", st.tokens},
                      {"seconds", secs},
                      {"mb_per_s", secs > 0 ? st.bytes / secs / 1e6 : 0.0},
                      {"bytes_per_token", st.tokens ? double(st.bytes) / st.tokens : 0.0},
                      {"encode_seconds", st.encode_wall},
                      {"encode_cpu_seconds", st.encode_cpu},
                      {"threads", resolve_threads(o.threads)},
                      {"mb_per_cpu_s", st.encode_cpu > 0 ? st.bytes / st.encode_cpu / 1e6 : 0.0}};
  if (o.json && !o.out.empty() && o.out != "-") print_json(j);
  if (!o.has_text)
    log_info("encoded {} documents, {} bytes -> {} tokens in {:.2f} s ({:.1f} MB/s)", st.docs,
             st.bytes, st.tokens, secs, j["mb_per_s"].get<double>());
  return ok_status();
}

// Parses "[1, 2]" or "1 2" into ids; `where` names the line in errors.
Status parse_ids(std::string_view s, const std::string& where, std::vector<uint32_t>* out) {
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == '[' || c == ']' || c == ',' || c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c < '0' || c > '9')
      return invalid_argument("{}: unexpected character '{}' in the ids", where, c)
          .with_hint("ids are non-negative integers: [1,2,3] (jsonl) or 1 2 3 (text)");
    uint64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && v < (1ULL << 32))
      v = v * 10 + static_cast<uint64_t>(s[i++] - '0');
    if (v >= (1ULL << 32)) return invalid_argument("{}: id too large", where);
    out->push_back(static_cast<uint32_t>(v));
  }
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
  LM_RETURN_IF_ERROR(check_format(o.format));
  if (o.ids.empty() == o.in.empty())
    return invalid_argument("tokenizer decode: give either --in IDS or --ids \"1 2 3\"");
  LM_ASSIGN_OR_RETURN(Tokenizer t, Tokenizer::load(o.tokenizer));
  Sink sink;
  LM_RETURN_IF_ERROR(sink.open(o.out));
  std::vector<uint32_t> ids;
  if (!o.ids.empty()) {
    LM_RETURN_IF_ERROR(parse_ids(o.ids, "--ids", &ids));
    LM_RETURN_IF_ERROR(emit_decoded(t, o, ids, 0, "--ids", o.to == "jsonl", false, &sink));
    return sink.close();
  }
  if (o.in.size() != 1) return invalid_argument("tokenizer decode: give one --in file");
  bool jsonl = o.to.empty() ? o.format != "binary" : o.to == "jsonl";
  LM_ASSIGN_OR_RETURN(std::string data, read_file(o.in[0]));
  if (o.format == "binary") {
    if (data.size() % 4 != 0)
      return corrupt("{}: {} bytes is not a multiple of 4 (truncated uint32 ids?)", o.in[0],
                     data.size());
    ids.resize(data.size() / 4);
    for (size_t i = 0; i < ids.size(); ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(data.data()) + 4 * i;
      ids[i] = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
    }
    LM_RETURN_IF_ERROR(emit_decoded(t, o, ids, 0, o.in[0], jsonl, false, &sink));
    return sink.close();
  }
  uint64_t line_no = 0;
  for (size_t pos = 0; pos < data.size();) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    std::string where = fmt::format("{}:{}", o.in[0], ++line_no);
    ids.clear();
    LM_RETURN_IF_ERROR(parse_ids(std::string_view(data).substr(pos, nl - pos), where, &ids));
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
