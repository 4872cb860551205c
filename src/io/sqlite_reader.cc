// sqlite_reader.cc: documents from a SQLite query (ReaderOptions::sqlite_query), opened
// read-only. Columns are matched by name (id, text, source, lang; others go to extra_json);
// without a "text" column the last column is the text and, with two or more, the first the id.
#include <sqlite3.h>

#include <vector>

#include "io/reader_internal.h"

namespace lm::io::internal {
namespace {

class SqliteReader : public DocumentReader {
 public:
  ~SqliteReader() override {
    if (stmt_) sqlite3_finalize(stmt_);
    if (db_) sqlite3_close(db_);
  }

  Status init(const std::string& path, const ReaderOptions& options) {
    path_ = path;
    options_ = options;
    stats_.files = 1;
    if (options.sqlite_query.empty()) {
      return Status(Code::kInvalidArgument, fmt::format("{}: a SQLite input needs a query", path),
                    "pass --query \"SELECT id, text FROM <table>\"");
    }
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      return Status(Code::kIo, fmt::format("{}: cannot open SQLite database: {}", path,
                                           db_ ? sqlite3_errmsg(db_) : "out of memory"));
    }
    if (sqlite3_prepare_v2(db_, options.sqlite_query.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
      return query_error();
    }
    map_columns();
    if (text_col_ < 0) {
      return Status(Code::kInvalidArgument, fmt::format("{}: the query returns no column", path),
                    "select the text, e.g. \"SELECT id, text FROM <table>\"");
    }
    return ok_status();
  }

  Result<bool> next(Document* doc) override {
    for (;;) {
      int rc = sqlite3_step(stmt_);
      if (rc == SQLITE_DONE) return false;
      if (rc != SQLITE_ROW) return query_error();
      ++row_;
      Status s = fill(doc);
      if (!s.ok()) {
        if (options_.on_error == OnError::kSkip) {
          ++stats_.skipped_records;
          continue;
        }
        return s;
      }
      LM_ASSIGN_OR_RETURN(Utf8Outcome o,
                          check_utf8(&doc->text, options_.invalid_utf8,
                                     fmt::format("{}: row {}", path_, row_), &stats_));
      if (o == Utf8Outcome::kDrop) continue;
      ++stats_.documents;
      stats_.bytes += doc->text.size();
      return true;
    }
  }

  ReaderStats stats() const override { return stats_; }

 private:
  Status query_error() const {
    return Status(Code::kInvalidArgument,
                  fmt::format("{}: SQLite query failed: {} (query: {})", path_, sqlite3_errmsg(db_),
                              options_.sqlite_query),
                  "check the table and column names (sqlite3 FILE .schema)");
  }

  void map_columns() {
    int n = sqlite3_column_count(stmt_);
    names_.resize(n);
    for (int i = 0; i < n; ++i) {
      const char* name = sqlite3_column_name(stmt_, i);
      names_[i] = name ? name : "";
      if (names_[i] == options_.text_field)
        text_col_ = i;
      else if (names_[i] == options_.id_field)
        id_col_ = i;
      else if (names_[i] == "source")
        source_col_ = i;
      else if (names_[i] == "lang")
        lang_col_ = i;
    }
    if (text_col_ < 0 && n > 0) {
      text_col_ = n - 1;
      if (n >= 2 && id_col_ < 0) id_col_ = 0;
    }
  }

  std::string column_text(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, i))) : std::string();
  }

  Status fill(Document* doc) {
    if (sqlite3_column_type(stmt_, text_col_) == SQLITE_NULL) {
      return Status(Code::kInvalidArgument,
                    fmt::format("{}: row {}: the text column is NULL", path_, row_), kSkipHint);
    }
    doc->text = column_text(text_col_);
    doc->id = id_col_ >= 0 ? column_text(id_col_) : fmt::format("{}:{}", path_, row_);
    doc->source = source_col_ >= 0 ? column_text(source_col_) : std::string();
    doc->lang = lang_col_ >= 0 ? column_text(lang_col_) : std::string();
    doc->extra_json.clear();
    for (int i = 0; i < static_cast<int>(names_.size()); ++i) {
      if (i == text_col_ || i == id_col_ || i == source_col_ || i == lang_col_) continue;
      if (names_[i] == "id" || names_[i] == "text") continue;
      doc->extra_json += doc->extra_json.empty() ? "{" : ",";
      append_json_string(&doc->extra_json, names_[i]);
      doc->extra_json += ':';
      append_column_json(i, &doc->extra_json);
    }
    if (!doc->extra_json.empty()) doc->extra_json += '}';
    if (doc->text.size() > options_.max_document_bytes) {
      return Status(Code::kInvalidArgument,
                    fmt::format("{}: row {}: document longer than {} bytes", path_, row_,
                                options_.max_document_bytes),
                    kSkipHint);
    }
    return ok_status();
  }

  void append_column_json(int i, std::string* out) const {
    switch (sqlite3_column_type(stmt_, i)) {
      case SQLITE_NULL:
        *out += "null";
        break;
      case SQLITE_INTEGER:
        *out += std::to_string(sqlite3_column_int64(stmt_, i));
        break;
      case SQLITE_FLOAT:
        *out += fmt::format("{}", sqlite3_column_double(stmt_, i));
        break;
      default: {
        std::string s = column_text(i);
        append_json_string(out, s);
      }
    }
  }

  std::string path_;
  ReaderOptions options_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::vector<std::string> names_;
  int text_col_ = -1, id_col_ = -1, source_col_ = -1, lang_col_ = -1;
  uint64_t row_ = 0;
  ReaderStats stats_;
};

}  // namespace

Result<std::unique_ptr<DocumentReader>> open_sqlite(const std::string& path,
                                                    const ReaderOptions& options) {
  auto r = std::make_unique<SqliteReader>();
  LM_RETURN_IF_ERROR(r->init(path, options));
  return std::unique_ptr<DocumentReader>(std::move(r));
}

}  // namespace lm::io::internal
