// partial_file.cc: POSIX implementation of PartialFile (fopen/ftruncate/fsync/rename).
#include "dataset/partial_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lm::dataset {

PartialFile::~PartialFile() {
  if (file_) std::fclose(file_);  // keep the .partial: a later run may resume it
}

Status PartialFile::open(const std::string& path, int64_t resume_size) {
  path_ = path;
  const std::string tmp = partial_path();
  if (resume_size < 0) {
    file_ = std::fopen(tmp.c_str(), "wb");
    if (!file_) return io_error("cannot create {}: {}", tmp, std::strerror(errno));
    size_ = 0;
    return ok_status();
  }
  struct stat st;
  if (::stat(tmp.c_str(), &st) != 0 || st.st_size < resume_size) {
    return corrupt("cannot resume {}: it is missing or shorter than the {} bytes recorded", tmp,
                   resume_size)
        .with_hint("run pack again with --restart to start over");
  }
  if (::truncate(tmp.c_str(), resume_size) != 0) {
    return io_error("cannot truncate {}: {}", tmp, std::strerror(errno));
  }
  file_ = std::fopen(tmp.c_str(), "r+b");
  if (!file_) return io_error("cannot open {}: {}", tmp, std::strerror(errno));
  if (std::fseek(file_, 0, SEEK_END) != 0) return io_error("cannot seek in {}", tmp);
  size_ = static_cast<uint64_t>(resume_size);
  return ok_status();
}

Status PartialFile::write(const void* data, size_t n) {
  if (!file_) return internal_error("write to a closed file {}", path_);
  if (n && std::fwrite(data, 1, n, file_) != n) {
    return io_error("error writing {}: {}", partial_path(), std::strerror(errno));
  }
  size_ += n;
  return ok_status();
}

Status PartialFile::write_at(uint64_t offset, const void* data, size_t n) {
  if (!file_) return internal_error("write to a closed file {}", path_);
  if (std::fseek(file_, static_cast<long>(offset), SEEK_SET) != 0 ||
      std::fwrite(data, 1, n, file_) != n || std::fseek(file_, 0, SEEK_END) != 0) {
    return io_error("error writing {}: {}", partial_path(), std::strerror(errno));
  }
  return ok_status();
}

Status PartialFile::sync() {
  if (!file_) return ok_status();
  if (std::fflush(file_) != 0 || ::fsync(fileno(file_)) != 0) {
    return io_error("error writing {} (disk full?): {}", partial_path(), std::strerror(errno));
  }
  return ok_status();
}

Status PartialFile::commit() {
  LM_RETURN_IF_ERROR(sync());
  if (file_) std::fclose(file_);
  file_ = nullptr;
  const std::string tmp = partial_path();
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) {
    return io_error("cannot rename {} to {}: {}", tmp, path_, std::strerror(errno));
  }
  return ok_status();
}

void PartialFile::abandon() {
  if (file_) std::fclose(file_);
  file_ = nullptr;
  if (!path_.empty()) ::unlink(partial_path().c_str());
}

}  // namespace lm::dataset
