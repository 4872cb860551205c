// byte_source.cc: plain / gzip (zlib, multi-member) / zstd (multi-frame) streaming readers and
// the line splitter. Truncated input is detected: a gzip member or zstd frame that does not end
// before the end of the file is a kCorrupt error, as is any decoder error.
#include "io/byte_source.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>

namespace lm::io {
namespace {

constexpr size_t kChunk = 1 << 20;

class FileIn {
 public:
  ~FileIn() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status open(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY);
    if (fd_ < 0) {
      return Status(errno == ENOENT ? Code::kNotFound : Code::kIo,
                    fmt::format("cannot open {}: {}", path, std::strerror(errno)),
                    "check the path and its permissions");
    }
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    return ok_status();
  }
  Result<size_t> read(char* buf, size_t n, const std::string& path) {
    for (;;) {
      ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) {
        pos_ += static_cast<uint64_t>(r);
        return static_cast<size_t>(r);
      }
      if (errno != EINTR) return io_error("error reading {}: {}", path, std::strerror(errno));
    }
  }
  uint64_t pos() const { return pos_; }

 private:
  int fd_ = -1;
  uint64_t pos_ = 0;
};

class PlainSource : public ByteSource {
 public:
  PlainSource(std::string path, std::unique_ptr<FileIn> in, std::string head)
      : in_(std::move(in)), head_(std::move(head)) {
    path_ = std::move(path);
  }
  Result<size_t> read(char* buf, size_t n) override {
    if (head_pos_ < head_.size()) {
      size_t k = std::min(n, head_.size() - head_pos_);
      std::memcpy(buf, head_.data() + head_pos_, k);
      head_pos_ += k;
      return k;
    }
    return in_->read(buf, n, path_);
  }
  Compression compression() const override { return Compression::kNone; }
  uint64_t raw_bytes_read() const override { return in_->pos(); }

 private:
  std::unique_ptr<FileIn> in_;
  std::string head_;
  size_t head_pos_ = 0;
};

Status truncated(const std::string& path, const char* what) {
  return Status(Code::kCorrupt,
                fmt::format("{}: truncated {} data (the file ends mid-stream)", path, what),
                "the file was cut short (interrupted download or copy?); fetch it again");
}

class GzipSource : public ByteSource {
 public:
  GzipSource(std::string path, std::unique_ptr<FileIn> in, std::string head)
      : in_(std::move(in)), inbuf_(kChunk) {
    path_ = std::move(path);
    std::memcpy(inbuf_.data(), head.data(), head.size());
    zs_.next_in = reinterpret_cast<Bytef*>(inbuf_.data());
    zs_.avail_in = static_cast<uInt>(head.size());
    ok_ = inflateInit2(&zs_, 15 + 32) == Z_OK;
  }
  ~GzipSource() override { inflateEnd(&zs_); }
  Compression compression() const override { return Compression::kGzip; }
  uint64_t raw_bytes_read() const override { return in_->pos(); }

  Result<size_t> read(char* buf, size_t n) override {
    if (!ok_) return internal_error("{}: zlib initialisation failed", path_);
    n = std::min<size_t>(n, 1u << 30);
    zs_.next_out = reinterpret_cast<Bytef*>(buf);
    zs_.avail_out = static_cast<uInt>(n);
    bool drained = false;  // inflate already ran without new input (pending output flushed)
    while (zs_.avail_out == n) {
      if (zs_.avail_in == 0 && (drained || !in_member_)) {
        LM_ASSIGN_OR_RETURN(size_t got, in_->read(inbuf_.data(), inbuf_.size(), path_));
        if (got == 0) {
          if (in_member_) return truncated(path_, "gzip");
          break;
        }
        zs_.next_in = reinterpret_cast<Bytef*>(inbuf_.data());
        zs_.avail_in = static_cast<uInt>(got);
      }
      drained = zs_.avail_in == 0;
      in_member_ = true;
      int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        in_member_ = false;
        inflateReset(&zs_);  // another member may follow
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return Status(Code::kCorrupt,
                      fmt::format("{}: corrupt gzip data ({})", path_, zs_.msg ? zs_.msg : "?"),
                      "the file is damaged; fetch it again");
      }
    }
    return n - zs_.avail_out;
  }

 private:
  std::unique_ptr<FileIn> in_;
  std::vector<char> inbuf_;
  z_stream zs_{};
  bool ok_ = false;
  bool in_member_ = false;
};

class ZstdSource : public ByteSource {
 public:
  ZstdSource(std::string path, std::unique_ptr<FileIn> in, std::string head)
      : in_(std::move(in)), inbuf_(ZSTD_DStreamInSize()), dctx_(ZSTD_createDCtx()) {
    path_ = std::move(path);
    std::memcpy(inbuf_.data(), head.data(), head.size());
    zin_ = {inbuf_.data(), head.size(), 0};
  }
  ~ZstdSource() override { ZSTD_freeDCtx(dctx_); }
  Compression compression() const override { return Compression::kZstd; }
  uint64_t raw_bytes_read() const override { return in_->pos(); }

