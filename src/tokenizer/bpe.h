// bpe.h: BpeModel, the byte-level BPE encoder behind Tokenizer: pre-tokenize (pretokenize.h),
// then per piece either the whole piece as one token or tiktoken's merge loop (repeatedly merge
// the adjacent pair of lowest rank, leftmost first; a heap + linked list for long pieces).
// Two rank sources: tiktoken ("rank mode": a merged part's rank is the id of its bytes, used
// when the spec has no merges) and merge lists (HF/GPT-2: the rank of the pair in `merges`).
// Also: special-token lookup and the merges a rank-mode vocabulary implies (for tokenizer.json).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "tokenizer/bpe_spec.h"
#include "tokenizer/pretokenize.h"

namespace lm::tok {

struct CacheEntry;  // bpe.cc: the per-thread piece cache

struct BpeOptions {
  // HF's `ignore_merges`: a piece that is itself a token is that token (tiktoken always does
  // this; merge-list models do it only when asked).
  bool ignore_merges = false;
};

class BpeModel {
 public:
  // Validates the spec: all 256 single bytes present, no duplicate tokens, every merge's parts
  // and result in the vocabulary, special ids not clashing with other tokens.
  static Result<std::unique_ptr<BpeModel>> create(BpeSpec spec, BpeOptions options = {});
  ~BpeModel();

  // Thread-safe. Appends the ids of `text`, special-token text treated as ordinary text.
  void encode_ordinary(std::string_view text, std::vector<uint32_t>* out) const;
  // Appends the ids of one pre-tokenized piece.
  void encode_piece(std::string_view piece, std::vector<uint32_t>* out) const;
  // The first special token in text at or after `from`: (position, length, id).
  struct SpecialHit {
    size_t pos, len;
    uint32_t id;
  };
  std::optional<SpecialHit> find_special(std::string_view text, size_t from) const;

  // Appends the bytes of token `id` (special tokens: their text); false when id is unknown.
  bool append_bytes(uint32_t id, std::string* out) const {
    if (id >= tokens_.size() || !known_[id]) return false;
    out->append(tokens_[id]);
    return true;
  }
  size_t vocab_size() const { return tokens_.size(); }
  bool has_id(uint32_t id) const { return id < tokens_.size() && known_[id]; }
  bool is_special(uint32_t id) const;
  std::optional<uint32_t> bytes_id(std::string_view bytes) const;  // ordinary token by bytes
  std::optional<uint32_t> special_id(std::string_view text) const;

  const std::vector<std::string>& tokens() const { return tokens_; }  // id -> bytes ("" = hole)
  const std::vector<std::pair<std::string, uint32_t>>& special_tokens() const { return specials_; }
  const std::string& pattern() const { return pre_.pattern(); }
  const PreTokenizer& pretokenizer() const { return pre_; }
  const BpeOptions& options() const { return options_; }
  bool rank_mode() const { return merges_.empty(); }
  // The merge list: the spec's, or in rank mode the one tiktoken's ranks imply (each token
  // split by BPE with lower ranks only); `unreachable` counts tokens no merge produces.
  std::vector<std::pair<std::string, std::string>> merges(size_t* unreachable = nullptr) const;
  // A BpeSpec equal to the one this model was built from.
  BpeSpec spec() const;

 private:
  struct Tables;
  BpeModel();
  Status build(BpeSpec spec);
  Status build_rank_pairs();
  Status build_merge_pairs();
  void merge_piece(std::string_view piece, uint32_t limit, std::vector<uint32_t>* out) const;
  void encode_hashed(std::string_view piece, uint64_t hash, CacheEntry* cache,
                     std::vector<uint32_t>* out) const;

  std::vector<std::string> tokens_;
  std::vector<uint8_t> known_;  // id is a token (ordinary or special)
  std::vector<std::pair<std::string, std::string>> merges_;
  std::vector<std::pair<std::string, uint32_t>> specials_;
  PreTokenizer pre_;
  BpeOptions options_;
  std::unique_ptr<Tables> t_;
  uint32_t uid_;  // tags this model's entries in the per-thread piece cache
};

}  // namespace lm::tok
