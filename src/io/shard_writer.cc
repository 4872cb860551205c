// shard_writer.cc: JSONL.zst shards (one zstd frame each) written through AtomicFile, so a
// shard appears under its final name only once it is complete. close() also removes shards of
// the same prefix left by an earlier, longer run, so the folder holds exactly this run's output.
// Output bytes depend only on the documents and options (single-threaded zstd).
#include <zstd.h>

#include <filesystem>
#include <optional>

#include "core/file_util.h"
#include "io/document.h"

namespace lm::io {
namespace {

class ZstdShardWriter : public ShardWriter {
 public:
  explicit ZstdShardWriter(const WriterOptions& options)
      : options_(options), cctx_(ZSTD_createCCtx()), out_(ZSTD_CStreamOutSize()) {
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, options.zstd_level);
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1);
  }
  ~ZstdShardWriter() override { ZSTD_freeCCtx(cctx_); }

  Status write(const Document& doc) override {
    if (closed_) return internal_error("write after close of the writer for {}", options_.dir);
    line_.clear();
    append_document_json(&line_, doc);
    line_.push_back('\n');
    if (!file_) LM_RETURN_IF_ERROR(start_shard());
    LM_RETURN_IF_ERROR(compress(line_, ZSTD_e_continue));
    shard_bytes_ += line_.size();
    ++documents_;
    if (shard_bytes_ >= options_.shard_bytes) LM_RETURN_IF_ERROR(finish_shard());
    return ok_status();
  }

  Status close() override {
    if (closed_) return ok_status();
    closed_ = true;
    if (file_) LM_RETURN_IF_ERROR(finish_shard());
    return remove_stale();
  }

  const std::vector<std::string>& shards() const override { return shards_; }
  uint64_t documents() const override { return documents_; }

 private:
  std::string shard_path(size_t index) const {
    return fmt::format("{}/{}-{:05d}.jsonl.zst", options_.dir, options_.prefix, index);
  }

  Status start_shard() {
    LM_ASSIGN_OR_RETURN(AtomicFile f, AtomicFile::create(shard_path(shards_.size())));
    file_.emplace(std::move(f));
    shard_bytes_ = 0;
    ZSTD_CCtx_reset(cctx_, ZSTD_reset_session_only);
    return ok_status();
  }

  Status compress(std::string_view data, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    for (;;) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      size_t rc = ZSTD_compressStream2(cctx_, &out, &in, mode);
      if (ZSTD_isError(rc)) return internal_error("zstd: {}", ZSTD_getErrorName(rc));
      LM_RETURN_IF_ERROR(file_->write(out_.data(), out.pos));
      bool done = mode == ZSTD_e_end ? rc == 0 : in.pos == in.size;
      if (done) return ok_status();
    }
  }

  Status finish_shard() {
    LM_RETURN_IF_ERROR(compress({}, ZSTD_e_end));
    std::string path = file_->path();
    Status s = file_->commit();
    file_.reset();
    LM_RETURN_IF_ERROR(s);
    shards_.push_back(path);
    return ok_status();
  }

  // Removes DIR/PREFIX-NNNNN.jsonl.zst files with an index this run did not write.
  Status remove_stale() {
    for (size_t i = shards_.size();; ++i) {
      std::string p = shard_path(i);
      if (!file_exists(p)) break;
      std::error_code ec;
      std::filesystem::remove(p, ec);
      if (ec) return io_error("cannot remove the stale shard {}: {}", p, ec.message());
    }
    return ok_status();
  }

  WriterOptions options_;
  ZSTD_CCtx* cctx_;
  std::vector<char> out_;
  std::optional<AtomicFile> file_;
  std::string line_;
  std::vector<std::string> shards_;
  uint64_t shard_bytes_ = 0;
  uint64_t documents_ = 0;
  bool closed_ = false;
};

}  // namespace

Result<std::unique_ptr<ShardWriter>> ShardWriter::create(const WriterOptions& options) {
  if (options.dir.empty()) {
    return Status(Code::kInvalidArgument, "no output folder given", "pass --out DIR");
  }
  if (options.shard_bytes == 0) {
    return Status(Code::kInvalidArgument, "the shard size must be positive", "pass --shard-size");
  }
  LM_RETURN_IF_ERROR(make_dirs(options.dir));
  return std::unique_ptr<ShardWriter>(new ZstdShardWriter(options));
}

}  // namespace lm::io
