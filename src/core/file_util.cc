// file_util.cc: POSIX implementations of file_util.h.
#include "core/file_util.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

namespace lm {

Result<std::string> read_file(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    return Status(errno == ENOENT ? Code::kNotFound : Code::kIo,
                  fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  std::string out;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  bool bad = std::ferror(f);
  std::fclose(f);
  if (bad) return io_error("error reading {}", path);
  return out;
}

Status write_file_atomic(const std::string& path, std::string_view data) {
  LM_ASSIGN_OR_RETURN(AtomicFile f, AtomicFile::create(path));
  LM_RETURN_IF_ERROR(f.write(data));
  return f.commit();
}

Status make_dirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return io_error("cannot create directory {}: {}", path, ec.message());
  return ok_status();
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string self_executable() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, n) : "lmforge";
}

Result<AtomicFile> AtomicFile::create(const std::string& path) {
  AtomicFile f;
  f.path_ = path;
  f.tmp_ = fmt::format("{}.tmp-{}", path, static_cast<long>(::getpid()));
  f.file_ = std::fopen(f.tmp_.c_str(), "wb");
  if (!f.file_) return io_error("cannot create {}: {}", f.tmp_, std::strerror(errno));
  return f;
}

AtomicFile::AtomicFile(AtomicFile&& o) noexcept
    : path_(std::move(o.path_)), tmp_(std::move(o.tmp_)), file_(o.file_), written_(o.written_) {
  o.file_ = nullptr;
}

AtomicFile& AtomicFile::operator=(AtomicFile&& o) noexcept {
  if (this != &o) {
    abandon();
    path_ = std::move(o.path_);
    tmp_ = std::move(o.tmp_);
    file_ = o.file_;
    written_ = o.written_;
    o.file_ = nullptr;
  }
  return *this;
}

AtomicFile::~AtomicFile() { abandon(); }

void AtomicFile::abandon() {
  if (file_) {
    std::fclose(file_);
    file_ = nullptr;
    ::unlink(tmp_.c_str());
  }
}

Status AtomicFile::write(const void* data, size_t n) {
  if (!file_) return internal_error("write to a closed file {}", path_);
  if (n && std::fwrite(data, 1, n, file_) != n) {
    return io_error("error writing {}: {}", tmp_, std::strerror(errno));
  }
  written_ += n;
  return ok_status();
}

Status AtomicFile::commit() {
  if (!file_) return internal_error("commit of a closed file {}", path_);
  bool bad = std::fflush(file_) != 0 || ::fsync(fileno(file_)) != 0;
  bad = (std::fclose(file_) != 0) || bad;
  file_ = nullptr;
  if (bad) {
    ::unlink(tmp_.c_str());
    return io_error("error writing {} (disk full?)", path_);
  }
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp_.c_str());
    return io_error("cannot rename {} to {}: {}", tmp_, path_, std::strerror(errno));
  }
  return ok_status();
}

Result<MappedFile> MappedFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    return Status(errno == ENOENT ? Code::kNotFound : Code::kIo,
                  fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return io_error("cannot stat {}: {}", path, std::strerror(errno));
  }
  MappedFile m;
  m.path_ = path;
  m.size_ = static_cast<size_t>(st.st_size);
  if (m.size_ > 0) {
    void* p = ::mmap(nullptr, m.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      return io_error("cannot map {}: {}", path, std::strerror(errno));
    }
    m.data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  return m;
}

MappedFile::MappedFile(MappedFile&& o) noexcept
    : path_(std::move(o.path_)), data_(o.data_), size_(o.size_) {
  o.data_ = nullptr;
  o.size_ = 0;
}

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
  if (this != &o) {
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
    path_ = std::move(o.path_);
    data_ = o.data_;
    size_ = o.size_;
    o.data_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

Status OutputFile::open(const std::string& path) {
  if (path.empty() || path == "-") return ok_status();
  LM_ASSIGN_OR_RETURN(AtomicFile f, AtomicFile::create(path));
  file_ = std::make_unique<AtomicFile>(std::move(f));
  return ok_status();
}

Status OutputFile::write(std::string_view s) {
  if (file_) return file_->write(s);
  if (std::fwrite(s.data(), 1, s.size(), stdout) != s.size())
    return io_error("stdout: write failed");
  return ok_status();
}

Status OutputFile::close() {
  if (file_) return file_->commit();
  std::fflush(stdout);
  return ok_status();
}

}  // namespace lm
