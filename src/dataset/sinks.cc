// sinks.cc: the Megatron, llm.c and nanoGPT token sinks.
#include "dataset/sinks.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/file_util.h"
#include "dataset/indexed.h"
#include "dataset/partial_file.h"

namespace lm::dataset {
namespace {

// Appends tokens in dtype (uint16 or 32-bit) to *buf.
void encode_tokens(std::span<const uint32_t> t, TokenDtype dtype, std::string* buf) {
  if (dtype == TokenDtype::kU16) {
    const size_t at = buf->size();
    buf->resize(at + t.size() * 2);
    auto* out = reinterpret_cast<uint8_t*>(buf->data() + at);
    for (size_t i = 0; i < t.size(); ++i) {
      const uint16_t v = static_cast<uint16_t>(t[i]);
      std::memcpy(out + 2 * i, &v, 2);
    }
  } else {
    buf->append(reinterpret_cast<const char*>(t.data()), t.size() * 4);
  }
}

uint64_t get_u64(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

class MegatronSink : public TokenSink {
 public:
  explicit MegatronSink(const SinkConfig& c) : c_(c) {}
  Status open(const nlohmann::json* resume) {
    dtype_ = megatron_dtype_for_vocab(c_.vocab_size);
    if (!resume) return w_.open(megatron_prefix(c_.prefix, c_.split), dtype_, nullptr);
    IndexedWriterState s{get_u64(*resume, "bin_bytes"), get_u64(*resume, "lens_bytes")};
    return w_.open(megatron_prefix(c_.prefix, c_.split), dtype_, &s);
  }
  Status add(std::span<const uint32_t> doc) override {
    buf_.assign(doc.begin(), doc.end());
    buf_.push_back(c_.eot_id);
    return w_.add_document(buf_);
  }
  Status checkpoint(nlohmann::json* state) override {
    IndexedWriterState s;
    LM_RETURN_IF_ERROR(w_.checkpoint(&s));
    *state = {{"bin_bytes", s.bin_bytes}, {"lens_bytes", s.lens_bytes}};
    return ok_status();
  }
  Status finish(nlohmann::json* info) override {
    const std::string p = megatron_prefix(c_.prefix, c_.split);
    *info = {{"dtype", dtype_name(dtype_)},
             {"eot", "appended"},
             {"documents", w_.documents()},
             {"tokens", w_.tokens()},
             {"files", nlohmann::json::array({bin_path(p), idx_path(p)})}};
    return w_.finish();
  }
  void abandon() override { w_.abandon(); }

 private:
  SinkConfig c_;
  TokenDtype dtype_ = TokenDtype::kU16;
  IndexedWriter w_;
  std::vector<uint32_t> buf_;
};

// Raw tokens with EOT appended to each document (nanoGPT's prepare.py convention).
class NanogptSink : public TokenSink {
 public:
  explicit NanogptSink(const SinkConfig& c) : c_(c) {}
  Status open(const nlohmann::json* resume) {
    dtype_ = raw_dtype_for_vocab(c_.vocab_size);
    const std::string path = nanogpt_path(c_.prefix, c_.split);
    LM_RETURN_IF_ERROR(make_dirs(std::filesystem::path(path).parent_path().string()));
    return f_.open(path, resume ? int64_t(get_u64(*resume, "bytes")) : -1);
  }
  Status add(std::span<const uint32_t> doc) override {
    buf_.clear();
    encode_tokens(doc, dtype_, &buf_);
    encode_tokens({&c_.eot_id, 1}, dtype_, &buf_);
    return f_.write(buf_.data(), buf_.size());
  }
  Status checkpoint(nlohmann::json* state) override {
    LM_RETURN_IF_ERROR(f_.sync());
    *state = {{"bytes", f_.size()}};
    return ok_status();
  }
  Status finish(nlohmann::json* info) override {
    *info = {{"dtype", dtype_name(dtype_)},
             {"eot", "appended"},
             {"tokens", f_.size() / dtype_size(dtype_)},
             {"files", nlohmann::json::array({f_.path()})}};
    return f_.commit();
  }
  void abandon() override {
    f_.abandon();
    std::error_code ec;  // the folder only when empty; nothing to report otherwise
    std::filesystem::remove(std::filesystem::path(f_.path()).parent_path(), ec);
  }

 private:
  SinkConfig c_;
  TokenDtype dtype_ = TokenDtype::kU16;
  PartialFile f_;
  std::string buf_;
};

// llm.c shards: a 256 x int32 header, then tokens; EOT prepended to each document; documents
// are cut at shard boundaries as llm.c's fineweb.py does.
class LlmcSink : public TokenSink {
 public:
  explicit LlmcSink(const SinkConfig& c) : c_(c) {}
  Status open(const nlohmann::json* resume) {
    dtype_ = raw_dtype_for_vocab(c_.vocab_size);
    index_ = c_.split == Split::kVal ? 0 : 1;
    if (!resume) return open_shard(-1);
    index_ = static_cast<int>(get_u64(*resume, "shard"));
    total_ = get_u64(*resume, "total");
    if (resume->contains("files")) files_ = (*resume)["files"];
    in_shard_ = get_u64(*resume, "in_shard");
    return open_shard(int64_t(1024 + in_shard_ * dtype_size(dtype_)));
  }
  Status add(std::span<const uint32_t> doc) override {
    LM_RETURN_IF_ERROR(put({&c_.eot_id, 1}));
    return put(doc);
  }
  Status checkpoint(nlohmann::json* state) override {
    LM_RETURN_IF_ERROR(f_.sync());
    *state = {{"shard", index_}, {"in_shard", in_shard_}, {"total", total_}, {"files", files_}};
    return ok_status();
  }
  Status finish(nlohmann::json* info) override {
    if (in_shard_ > 0) {
      LM_RETURN_IF_ERROR(close_shard());
    } else {
      f_.abandon();
    }
    *info = {
        {"dtype", dtype_name(dtype_)}, {"eot", "prepended"}, {"tokens", total_}, {"files", files_}};
    return ok_status();
  }
  void abandon() override {
    f_.abandon();
    std::error_code ec;  // the shards it committed, too
    for (const auto& p : files_) std::filesystem::remove(p.get<std::string>(), ec);
  }

 private:
  Status open_shard(int64_t resume_bytes) {
    LM_RETURN_IF_ERROR(f_.open(llmc_shard_path(c_.prefix, c_.split, index_), resume_bytes));
    if (resume_bytes >= 0) return ok_status();
    in_shard_ = 0;
    std::vector<int32_t> header(kLlmcHeaderInts, 0);
    return f_.write(header.data(), header.size() * 4);
  }
  Status close_shard() {
    const bool u16 = dtype_ == TokenDtype::kU16;
    const int32_t h[3] = {u16 ? kLlmcMagicU16 : kLlmcMagicU32,
                          u16 ? kLlmcVersionU16 : kLlmcVersionU32, int32_t(in_shard_)};
    LM_RETURN_IF_ERROR(f_.write_at(0, h, sizeof h));
    LM_RETURN_IF_ERROR(f_.commit());
    files_.push_back(f_.path());
    return ok_status();
  }
  Status put(std::span<const uint32_t> t) {
    while (!t.empty()) {
      const size_t n = std::min<uint64_t>(t.size(), c_.shard_tokens - in_shard_);
      buf_.clear();
      encode_tokens(t.first(n), dtype_, &buf_);
      LM_RETURN_IF_ERROR(f_.write(buf_.data(), buf_.size()));
      in_shard_ += n;
      total_ += n;
      t = t.subspan(n);
      if (in_shard_ == c_.shard_tokens) {
        LM_RETURN_IF_ERROR(close_shard());
        ++index_;
        LM_RETURN_IF_ERROR(open_shard(-1));
      }
    }
    return ok_status();
  }

  SinkConfig c_;
  TokenDtype dtype_ = TokenDtype::kU16;
  PartialFile f_;
  int index_ = 0;
  uint64_t in_shard_ = 0, total_ = 0;
  nlohmann::json files_ = nlohmann::json::array();
  std::string buf_;
};

template <typename S>
Result<std::unique_ptr<TokenSink>> open_sink(const SinkConfig& c, const nlohmann::json* resume) {
  auto s = std::make_unique<S>(c);
  LM_RETURN_IF_ERROR(s->open(resume));
  return std::unique_ptr<TokenSink>(std::move(s));
}

}  // namespace

Result<std::unique_ptr<TokenSink>> make_sink(Format format, const SinkConfig& config,
                                             const nlohmann::json* resume) {
  if (config.shard_tokens == 0 || config.shard_tokens > 0x7fffffffULL) {
    return invalid_argument("--shard-tokens must be in [1, 2^31)");
  }
  switch (format) {
    case Format::kMegatron:
      return open_sink<MegatronSink>(config, resume);
    case Format::kLlmc:
      return open_sink<LlmcSink>(config, resume);
    case Format::kNanogpt:
      return open_sink<NanogptSink>(config, resume);
  }
  return internal_error("unknown format");
}

}  // namespace lm::dataset