  Result<size_t> read(char* buf, size_t n) override {
    ZSTD_outBuffer out{buf, n, 0};
    bool drained = false;  // the decoder already ran without new input
    while (out.pos == 0) {
      if (zin_.pos == zin_.size && (drained || !in_frame_)) {
        LM_ASSIGN_OR_RETURN(size_t got, in_->read(inbuf_.data(), inbuf_.size(), path_));
        if (got == 0) {
          if (in_frame_) return truncated(path_, "zstd");
          break;
        }
        zin_ = {inbuf_.data(), got, 0};
      }
      drained = zin_.pos == zin_.size;
      size_t rc = ZSTD_decompressStream(dctx_, &out, &zin_);
      if (ZSTD_isError(rc)) {
        return Status(Code::kCorrupt,
                      fmt::format("{}: corrupt zstd data ({})", path_, ZSTD_getErrorName(rc)),
                      "the file is damaged; fetch or write it again");
      }
      in_frame_ = rc != 0;  // 0: a frame just ended and is fully flushed
    }
    return out.pos;
  }

 private:
  std::unique_ptr<FileIn> in_;
  std::vector<char> inbuf_;
  ZSTD_DCtx* dctx_;
  ZSTD_inBuffer zin_{};
  bool in_frame_ = false;
};

}  // namespace

Result<std::unique_ptr<ByteSource>> ByteSource::open(const std::string& path) {
  auto in = std::make_unique<FileIn>();
  LM_RETURN_IF_ERROR(in->open(path));
  char magic[4];
  size_t have = 0;
  while (have < 4) {
    LM_ASSIGN_OR_RETURN(size_t got, in->read(magic + have, 4 - have, path));
    if (got == 0) break;
    have += got;
  }
  std::string head(magic, have);
  const auto* m = reinterpret_cast<const unsigned char*>(magic);
  if (have >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
    return std::unique_ptr<ByteSource>(new GzipSource(path, std::move(in), std::move(head)));
  }
  if (have == 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) {
    return std::unique_ptr<ByteSource>(new ZstdSource(path, std::move(in), std::move(head)));
  }
  return std::unique_ptr<ByteSource>(new PlainSource(path, std::move(in), std::move(head)));
}

Status read_all(ByteSource* src, std::string* out, uint64_t max_bytes) {
  out->clear();
  std::vector<char> buf(kChunk);
  for (;;) {
    LM_ASSIGN_OR_RETURN(size_t got, src->read(buf.data(), buf.size()));
    if (got == 0) return ok_status();
    if (out->size() + got > max_bytes) {
      return Status(Code::kInvalidArgument,
                    fmt::format("{}: document longer than {} bytes", src->path(), max_bytes),
                    "raise the limit (--max-document-bytes) or split the file (--split)");
    }
    out->append(buf.data(), got);
  }
}

LineReader::LineReader(std::unique_ptr<ByteSource> src, uint64_t max_line_bytes)
    : src_(std::move(src)), max_line_(max_line_bytes) {}

Status LineReader::fill() {
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    scan_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() < end_ + kChunk + kLinePadding) {
    buf_.resize(std::max(buf_.size() * 2, end_ + kChunk + kLinePadding));
  }
  LM_ASSIGN_OR_RETURN(size_t got, src_->read(buf_.data() + end_, kChunk));
  if (got == 0) eof_ = true;
  end_ += got;
  std::memset(buf_.data() + end_, 0, kLinePadding);
  return ok_status();
}

Result<bool> LineReader::next(std::string_view* line) {
  for (;;) {
    const char* base = buf_.data();
    if (scan_ < end_) {
      const void* nl = std::memchr(base + scan_, '\n', end_ - scan_);
      if (nl) {
        size_t pos = static_cast<const char*>(nl) - base;
        size_t len = pos - begin_;
        if (len && base[pos - 1] == '\r') --len;
        *line = std::string_view(base + begin_, len);
        begin_ = scan_ = pos + 1;
        ++line_no_;
        return true;
      }
      scan_ = end_;
    }
    if (end_ - begin_ > max_line_) {
      overlong_ = true;
      return Status(
          Code::kInvalidArgument,
          fmt::format("{}:{}: line longer than {} bytes", src_->path(), line_no_ + 1, max_line_),
          "raise --max-document-bytes, or check that the file is really line-based");
    }
    if (eof_) {
      if (begin_ == end_) return false;
      size_t len = end_ - begin_;
      if (base[end_ - 1] == '\r') --len;
      *line = std::string_view(base + begin_, len);
      begin_ = scan_ = end_;
      ++line_no_;
      return true;
    }
    LM_RETURN_IF_ERROR(fill());
  }
}

Status LineReader::discard_overlong_line() {
  LM_CHECK(overlong_, "discard_overlong_line() without an overlong line");
  overlong_ = false;
  ++line_no_;
  for (;;) {
    begin_ = scan_ = end_;  // nothing buffered holds a newline: drop it all
    if (eof_) return ok_status();
    LM_RETURN_IF_ERROR(fill());
    const void* nl = std::memchr(buf_.data() + scan_, '\n', end_ - scan_);
    if (nl) {
      begin_ = scan_ = static_cast<size_t>(static_cast<const char*>(nl) - buf_.data()) + 1;
      return ok_status();
    }
  }
}

}  // namespace lm::io
