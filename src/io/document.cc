// document.cc: input expansion (files, directories, globs -> a sorted file list), the chained
// multi-file DocumentReader, and JSON serialisation of documents (document_to_json).
// Directories contribute only files with document extensions (see is_document_file); explicit
// file arguments are always read.
#include "io/document.h"

#include <glob.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>

#include "core/file_util.h"
#include "io/reader_internal.h"
#include "uni/utf8.h"

namespace lm::io {
namespace fs = std::filesystem;
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view strip_compression(std::string_view name) {
  for (std::string_view ext : {".gz", ".zst"}) {
    if (ends_with(name, ext)) return name.substr(0, name.size() - ext.size());
  }
  return name;
}

// Files a directory contributes: JSON Lines (.json only when compressed: a plain .json beside
// shards is usually metadata such as manifest.json), text and SQLite; no hidden or temporary
// files (an AtomicFile still being written is NAME.tmp-PID).
bool is_document_file(const std::string& name) {
  if (name.empty() || name[0] == '.' || name.find(".tmp-") != std::string::npos) return false;
  std::string_view base = strip_compression(name);
  bool compressed = base.size() != name.size();
  for (std::string_view ext : {".jsonl", ".ndjson", ".txt", ".text"}) {
    if (ends_with(base, ext)) return true;
  }
  if (ends_with(base, ".json")) return compressed;
  if (compressed) return false;
  return ends_with(name, ".sqlite") || ends_with(name, ".sqlite3") || ends_with(name, ".db");
}

bool has_glob_chars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

Status expand_directory(const std::string& dir, std::vector<std::string>* out) {
  std::error_code ec;
  std::vector<std::string> found;
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && is_document_file(it->path().filename().string())) {
      found.push_back(it->path().string());
    }
  }
  if (ec) return io_error("cannot list directory {}: {}", dir, ec.message());
  std::sort(found.begin(), found.end());
  out->insert(out->end(), found.begin(), found.end());
  return ok_status();
}

Status expand_one(const std::string& input, std::vector<std::string>* out) {
  std::error_code ec;
  if (fs::is_directory(input, ec)) return expand_directory(input, out);
  if (fs::exists(input, ec)) {
    out->push_back(input);
    return ok_status();
  }
  if (!has_glob_chars(input)) {
    return Status(Code::kNotFound, fmt::format("no such file or directory: {}", input),
                  "check the path (inputs are files, directories or quoted glob patterns)");
  }
  glob_t g{};
  int rc = ::glob(input.c_str(), 0, nullptr, &g);
  std::vector<std::string> matches(g.gl_pathv, g.gl_pathv + (rc == 0 ? g.gl_pathc : 0));
  ::globfree(&g);
  if (matches.empty()) {
    return Status(Code::kNotFound, fmt::format("the pattern {} matches no file", input),
                  "check the pattern; quote it so the shell does not expand it");
  }
  std::sort(matches.begin(), matches.end());
  for (const auto& m : matches) {
    if (fs::is_directory(m, ec)) {
      LM_RETURN_IF_ERROR(expand_directory(m, out));
    } else {
      out->push_back(m);
    }
  }
  return ok_status();
}

class MultiReader : public DocumentReader {
 public:
  MultiReader(std::vector<std::string> files, const ReaderOptions& options)
      : files_(std::move(files)), options_(options) {}

  Result<bool> next(Document* doc) override {
    for (;;) {
      if (!current_) {
        if (index_ >= files_.size()) return false;
        LM_ASSIGN_OR_RETURN(current_, open_file(files_[index_]));
        ++index_;
      }
      LM_ASSIGN_OR_RETURN(bool more, current_->next(doc));
      if (more) return true;
      add(current_->stats(), &done_);
      current_.reset();
    }
  }

  ReaderStats stats() const override {
    ReaderStats s = done_;
    if (current_) add(current_->stats(), &s);
    return s;
  }

 private:
  static void add(const ReaderStats& a, ReaderStats* s) {
    s->files += a.files;
    s->documents += a.documents;
    s->bytes += a.bytes;
    s->skipped_records += a.skipped_records;
    s->repaired_utf8 += a.repaired_utf8;
    s->skipped_utf8 += a.skipped_utf8;
    s->kept_utf8 += a.kept_utf8;
  }

  Result<std::unique_ptr<DocumentReader>> open_file(const std::string& path) {
    switch (input_format(path)) {
      case InputFormat::kJsonl:
        return internal::open_jsonl(path, options_);
      case InputFormat::kSqlite:
        return internal::open_sqlite(path, options_);
      case InputFormat::kText:
        break;
    }
    return internal::open_text(path, options_);
  }

