// bpe_reference.h: the reference byte-level BPE encoder: tiktoken's merge loop written as
// plainly as it can be (parts start as single bytes; merge the adjacent pair of lowest rank,
// leftmost among equal ranks, until no pair has a rank), with the ranks of a BpeModel. It is
// the specification the fast encoder (bpe.cc) is tested against (tests/tokenizer/
// bpe_reference_test.cc), not something to encode a corpus with: it is quadratic per piece.
// Not here: pre-tokenization (the model's own PreTokenizer splits the text) or special tokens.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/bpe.h"

namespace lm::tok {

class ReferenceBpe {
 public:
  explicit ReferenceBpe(const BpeModel& model);
  // The ids of one pre-tokenized piece.
  std::vector<uint32_t> encode_piece(std::string_view piece) const;
  // The ids of `text`: the model's pre-tokenizer, then encode_piece on each piece.
  std::vector<uint32_t> encode_ordinary(std::string_view text) const;

 private:
  // The rank of merging parts a and b, or -1 when they do not merge.
  int64_t rank(const std::string& a, const std::string& b) const;

  const BpeModel& model_;
  std::map<std::pair<std::string, std::string>, int64_t> merge_rank_;  // merge-list models
};

}  // namespace lm::tok
