// indexed.cc: Megatron .bin/.idx writing (streamed, resumable) and reading (mmap + validation).
#include "dataset/indexed.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace lm::dataset {
namespace {

template <typename T>
T load(const uint8_t* p, uint64_t i) {
  T v;
  std::memcpy(&v, p + i * sizeof(T), sizeof(T));
  return v;
}

void put_u64(std::string* s, uint64_t v) { s->append(reinterpret_cast<const char*>(&v), 8); }

}  // namespace

int dtype_size(TokenDtype dtype) {
  switch (dtype) {
    case TokenDtype::kU8:
    case TokenDtype::kI8:
      return 1;
    case TokenDtype::kI16:
    case TokenDtype::kU16:
      return 2;
    case TokenDtype::kI32:
    case TokenDtype::kU32:
      return 4;
    case TokenDtype::kI64:
      return 8;
  }
  return 0;
}

const char* dtype_name(TokenDtype dtype) {
  switch (dtype) {
    case TokenDtype::kU8:
      return "uint8";
    case TokenDtype::kI8:
      return "int8";
    case TokenDtype::kI16:
      return "int16";
    case TokenDtype::kI32:
      return "int32";
    case TokenDtype::kI64:
      return "int64";
    case TokenDtype::kU16:
      return "uint16";
    case TokenDtype::kU32:
      return "uint32";
  }
  return "?";
}

TokenDtype megatron_dtype_for_vocab(uint64_t vocab_size) {
  return vocab_size < 65500 ? TokenDtype::kU16 : TokenDtype::kI32;
}

std::string bin_path(const std::string& prefix) { return prefix + ".bin"; }
std::string idx_path(const std::string& prefix) { return prefix + ".idx"; }

// ---- writer ----

Status IndexedWriter::open(const std::string& prefix, TokenDtype dtype,
                           const IndexedWriterState* resume) {
  prefix_ = prefix;
  dtype_ = dtype;
  if (dtype != TokenDtype::kU16 && dtype != TokenDtype::kI32) {
    return invalid_argument("{}: Megatron shards hold uint16 or int32 tokens, not {}", prefix,
                            dtype_name(dtype));
  }
  LM_RETURN_IF_ERROR(bin_.open(bin_path(prefix), resume ? int64_t(resume->bin_bytes) : -1));
  return lens_.open(idx_path(prefix) + ".lens", resume ? int64_t(resume->lens_bytes) : -1);
}

Status IndexedWriter::add_document(std::span<const uint32_t> tokens) {
  buf_.clear();
  if (dtype_ == TokenDtype::kU16) {
    buf_.resize(tokens.size() * 2);
    auto* out = reinterpret_cast<uint16_t*>(buf_.data());
    for (size_t i = 0; i < tokens.size(); ++i) out[i] = static_cast<uint16_t>(tokens[i]);
    LM_RETURN_IF_ERROR(bin_.write(buf_.data(), buf_.size()));
  } else {
    LM_RETURN_IF_ERROR(bin_.write(tokens.data(), tokens.size() * 4));
  }
  if (tokens.size() > 0x7fffffffULL) {
    return invalid_argument("{}: a document of {} tokens does not fit Megatron's int32 lengths",
                            prefix_, tokens.size());
  }
  int32_t len = static_cast<int32_t>(tokens.size());
  return lens_.write(&len, 4);
}

Status IndexedWriter::checkpoint(IndexedWriterState* state) {
  LM_RETURN_IF_ERROR(bin_.sync());
  LM_RETURN_IF_ERROR(lens_.sync());
  state->bin_bytes = bin_.size();
  state->lens_bytes = lens_.size();
  return ok_status();
}

