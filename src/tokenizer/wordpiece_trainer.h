// wordpiece_trainer.h: trains a WordPiece vocabulary as HF's WordPieceTrainer does: words from
// the BERT basic tokenizer (bert_pretokenizer.h), counted in a streaming pass; the special
// tokens first, then the alphabet (the limit_alphabet most frequent characters, in code point
// order), then "##c" for each character seen inside a word, then BPE merges with the "##"
// continuation prefix (a + b without b's "##"), highest count first, ties to the smallest pair.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/word_counts.h"
#include "tokenizer/wordpiece.h"

namespace lm::tok {

struct WordPieceTrainerOptions {
  size_t vocab_size = 30000;     // all tokens, special tokens included
  uint64_t min_frequency = 0;    // a pair occurring fewer times is never merged
  size_t limit_alphabet = 1000;  // most frequent characters kept (0: all); HF BERT default
  size_t max_token_length = 0;   // code points, "##" included; 0 = unlimited
  std::vector<std::string> special_tokens = bert_special_tokens();  // ids 0.. in this order
  WordPieceOptions model;  // normalizer settings and the model's options
  int threads = 0;
  bool progress = true;
};

// The splitter the trainer uses: BertNormalizer + BertPreTokenizer with the model's options.
WordSplitter make_bert_splitter(const WordPieceOptions& options);

Result<WordPiece> train_wordpiece(const TextSource& next, const WordPieceTrainerOptions& options,
                                  BpeTrainStats* stats = nullptr);
Result<WordPiece> train_wordpiece_from_counts(const WordCounts& counts,
                                              const WordPieceTrainerOptions& options,
                                              BpeTrainStats* stats = nullptr);
Result<WordPiece> train_wordpiece_on_texts(const std::vector<std::string>& texts,
                                           const WordPieceTrainerOptions& options,
                                           BpeTrainStats* stats = nullptr);

}  // namespace lm::tok
