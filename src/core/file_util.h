// file_util.h: files as a pipeline needs them: read a whole file, write one atomically
// (temporary name in the same folder, fsync, rename), memory-map one read-only, and make folders.
// An interrupted job never leaves a half-written file under its final name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace lm {

Result<std::string> read_file(const std::string& path);
// Writes `data` to path.tmp-<pid>, then renames it to `path`.
Status write_file_atomic(const std::string& path, std::string_view data);
Status make_dirs(const std::string& path);
bool file_exists(const std::string& path);
// The path of the running program (/proc/self/exe), or "lmforge" where it cannot be read.
std::string self_executable();

// A file being written under a temporary name; commit() renames it into place. Destroying an
// uncommitted AtomicFile removes the temporary file.
class AtomicFile {
 public:
  static Result<AtomicFile> create(const std::string& path);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  ~AtomicFile();

  Status write(const void* data, size_t n);
  Status write(std::string_view s) { return write(s.data(), s.size()); }
  Status commit();  // flush, fsync, rename
  FILE* handle() { return file_; }
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return tmp_; }
  uint64_t bytes_written() const { return written_; }

 private:
  AtomicFile() = default;
  void abandon();
  std::string path_, tmp_;
  FILE* file_ = nullptr;
  uint64_t written_ = 0;
};

// A read-only memory map of a whole file (an empty file maps to size 0, data nullptr).
// A command's output: a file written atomically (committed by close()), or stdout when the
// path is empty or "-".
class OutputFile {
 public:
  Status open(const std::string& path);
  Status write(std::string_view s);
  Status close();

 private:
  std::unique_ptr<AtomicFile> file_;
};

class MappedFile {
 public:
  static Result<MappedFile> open(const std::string& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  ~MappedFile();
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace lm
