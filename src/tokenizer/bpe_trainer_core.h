// bpe_trainer_core.h: the merge loop shared by the byte-level BPE trainer and the WordPiece
// trainer: words as id sequences with counts, pair counts kept incrementally (pair -> count,
// pair -> words holding it), and a max-heap of pairs with lazy invalidation, as HF's BpeTrainer.
// Tie-break: highest count first, then the smallest pair (left id, then right id).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lm::tok {

struct MergeProblem {
  std::vector<std::string> tokens;   // initial vocabulary, id -> token string
  std::vector<uint32_t> symbols;     // all words' ids, concatenated
  std::vector<uint64_t> word_start;  // word w is symbols[word_start[w], word_start[w+1])
  std::vector<uint64_t> word_count;  // occurrences of word w
};

struct MergeConfig {
  size_t target_tokens = 0;      // stop when the vocabulary has this many tokens
  uint64_t min_frequency = 0;    // stop when the best pair occurs fewer times
  size_t max_token_length = 0;   // 0: unlimited; a longer merged token is never formed
  bool length_in_chars = false;  // max_token_length counts code points (else bytes)
  std::string strip_prefix;      // removed from the right part when merging ("##")
  // A merge whose token already exists: reuse its id (HF; WordPiece) or never merge that pair
  // (byte-level BPE, which needs unique token bytes).
  bool reuse_existing = false;
  bool progress = true;  // "Compute merges" progress line
};

struct MergeResult {
  std::vector<std::string> tokens;                    // id -> token string
  std::vector<std::pair<uint32_t, uint32_t>> merges;  // in order; merge i made token ids[i]
  std::vector<uint32_t> merged_ids;
  size_t peak_pairs = 0;  // distinct pairs at the start
};

MergeResult run_merges(MergeProblem problem, const MergeConfig& config);

}  // namespace lm::tok