  std::vector<std::string> files_;
  ReaderOptions options_;
  size_t index_ = 0;
  std::unique_ptr<DocumentReader> current_;
  ReaderStats done_;
};

// Escapes needed per byte: 0 none, 1 short form (\n ...), 2 \u00XX.
constexpr std::array<uint8_t, 256> make_escape_table() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 2;
  t['\n'] = t['\t'] = t['\r'] = t['\b'] = t['\f'] = t['"'] = t['\\'] = 1;
  return t;
}
constexpr auto kEscape = make_escape_table();

void append_escaped_valid(std::string* out, std::string_view s) {
  out->push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), run = 0;
  for (size_t i = 0; i < n; ++i) {
    uint8_t e = kEscape[p[i]];
    if (!e) continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    char c = static_cast<char>(p[i]);
    if (e == 2) {
      static const char* kHex = "0123456789abcdef";
      const char u[6] = {'\\', 'u', '0', '0', kHex[p[i] >> 4], kHex[p[i] & 15]};
      out->append(u, 6);
      continue;
    }
    out->push_back('\\');
    switch (c) {
      case '\n':
        out->push_back('n');
        break;
      case '\t':
        out->push_back('t');
        break;
      case '\r':
        out->push_back('r');
        break;
      case '\b':
        out->push_back('b');
        break;
      case '\f':
        out->push_back('f');
        break;
      default:
        out->push_back(c);
    }
  }
  out->append(s.data() + run, n - run);
  out->push_back('"');
}

}  // namespace

InputFormat input_format(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f) {
    char magic[16] = {};
    size_t got = std::fread(magic, 1, sizeof magic, f);
    std::fclose(f);
    if (got == 16 && std::memcmp(magic, "SQLite format 3", 16) == 0) return InputFormat::kSqlite;
  }
  std::string_view base = strip_compression(path);
  for (std::string_view ext : {".jsonl", ".json", ".ndjson"}) {
    if (ends_with(base, ext)) return InputFormat::kJsonl;
  }
  for (std::string_view ext : {".sqlite", ".sqlite3", ".db"}) {
    if (ends_with(path, ext)) return InputFormat::kSqlite;
  }
  return InputFormat::kText;
}

Result<std::vector<std::string>> expand_inputs(const std::vector<std::string>& inputs) {
  if (inputs.empty()) {
    return Status(Code::kInvalidArgument, "no input given", "name files, directories or globs");
  }
  std::vector<std::string> files;
  for (const auto& in : inputs) LM_RETURN_IF_ERROR(expand_one(in, &files));
  return files;
}

Result<std::unique_ptr<DocumentReader>> DocumentReader::open(const std::vector<std::string>& inputs,
                                                             const ReaderOptions& options) {
  LM_ASSIGN_OR_RETURN(auto files, expand_inputs(inputs));
  for (const auto& f : files) {
    if (input_format(f) == InputFormat::kSqlite && options.sqlite_query.empty()) {
      return Status(Code::kInvalidArgument, fmt::format("{}: a SQLite input needs a query", f),
                    "pass --query \"SELECT id, text FROM <table>\"");
    }
  }
  return std::unique_ptr<DocumentReader>(new MultiReader(std::move(files), options));
}

void append_json_string(std::string* out, std::string_view s) {
  if (uni::utf8_valid(s)) {
    append_escaped_valid(out, s);
  } else {
    append_escaped_valid(out, uni::utf8_repair(s));
  }
}

void append_document_json(std::string* out, const Document& doc) {
  out->append("{\"id\":");
  append_json_string(out, doc.id);
  out->append(",\"text\":");
  append_json_string(out, doc.text);
  out->append(",\"source\":");
  append_json_string(out, doc.source);
  out->append(",\"lang\":");
  append_json_string(out, doc.lang);
  std::string_view extra = doc.extra_json;
  while (!extra.empty() && extra.back() != '}') extra.remove_suffix(1);
  size_t open = extra.find('{');
  if (open != std::string_view::npos && extra.size() >= 2) {
    std::string_view inner = extra.substr(open + 1, extra.size() - open - 2);
    while (!inner.empty() && (inner.front() == ' ' || inner.front() == '\n'))
      inner.remove_prefix(1);
    if (!inner.empty()) {
      out->push_back(',');
      out->append(inner);
    }
  }
  out->push_back('}');
}

std::string document_to_json(const Document& doc) {
  std::string out;
  out.reserve(doc.text.size() + doc.id.size() + 64);
  append_document_json(&out, doc);
  return out;
}

}  // namespace lm::io
