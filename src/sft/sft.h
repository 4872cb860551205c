// sft.h: supervised fine-tuning (`lmforge sft`): a base checkpoint, instruction data
// (data.h) rendered and encoded with the chat template (tokenizer/chat_template.h), and the
// trainer of `lmforge train` (train/trainer.h) run on it through a TrainSource, so AdamW, the
// schedule, clipping, accumulation, MPI, metrics.jsonl, NaN stop and bit-identical resume are the
// same code. The loss counts only assistant tokens and their <|end|> (loader.h). When the base
// tokenizer lacks the chat markers they are added as special tokens and the embedding grows
// (new rows = the mean of the base rows). A conversation longer than the context (seq_len + 1
// tokens) is refused: skipped, counted in the summary with its file:line, never truncated
// (truncation would cut the reply being learned). Held-out conversations for val_loss: a
// --val-data file, else a deterministic val_fraction of the data (by a hash of the text).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sft/data.h"
#include "train/trainer.h"

namespace lm::sft {

struct SftOptions {
  std::string checkpoint;         // the base: a run folder or a checkpoint folder
  std::vector<std::string> data;  // JSONL files (each entry may be comma-separated)
  std::string val_data;           // held-out JSONL ("" = val_fraction of data)
  double val_fraction = 0.05;
  std::string packing = "pack";  // pack | pad
  std::string on_error = "fail";
  int64_t max_examples = 0;  // use only the first N training conversations (0 = all)
  train::TrainConfig train;  // out, seq_len, batch, lr, steps, ...; the model shape is the base's
  bool resume = false;
};

struct SftSummary {
  train::TrainSummary train;
  ReadStats read;  // every reason a record was not used, too long included
  int64_t train_conversations = 0, val_conversations = 0;
  uint64_t rows = 0;              // training rows of seq_len positions
  double trained_fraction = 0;    // of the training rows' positions counted by the loss
  int added_tokens = 0;           // chat markers added to the tokenizer
  int base_vocab = 0, vocab = 0;  // model rows before and after
};

Result<SftSummary> run_sft(const SftOptions& options, train::Comm* comm,
                           const train::TrainHooks& hooks = {});

// The chat tokenizer of a run or checkpoint folder (its own tokenizer file, which must have the
// chat markers), for `lmforge chat` and `generate --chat`.
Result<tok::Tokenizer> load_chat_tokenizer(const std::string& checkpoint_dir);

}  // namespace lm::sft
