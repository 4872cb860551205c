// bpe_trainer.h: trains a byte-level BPE vocabulary (tiktoken / GPT style) from documents:
// words are the pieces of the split pattern (tokbpe's PreTokenizer), counted in a streaming
// pass (word_counts.h), then merged (bpe_trainer_core.h). Ids: 0-255 are the single bytes, then
// one token per merge, then the special tokens. Tie-break: highest count, then the smallest pair
// of ids. A merge whose bytes already form a token is skipped (token bytes stay unique).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "tokenizer/bpe_spec.h"
#include "tokenizer/word_counts.h"

namespace lm::tok {

struct BpeTrainerOptions {
  size_t vocab_size = 32000;                // all tokens: 256 bytes + merges + special tokens
  std::string pattern = kCl100kPattern;     // split regex (GPT-4's by default)
  std::vector<std::string> special_tokens;  // ids after the merges, in this order
  uint64_t min_frequency = 0;               // a pair occurring fewer times is never merged
  size_t max_token_length = 0;              // bytes; 0 = unlimited
  int threads = 0;                          // word counting threads (0: all cores)
  bool progress = true;
};

struct BpeTrainStats {
  uint64_t documents = 0;
  uint64_t bytes = 0;
  uint64_t words = 0;  // pieces counted
  uint64_t distinct_words = 0;
  uint64_t pairs = 0;  // distinct pairs before the first merge
  uint64_t merges = 0;
  double count_seconds = 0;
  double merge_seconds = 0;
};

// "gpt4"/"cl100k", "gpt2" (HF ByteLevel's regex), "r50k"/"p50k", "o200k" -> the pattern; other
// text is returned unchanged (taken as a regex).
std::string bpe_pattern_by_name(std::string_view name_or_regex);

// Counts the words of every document from `next` and trains.
Result<BpeSpec> train_bpe(const TextSource& next, const BpeTrainerOptions& options,
                          BpeTrainStats* stats = nullptr);
// Trains from words already counted (pieces of the split pattern).
Result<BpeSpec> train_bpe_from_counts(const WordCounts& counts, const BpeTrainerOptions& options,
                                      BpeTrainStats* stats = nullptr);
// Convenience for tests and small inputs: each string is one document.
Result<BpeSpec> train_bpe_on_texts(const std::vector<std::string>& texts,
                                   const BpeTrainerOptions& options,
                                   BpeTrainStats* stats = nullptr);

// The splitter train_bpe uses: special tokens are cut out, the rest split with the pattern.
Result<WordSplitter> make_bpe_splitter(const std::string& pattern,
                                       const std::vector<std::string>& special_tokens);

}  // namespace lm::tok
