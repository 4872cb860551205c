// indexed.h: Megatron's indexed dataset, the native token-shard format (PREFIX.bin: the tokens
// of every document back to back; PREFIX.idx: "MMIDIDX\0\0", u64 version 1, u8 dtype code,
// u64 sequence count, u64 document-index count, then i32 lengths, i64 byte pointers, i64
// document indices). IndexedWriter streams documents in constant memory; IndexedDataset
// memory-maps and validates a pair. One sequence per document is written; readers accept more.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/file_util.h"
#include "core/status.h"
#include "dataset/partial_file.h"

namespace lm::dataset {

// Megatron dtype codes (megatron/core/datasets/indexed_dataset.py).
enum class TokenDtype : uint8_t {
  kU8 = 1,
  kI8 = 2,
  kI16 = 3,
  kI32 = 4,
  kI64 = 5,
  kU16 = 8,
  kU32 = 100 /* raw exports only, not a Megatron code */
};

int dtype_size(TokenDtype dtype);
const char* dtype_name(TokenDtype dtype);  // "uint16", "int32", ...
// Megatron's rule: uint16 when the vocabulary has fewer than 65500 entries, else int32.
TokenDtype megatron_dtype_for_vocab(uint64_t vocab_size);

inline constexpr char kIdxMagic[9] = {'M', 'M', 'I', 'D', 'I', 'D', 'X', '\0', '\0'};
inline constexpr uint64_t kIdxVersion = 1;
inline constexpr size_t kIdxHeaderSize = 34;

std::string bin_path(const std::string& prefix);  // PREFIX.bin
std::string idx_path(const std::string& prefix);  // PREFIX.idx

struct IndexedWriterState {
  uint64_t bin_bytes = 0;
  uint64_t lens_bytes = 0;
};

// Streams documents into PREFIX.bin.partial and their lengths into PREFIX.idx.lens.partial;
// finish() writes PREFIX.idx (atomically) and renames the .bin into place.
class IndexedWriter {
 public:
  Status open(const std::string& prefix, TokenDtype dtype, const IndexedWriterState* resume);
  Status add_document(std::span<const uint32_t> tokens);
  Status checkpoint(IndexedWriterState* state);  // fsync both partial files
  Status finish();
  void abandon();
  uint64_t documents() const { return lens_.size() / 4; }
  uint64_t tokens() const { return bin_.size() / dtype_size(dtype_); }

 private:
  std::string prefix_;
  TokenDtype dtype_ = TokenDtype::kU16;
  PartialFile bin_, lens_;
  std::string buf_;
};

// A validated, memory-mapped Megatron dataset. Document d holds tokens [doc_begin(d), doc_end(d)).
class IndexedDataset {
 public:
  static Result<IndexedDataset> open(const std::string& prefix);
  uint64_t documents() const { return doc_count_ - 1; }
  uint64_t sequences() const { return seq_count_; }
  uint64_t tokens() const { return total_tokens_; }
  TokenDtype dtype() const { return dtype_; }
  uint64_t doc_begin(uint64_t d) const { return seq_start(doc_index(d)); }
  uint64_t doc_end(uint64_t d) const { return seq_start(doc_index(d + 1)); }
  uint64_t doc_length(uint64_t d) const { return doc_end(d) - doc_begin(d); }
  // Copies tokens [begin, begin + n) as int32 into out (begin + n <= tokens()).
  void copy_tokens(uint64_t begin, size_t n, int32_t* out) const;
  int32_t token(uint64_t i) const;
  // Offset of the first token in [begin, begin + n) outside [0, vocab_size), or -1.
  int64_t find_out_of_vocab(uint64_t begin, size_t n, int64_t vocab_size) const;
  const std::string& bin_file() const { return bin_path_; }
  const std::string& idx_file() const { return idx_path_; }

 private:
  IndexedDataset() = default;
  Status validate();
  uint64_t doc_index(uint64_t d) const;
  uint64_t seq_start(uint64_t s) const;
  std::optional<MappedFile> bin_, idx_;
  std::string bin_path_, idx_path_;
  TokenDtype dtype_ = TokenDtype::kU16;
  uint64_t seq_count_ = 0, doc_count_ = 0, total_tokens_ = 0;
  const uint8_t* lengths_ = nullptr;      // i32[seq_count_], unaligned (read with memcpy)
  const uint8_t* pointers_ = nullptr;     // i64[seq_count_]
  const uint8_t* doc_indices_ = nullptr;  // i64[doc_count_]
};

}  // namespace lm::dataset
