// byte_source.h: streaming byte input for document files. ByteSource reads a plain, gzip
// (multi-member) or zstd (multi-frame) file, chosen by its magic bytes, and reports truncated or
// corrupt compressed data as a kCorrupt error naming the file. LineReader splits a ByteSource
// into lines with a buffer that grows only as long as the longest line (bounded memory), and
// keeps kLinePadding readable bytes after every line so simdjson can parse it in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace lm::io {

enum class Compression { kNone, kGzip, kZstd };

class ByteSource {
 public:
  // Opens `path`; the compression is sniffed from the first bytes (not the extension).
  static Result<std::unique_ptr<ByteSource>> open(const std::string& path);
  virtual ~ByteSource() = default;
  // Reads up to n decompressed bytes into buf; returns 0 at the end of the data.
  virtual Result<size_t> read(char* buf, size_t n) = 0;
  virtual Compression compression() const = 0;
  // Compressed bytes consumed so far (file position).
  virtual uint64_t raw_bytes_read() const = 0;
  const std::string& path() const { return path_; }

 protected:
  std::string path_;
};

// Reads a whole ByteSource into *out; fails when more than max_bytes would be read.
Status read_all(ByteSource* src, std::string* out, uint64_t max_bytes);

class LineReader {
 public:
  static constexpr size_t kLinePadding = 64;  // >= SIMDJSON_PADDING
  LineReader(std::unique_ptr<ByteSource> src, uint64_t max_line_bytes);
  // Sets *line to the next line without its '\n' (and without a trailing '\r'); returns false at
  // the end. The view stays valid until the next call. A line longer than max_line_bytes is a
  // kInvalidArgument error naming the file and line.
  Result<bool> next(std::string_view* line);
  // After next() failed on a line longer than max_line_bytes: drops the rest of that line so
  // reading can go on with the next one (OnError::kSkip).
  Status discard_overlong_line();
  bool overlong() const { return overlong_; }
  uint64_t line_number() const { return line_no_; }  // 1-based number of the last line returned
  const std::string& path() const { return src_->path(); }
  ByteSource* source() { return src_.get(); }

 private:
  Status fill();
  std::unique_ptr<ByteSource> src_;
  uint64_t max_line_;
  std::vector<char> buf_;
  size_t begin_ = 0, end_ = 0, scan_ = 0;
  bool eof_ = false;
  bool overlong_ = false;
  uint64_t line_no_ = 0;
};

}  // namespace lm::io
