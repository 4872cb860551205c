// partial_file.h: an output file written under PATH.partial that can be resumed after an
// interruption (truncated back to the last synced size and appended to), then renamed into
// place by commit(). The pack stage writes every shard through it so that a killed job leaves
// no complete-looking output and a rerun continues where the last checkpoint left off.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "core/status.h"

namespace lm::dataset {

class PartialFile {
 public:
  PartialFile() = default;
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;
  ~PartialFile();

  // Starts PATH.partial empty (resume_size < 0) or reopens it truncated to resume_size bytes.
  Status open(const std::string& path, int64_t resume_size = -1);
  Status write(const void* data, size_t n);
  Status write_at(uint64_t offset, const void* data, size_t n);  // overwrite (headers)
  Status sync();    // flush + fsync: bytes up to size() survive a crash
  Status commit();  // sync, close, rename PATH.partial -> PATH
  void abandon();   // close and remove PATH.partial
  uint64_t size() const { return size_; }
  bool is_open() const { return file_ != nullptr; }
  const std::string& path() const { return path_; }
  std::string partial_path() const { return path_ + ".partial"; }

 private:
  std::string path_;
  FILE* file_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace lm::dataset
