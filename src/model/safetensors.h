// safetensors.h: reading and writing safetensors files (u64 LE header length, JSON header
// padded with spaces to 8 bytes, then one contiguous row-major little-endian buffer). We write
// F32 tensors with {"format":"pt"} metadata; the reader validates every header field, offsets
// and sizes so a truncated or foreign file is a clear error, never a crash.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "core/status.h"

namespace lm::model {

struct TensorRef {
  std::string name;
  std::vector<int64_t> shape;
  const float* data = nullptr;
};

Status write_safetensors(const std::string& path, const std::vector<TensorRef>& tensors,
                         const std::map<std::string, std::string>& metadata = {});

class SafeTensorsFile {
 public:
  static Result<SafeTensorsFile> open(const std::string& path);
  struct Entry {
    std::vector<int64_t> shape;
    const float* data = nullptr;
    size_t count = 0;
  };
  const std::map<std::string, Entry>& tensors() const { return tensors_; }
  const Entry* find(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& path() const { return file_.path(); }

 private:
  explicit SafeTensorsFile(MappedFile f) : file_(std::move(f)) {}
  MappedFile file_;
  std::map<std::string, Entry> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace lm::model
