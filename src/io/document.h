// document.h: the unit every stage passes along (a document with an id, its text, where it came
// from and the language it is written in), and the readers and writers of document files.
// Readers: plain text, JSON Lines (plain, .gz, .zst; multi-frame/member) and SQLite, chosen by
// extension; directories and globs expand to files in a stable (sorted) order. Writer: JSONL.zst
// shards of a set size, each written atomically. Memory stays bounded: documents are streamed.
// This header is the contract other modules code against; keep it stable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace lm::io {

struct Document {
  std::string id;
  std::string text;
  std::string source;  // e.g. "bible-kjv"; empty when unknown
  std::string lang;    // ISO 639-1 code, e.g. "en"; empty when untagged
  // Other members of the input record, or ones a stage adds (e.g. "removed"), as the text of a
  // JSON object ("{...}"), or empty. Writers merge its members after id/text/source/lang.
  std::string extra_json;
};

enum class TextSplit { kWholeFile, kBlankLines, kLines };  // plain text: one document per ...
enum class OnError { kFail, kSkip };                       // malformed records
// Invalid UTF-8 in a document: U+FFFD, drop the document, stop, or keep the raw bytes (for
// byte-exact consumers such as the tokenizer; JSONL: the raw bytes inside the text member's
// string are kept, other members get U+FFFD).
enum class InvalidUtf8 { kRepair, kSkip, kFail, kKeep };

struct ReaderOptions {
  std::string text_field = "text";  // JSONL member holding the text ("a.b" for nested)
  std::string id_field = "id";      // JSONL member holding the id (made up when absent)
  TextSplit text_split = TextSplit::kWholeFile;
  OnError on_error = OnError::kFail;
  InvalidUtf8 invalid_utf8 = InvalidUtf8::kRepair;
  std::string sqlite_query;  // for .sqlite/.sqlite3/.db inputs: "SELECT id, text FROM t"
  uint64_t max_document_bytes = 1ULL << 30;  // a longer record is an error (or skipped)
};

struct ReaderStats {
  uint64_t files = 0;
  uint64_t documents = 0;        // documents returned
  uint64_t bytes = 0;            // text bytes returned
  uint64_t skipped_records = 0;  // malformed records skipped under OnError::kSkip
  uint64_t repaired_utf8 = 0;    // documents whose invalid UTF-8 was replaced by U+FFFD
  uint64_t skipped_utf8 = 0;     // documents dropped for invalid UTF-8
  uint64_t kept_utf8 = 0;        // documents returned with invalid UTF-8 (InvalidUtf8::kKeep)
};

// Expands files, directories (recursively) and glob patterns into a sorted list of files.
// A path that matches nothing is a kNotFound error naming it.
Result<std::vector<std::string>> expand_inputs(const std::vector<std::string>& inputs);

class DocumentReader {
 public:
  // Opens the inputs (see expand_inputs); the format of each file follows its extension:
  // .jsonl/.json/.ndjson (+ .gz/.zst), .txt (and any other), .sqlite/.sqlite3/.db.
  static Result<std::unique_ptr<DocumentReader>> open(const std::vector<std::string>& inputs,
                                                      const ReaderOptions& options = {});
  virtual ~DocumentReader() = default;
  // Reads the next document into *doc; returns false at the end of all inputs. Errors name the
  // file and line (or record) and say what to do.
  virtual Result<bool> next(Document* doc) = 0;
  virtual ReaderStats stats() const = 0;
};

struct WriterOptions {
  std::string dir;                     // created if missing
  std::string prefix = "part";         // shards are DIR/PREFIX-00000.jsonl.zst, ...
  uint64_t shard_bytes = 64ULL << 20;  // uncompressed bytes per shard before starting a new one
  int zstd_level = 3;
};

// Writes documents as {"id","text","source","lang",...extra} JSON lines into zstd shards.
// Each shard is written under a temporary name and renamed when complete (close() or rollover).
class ShardWriter {
 public:
  static Result<std::unique_ptr<ShardWriter>> create(const WriterOptions& options);
  virtual ~ShardWriter() = default;  // an unclosed writer leaves no complete-looking shard
  virtual Status write(const Document& doc) = 0;
  virtual Status close() = 0;
  virtual const std::vector<std::string>& shards() const = 0;  // paths of completed shards
  virtual uint64_t documents() const = 0;
};

// Serialises one document as a JSON line (without the trailing newline).
std::string document_to_json(const Document& doc);

// --- Additions (io engineer); the declarations above are the stable contract. ---

enum class InputFormat { kJsonl, kText, kSqlite };
// The format a file is read as: SQLite by its magic bytes or .sqlite/.sqlite3/.db; JSON Lines
// by .jsonl/.json/.ndjson (after stripping .gz/.zst); anything else is plain text.
InputFormat input_format(const std::string& path);

// Appends `s` as a quoted JSON string: quotes, backslashes and control characters escaped,
// UTF-8 kept as is (invalid bytes become U+FFFD so the output is always valid JSON).
void append_json_string(std::string* out, std::string_view s);
// Appends document_to_json(doc) to *out (no newline); avoids a temporary per document.
void append_document_json(std::string* out, const Document& doc);

}  // namespace lm::io
