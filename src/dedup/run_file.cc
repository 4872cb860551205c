// run_file.cc: blob and run files of dedup: atomic writes, XXH3 checksums, verification on read.
// Every failure names the file; a checksum or size mismatch says the file is corrupt and how to
// recover (delete the work folder or rerun without --resume).
#include "dedup/run_file.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace lm::dedup {
namespace {

constexpr char kRunMagic[8] = {'L', 'M', 'D', 'D', 'R', 'U', 'N', '1'};
constexpr const char* kCorruptHint =
    "the dedup work folder is damaged: delete it (or rerun without --resume) to rebuild it";

Status corrupt_file(const std::string& path, const std::string& what) {
  return Status(Code::kCorrupt, fmt::format("{}: corrupt dedup intermediate file ({})", path, what),
                kCorruptHint);
}

Result<uint64_t> file_size(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return Status(Code::kNotFound, fmt::format("{}: missing dedup intermediate file", path),
                  "a stage before this one did not finish: run it (or all stages) again");
  }
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace

// ---- temp files ---------------------------------------------------------------------------------
Result<TempFile> TempFile::create(const std::string& path) {
  TempFile t;
  t.path_ = path;
  t.tmp_ = fmt::format("{}.tmp-{}", path, static_cast<long>(::getpid()));
  t.f_ = std::fopen(t.tmp_.c_str(), "wb");
  if (t.f_ == nullptr) {
    return Status(Code::kIo, fmt::format("{}: cannot create ({})", t.tmp_, std::strerror(errno)),
                  "check that the dedup work folder is writable and the disk is not full");
  }
  return t;
}

TempFile::TempFile(TempFile&& o) noexcept
    : path_(std::move(o.path_)), tmp_(std::move(o.tmp_)), f_(o.f_) {
  o.f_ = nullptr;
}

TempFile::~TempFile() {
  if (f_ != nullptr) {
    std::fclose(f_);
    std::remove(tmp_.c_str());
  }
}

Status TempFile::write(const void* data, size_t n) {
  if (n > 0 && std::fwrite(data, 1, n, f_) != n) {
    return Status(Code::kIo, fmt::format("{}: write failed ({})", tmp_, std::strerror(errno)),
                  "check free disk space in the dedup work folder");
  }
  return ok_status();
}

Status TempFile::commit() {
  const bool bad = std::fclose(f_) != 0;
  f_ = nullptr;
  if (bad || std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    std::remove(tmp_.c_str());
    return io_error("{}: cannot write ({})", path_, std::strerror(errno));
  }
  return ok_status();
}

// ---- blobs ------------------------------------------------------------------------------------
BlobWriter::BlobWriter(TempFile f) : file_(std::make_unique<TempFile>(std::move(f))) {
  state_.reset(XXH3_createState());
  XXH3_64bits_reset(state_.get());
}

Result<BlobWriter> BlobWriter::create(const std::string& path, const char magic[8]) {
  LM_ASSIGN_OR_RETURN(TempFile f, TempFile::create(path));
  LM_RETURN_IF_ERROR(f.write(magic, 8));
  return BlobWriter(std::move(f));
}

Status BlobWriter::write(const void* data, size_t n) {
  XXH3_64bits_update(state_.get(), data, n);
  size_ += n;
  return file_->write(data, n);
}

Status BlobWriter::commit() {
  const uint64_t trailer[2] = {size_, XXH3_64bits_digest(state_.get())};
  LM_RETURN_IF_ERROR(file_->write(trailer, sizeof(trailer)));
  return file_->commit();
}

namespace {
// XXH3 of p[begin, end) of a memory-mapped file starting at p (page-aligned), 16 MB at a time,
// each piece dropped from this process after hashing (it stays in the page cache and faults
// back in when used): verifying a large blob keeps at most one piece resident, so the peak
// memory of the clusters stage (448 B of signatures per document, few of them touched) does
// not grow with the corpus.
uint64_t hash_mapped(const uint8_t* p, uint64_t begin, uint64_t end) {
  constexpr uint64_t kPiece = 16ULL << 20;
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  for (uint64_t piece = 0; piece < end; piece += kPiece) {
    const uint64_t a = std::max(piece, begin), b = std::min(piece + kPiece, end);
    if (a < b) XXH3_64bits_update(st, p + a, b - a);
    madvise(const_cast<uint8_t*>(p + piece), std::min(kPiece, end - piece), MADV_DONTNEED);
  }
  const uint64_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return h;
}

Status check_blob(const std::string& path, const uint8_t* p, uint64_t n, const char magic[8],
                  uint64_t* payload, bool mapped = false) {
  if (n < 24 || std::memcmp(p, magic, 8) != 0) return corrupt_file(path, "bad header");
  uint64_t trailer[2];
  std::memcpy(trailer, p + n - 16, 16);
  if (trailer[0] != n - 24) return corrupt_file(path, "size does not match");
  const uint64_t h = mapped ? hash_mapped(p, 8, 8 + trailer[0]) : XXH3_64bits(p + 8, trailer[0]);
  if (h != trailer[1]) return corrupt_file(path, "checksum mismatch");
  *payload = trailer[0];
  return ok_status();
}
}  // namespace

Result<std::string> read_blob(const std::string& path, const char magic[8]) {
  LM_RETURN_IF_ERROR(file_size(path).status());
  LM_ASSIGN_OR_RETURN(std::string data, read_file(path));
  uint64_t payload = 0;
  LM_RETURN_IF_ERROR(check_blob(path, reinterpret_cast<const uint8_t*>(data.data()), data.size(),
                                magic, &payload));
  return data.substr(8, payload);
}

Result<MappedBlob> MappedBlob::open(const std::string& path, const char magic[8]) {
  LM_RETURN_IF_ERROR(file_size(path).status());
  LM_ASSIGN_OR_RETURN(MappedFile m, MappedFile::open(path));
  MappedBlob b;
  LM_RETURN_IF_ERROR(check_blob(path, m.data(), m.size(), magic, &b.size_, true));
  b.map_ = std::make_unique<MappedFile>(std::move(m));
  return b;
}

// ---- runs -------------------------------------------------------------------------------------
Status write_run_bytes(const std::string& path, const void* recs, size_t record_size,
                       const std::vector<uint64_t>& part_counts) {
  std::string header(kRunMagic, 8);
  const uint32_t dims[2] = {static_cast<uint32_t>(record_size),
                            static_cast<uint32_t>(part_counts.size())};
  header.append(reinterpret_cast<const char*>(dims), sizeof(dims));
  const auto* p = static_cast<const uint8_t*>(recs);
  uint64_t offset = 0;
  for (uint64_t count : part_counts) {
    const RunPart part{count, XXH3_64bits(p + offset, count * record_size)};
    header.append(reinterpret_cast<const char*>(&part), sizeof(part));
    offset += count * record_size;
  }
  const uint64_t hsum = XXH3_64bits(header.data(), header.size());
  header.append(reinterpret_cast<const char*>(&hsum), sizeof(hsum));
  LM_ASSIGN_OR_RETURN(TempFile f, TempFile::create(path));
  LM_RETURN_IF_ERROR(f.write(header.data(), header.size()));
  if (offset > 0) LM_RETURN_IF_ERROR(f.write(p, offset));
  return f.commit();
}

RunReaderBase::~RunReaderBase() {
  if (f_ != nullptr) std::fclose(f_);
}

Result<std::unique_ptr<RunReaderBase>> RunReaderBase::open(const std::string& path,
                                                           size_t record_size, int part,
                                                           size_t buffer_bytes) {
  LM_ASSIGN_OR_RETURN(uint64_t size, file_size(path));
  auto r = std::unique_ptr<RunReaderBase>(new RunReaderBase());
  r->path_ = path;
  r->record_size_ = record_size;
  r->f_ = std::fopen(path.c_str(), "rb");
  if (r->f_ == nullptr) return io_error("{}: cannot open", path);
  char head[16];
  uint32_t dims[2];
  if (std::fread(head, 1, 16, r->f_) != 16 || std::memcmp(head, kRunMagic, 8) != 0) {
    return corrupt_file(path, "bad header");
  }
  std::memcpy(dims, head + 8, 8);
  if (dims[0] != record_size || dims[1] == 0 || dims[1] > (1u << 20) ||
      part >= static_cast<int>(dims[1])) {
    return corrupt_file(path, "unexpected record size or partition count");
  }
  std::vector<RunPart> parts(dims[1]);
  uint64_t hsum = 0;
  if (std::fread(parts.data(), sizeof(RunPart), parts.size(), r->f_) != parts.size() ||
      std::fread(&hsum, 8, 1, r->f_) != 1) {
    return corrupt_file(path, "truncated header");
  }
  std::string header(head, 16);
  header.append(reinterpret_cast<const char*>(parts.data()), parts.size() * sizeof(RunPart));
  if (XXH3_64bits(header.data(), header.size()) != hsum) return corrupt_file(path, "bad header");
  uint64_t before = 0, total = 0;
  for (size_t q = 0; q < parts.size(); ++q) {
    if (static_cast<int>(q) < part) before += parts[q].count;
    total += parts[q].count;
  }
  const uint64_t start = header.size() + 8;
  if (size != start + total * record_size) return corrupt_file(path, "size does not match");
  if (std::fseek(r->f_, static_cast<long>(start + before * record_size), SEEK_SET) != 0) {
    return io_error("{}: seek failed", path);
  }
  r->remaining_ = r->unread_ = parts[part].count;
  r->checksum_ = parts[part].checksum;
  r->buf_.resize(std::max<size_t>(buffer_bytes / record_size, 1) * record_size);
  r->state_.reset(XXH3_createState());
  XXH3_64bits_reset(r->state_.get());
  return r;
}

Status RunReaderBase::refill() {
  const uint64_t want = std::min<uint64_t>(buf_.size() / record_size_, unread_);
  const size_t got = std::fread(buf_.data(), record_size_, want, f_);
  if (got != want) return corrupt_file(path_, "truncated");
  XXH3_64bits_update(state_.get(), buf_.data(), got * record_size_);
  unread_ -= got;
  pos_ = 0;
  len_ = got * record_size_;
  if (unread_ == 0 && XXH3_64bits_digest(state_.get()) != checksum_) {
    return corrupt_file(path_, "checksum mismatch");
  }
  return ok_status();
}

Result<bool> RunReaderBase::next(void* out) {
  if (remaining_ == 0) return false;
  if (pos_ == len_) LM_RETURN_IF_ERROR(refill());
  std::memcpy(out, buf_.data() + pos_, record_size_);
  pos_ += record_size_;
  --remaining_;
  return true;
}

}  // namespace lm::dedup