// Writes the .idx from the lengths file in constant memory: lengths are copied, pointers are
// their running byte sum, document indices are 0..n.
Status IndexedWriter::finish() {
  LM_RETURN_IF_ERROR(lens_.commit());
  const std::string lens_file = idx_path(prefix_) + ".lens";
  const uint64_t n = lens_.size() / 4;
  LM_ASSIGN_OR_RETURN(AtomicFile idx, AtomicFile::create(idx_path(prefix_)));
  std::string head(kIdxMagic, 9);
  put_u64(&head, kIdxVersion);
  head.push_back(static_cast<char>(dtype_));
  put_u64(&head, n);
  put_u64(&head, n + 1);
  LM_RETURN_IF_ERROR(idx.write(head));
  {
    LM_ASSIGN_OR_RETURN(MappedFile lens, MappedFile::open(lens_file));
    LM_RETURN_IF_ERROR(idx.write(lens.data(), lens.size()));
    std::vector<int64_t> chunk;
    chunk.reserve(1 << 16);
    int64_t pos = 0;
    const int64_t item = dtype_size(dtype_);
    for (uint64_t i = 0; i < n; ++i) {
      chunk.push_back(pos);
      pos += int64_t(load<int32_t>(lens.data(), i)) * item;
      if (chunk.size() == chunk.capacity() || i + 1 == n) {
        LM_RETURN_IF_ERROR(idx.write(chunk.data(), chunk.size() * 8));
        chunk.clear();
      }
    }
    for (uint64_t i = 0; i <= n; ++i) {
      chunk.push_back(int64_t(i));
      if (chunk.size() == chunk.capacity() || i == n) {
        LM_RETURN_IF_ERROR(idx.write(chunk.data(), chunk.size() * 8));
        chunk.clear();
      }
    }
  }
  std::remove(lens_file.c_str());
  LM_RETURN_IF_ERROR(bin_.commit());
  return idx.commit();
}

void IndexedWriter::abandon() {
  bin_.abandon();
  lens_.abandon();
}

// ---- reader ----

Result<IndexedDataset> IndexedDataset::open(const std::string& prefix) {
  IndexedDataset ds;
  ds.idx_path_ = idx_path(prefix);
  ds.bin_path_ = bin_path(prefix);
  auto idx = MappedFile::open(ds.idx_path_);
  if (!idx.ok()) {
    return idx.status().with_hint("give the prefix passed to `lmforge pack --out` (without .idx)");
  }
  ds.idx_.emplace(std::move(idx).value());
  LM_ASSIGN_OR_RETURN(MappedFile bin, MappedFile::open(ds.bin_path_));
  ds.bin_.emplace(std::move(bin));
  LM_RETURN_IF_ERROR(ds.validate());
  return ds;
}

Status IndexedDataset::validate() {
  const std::string& ip = idx_path_;
  const uint8_t* p = idx_->data();
  const uint64_t size = idx_->size();
  const char* hint = "re-create it with `lmforge pack`";
  if (size < kIdxHeaderSize) {
    return corrupt("{}: truncated Megatron index ({} bytes; the header alone is {})", ip, size,
                   kIdxHeaderSize)
        .with_hint(hint);
  }
  if (std::memcmp(p, kIdxMagic, 9) != 0) {
    return corrupt("{}: not a Megatron .idx file (wrong magic; expected \"MMIDIDX\\0\\0\")", ip)
        .with_hint(hint);
  }
  const uint64_t version = load<uint64_t>(p + 9, 0);
  if (version != kIdxVersion) {
    return corrupt("{}: unsupported .idx version {} (expected {})", ip, version, kIdxVersion)
        .with_hint(hint);
  }
  dtype_ = static_cast<TokenDtype>(p[17]);
  if (p[17] == 100 || dtype_size(dtype_) == 0 || p[17] == 6 || p[17] == 7) {
    return corrupt("{}: unsupported token dtype code {}", ip, int(p[17])).with_hint(hint);
  }
  seq_count_ = load<uint64_t>(p + 18, 0);
  doc_count_ = load<uint64_t>(p + 26, 0);
  const uint64_t need = kIdxHeaderSize + 12 * seq_count_ + 8 * doc_count_;
  if (doc_count_ == 0 || seq_count_ > size || doc_count_ > size ||
      (size != need && size != need + seq_count_)) {
    return corrupt(
               "{}: {} bytes do not match its header ({} sequences and {} document indices "
               "need {} bytes): truncated or corrupt",
               ip, size, seq_count_, doc_count_, need)
        .with_hint(hint);
  }
  lengths_ = p + kIdxHeaderSize;
  pointers_ = lengths_ + 4 * seq_count_;
  doc_indices_ = pointers_ + 8 * seq_count_;
  int64_t pos = 0;
  const int item = dtype_size(dtype_);
  for (uint64_t i = 0; i < seq_count_; ++i) {
    const int32_t len = load<int32_t>(lengths_, i);
    if (len < 0 || load<int64_t>(pointers_, i) != pos) {
      return corrupt(
                 "{}: sequence {} has length {} and pointer {} (expected {}): the index is "
                 "corrupt or not contiguous",
                 ip, i, len, load<int64_t>(pointers_, i), pos)
          .with_hint(hint);
    }
    pos += int64_t(len) * item;
  }
  uint64_t prev = 0;
  for (uint64_t d = 0; d < doc_count_; ++d) {
    const uint64_t v = static_cast<uint64_t>(load<int64_t>(doc_indices_, d));
    if ((d == 0 && v != 0) || v < prev || v > seq_count_ ||
        (d + 1 == doc_count_ && v != seq_count_)) {
      return corrupt("{}: document index {} is {} (must rise from 0 to {})", ip, d, v, seq_count_)
          .with_hint(hint);
    }
    prev = v;
  }
  if (bin_->size() != uint64_t(pos)) {
    return corrupt("{}: {} bytes, but {} describes {} bytes of tokens ({}): {}", bin_path_,
                   bin_->size(), ip, pos, dtype_name(dtype_),
                   bin_->size() < uint64_t(pos) ? "the .bin is truncated"
                                                : "the .idx and .bin do not belong together")
        .with_hint(hint);
  }
  total_tokens_ = uint64_t(pos) / item;
  return ok_status();
}

