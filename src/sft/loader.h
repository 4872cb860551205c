// loader.h: SFT batches for the trainer, a dataset::Loader over encoded conversations. A
// conversation of L tokens takes L - 1 positions of a row (input token i, target token i + 1,
// loss weight 1 when target i + 1 is an assistant token or its <|end|>). Modes: pack (several
// conversations per row of T positions, greedily in a seeded order; attention and positions
// restart at each conversation: segment ids, as the trainer's docmask) and pad (one conversation
// per row). Unused positions are padding (target weight 0, their own segment). Rows are built
// once; each epoch visits them in a seeded permutation (train) or in order (validation), every
// rank its own rows of each step, resumable exactly from LoaderState.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataset/loader.h"
#include "tokenizer/chat_template.h"

namespace lm::sft {

enum class PackMode { kPack, kPad };
Result<PackMode> parse_pack_mode(const std::string& s);  // "pack" | "pad"

struct Rows {
  int T = 0;
  size_t count = 0;
  std::vector<int32_t> inputs, targets, positions, segments;  // (count, T)
  std::vector<float> mask;                                    // (count, T)
  uint64_t conversations = 0;
  uint64_t trained_targets = 0;  // mask sum
};

// Builds the rows; every conversation must have at most T + 1 tokens (the caller drops longer
// ones). pad_id fills padding inputs and targets.
Rows build_rows(const std::vector<tok::ChatTokens>& conversations, int T, PackMode mode,
                int32_t pad_id, uint64_t seed);

struct SftLoaderOptions {
  int batch_size = 8;
  uint64_t seed = 1;
  bool shuffle = true;
  int rank = 0, world = 1;
  int vocab_size = 0;
  int32_t eot_id = 0;
};

std::unique_ptr<dataset::Loader> make_sft_loader(std::shared_ptr<const Rows> rows,
                                                 const SftLoaderOptions& options);

}  // namespace lm::sft
