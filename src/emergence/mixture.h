// mixture.h: the study's training data. Task documents come from the built-in generators of
// `lmforge eval make-data` (same seed, same splits, written to OUT/tasks): their test and
// validation instances are the held-out set and never enter training; the training instances are
// the generators' train split plus fresh draws of the same generator checked against the
// held-out set (arithmetic written directly or with its worked column-wise steps; induction
// copies). Text documents are read with the packer's readers; those whose id hashes into
// icl_fraction are held out (OUT/data/icl.jsonl, for the ICL score), and text documents holding
// a line of a held-out corpus-task instance are dropped. Everything is shuffled (seeded) into
// OUT/data/mixture.jsonl and packed (with the study's tokenizer) into OUT/data/mix.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "emergence/config.h"

namespace lm::emergence {

struct MixtureStats {
  int64_t text_documents = 0, text_dropped_heldout = 0, icl_documents = 0;
  int64_t arithmetic_instances = 0, worked_steps_instances = 0, induction_instances = 0;
  int64_t repeat_instances = 0;
  int64_t corpus_instances = 0;
  int64_t documents = 0;
  uint64_t train_tokens = 0, val_tokens = 0;
  uint64_t vocab = 0;
  std::string prefix;  // the pack
};

// Builds (or, when OUT/data/mixture.json says it is built from the same config, reuses) the
// mixture. Errors name the input.
Result<MixtureStats> build_mixture(const EmergenceConfig& c);
// The same for the ICL models' [icl_mixture] in OUT/data-icl, after build_mixture: it reads the
// study's task data (OUT/tasks) that wrote, and holds out the same ICL documents.
Result<MixtureStats> build_icl_mixture(const EmergenceConfig& c);

// The identity of mixture `m` (its mixture.json's fingerprint; the plan's, for [icl_mixture]).
std::string mixture_fingerprint(const EmergenceConfig& c, const MixtureConfig& m);

// The held-out ICL documents, tokenized, each at least `min_tokens` long (OUT/data/icl.jsonl).
Result<std::vector<std::vector<int>>> load_icl_documents(const EmergenceConfig& c, int min_tokens);

// The held-out repeated-halves documents (config.h, repeat_documents), drawn from data_seed with
// [mixture]'s repeat_lengths and repeat_alphabet; no training document is one of them.
std::vector<std::string> heldout_repeat_documents(const EmergenceConfig& c);
// Those documents (also written to OUT/data/icl-repeat.jsonl), tokenized and cut to `min_tokens`.
Result<std::vector<std::vector<int>>> load_repeat_documents(const EmergenceConfig& c,
                                                            int min_tokens);

// Token counts of `texts` under the study's tokenizer (p^L's L).
Result<std::vector<int>> token_counts(const EmergenceConfig& c,
                                      const std::vector<std::string>& texts);

}  // namespace lm::emergence