uint64_t IndexedDataset::doc_index(uint64_t d) const {
  return static_cast<uint64_t>(load<int64_t>(doc_indices_, d));
}

uint64_t IndexedDataset::seq_start(uint64_t s) const {
  if (s >= seq_count_) return total_tokens_;
  return static_cast<uint64_t>(load<int64_t>(pointers_, s)) / dtype_size(dtype_);
}

void IndexedDataset::copy_tokens(uint64_t begin, size_t n, int32_t* out) const {
  const uint8_t* base = bin_->data();
  switch (dtype_) {
    case TokenDtype::kU16: {
      const uint8_t* src = base + begin * 2;
      for (size_t i = 0; i < n; ++i) out[i] = load<uint16_t>(src, i);
      break;
    }
    case TokenDtype::kI32:
    case TokenDtype::kU32:
      std::memcpy(out, base + begin * 4, n * 4);
      break;
    default:
      for (size_t i = 0; i < n; ++i) out[i] = token(begin + i);
  }
}

int32_t IndexedDataset::token(uint64_t i) const {
  const uint8_t* base = bin_->data();
  switch (dtype_) {
    case TokenDtype::kU8:
      return base[i];
    case TokenDtype::kI8:
      return static_cast<int8_t>(base[i]);
    case TokenDtype::kI16:
      return load<int16_t>(base, i);
    case TokenDtype::kU16:
      return load<uint16_t>(base, i);
    case TokenDtype::kI32:
    case TokenDtype::kU32:
      return load<int32_t>(base, i);
    case TokenDtype::kI64:
      return static_cast<int32_t>(load<int64_t>(base, i));
  }
  return 0;
}

int64_t IndexedDataset::find_out_of_vocab(uint64_t begin, size_t n, int64_t vocab_size) const {
  if (dtype_ == TokenDtype::kU16) {
    const uint8_t* src = bin_->data() + begin * 2;
    uint16_t mu = 0;
    for (size_t i = 0; i < n; ++i) mu = std::max(mu, load<uint16_t>(src, i));
    if (n == 0 || int64_t(mu) < vocab_size) return -1;
  }
  for (size_t i = 0; i < n; ++i) {
    const int64_t t = token(begin + i);
    if (t < 0 || t >= vocab_size) return int64_t(begin + i);
  }
  return -1;
}

}  // namespace lm::dataset
