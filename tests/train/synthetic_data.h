// synthetic_data.h: a small packed dataset for trainer tests (Megatron .bin/.idx + meta.json,
// written with the dataset module's writer): documents from a noisy deterministic chain over a
// vocabulary of 40 ids (next = (3 * cur + 7) mod 37 with probability 0.9, else a random id), so
// a tiny model can learn it quickly; the best possible loss is about 0.53 nats.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/rng.h"
#include "dataset/indexed.h"
#include "dataset/meta.h"

namespace lm::train::testing {

inline void write_split(const std::string& prefix, int docs, uint64_t seed, uint64_t* tokens) {
  dataset::IndexedWriter w;
  LM_CHECK(w.open(prefix, dataset::TokenDtype::kU16, nullptr).ok(), "open {}", prefix);
  Rng rng(seed);
  *tokens = 0;
  for (int d = 0; d < docs; d++) {
    std::vector<uint32_t> doc;
    uint32_t cur = (uint32_t)rng.below(37);
    int len = 40 + (int)rng.below(80);
    for (int i = 0; i < len; i++) {
      doc.push_back(cur);
      cur = rng.uniform() < 0.9 ? (3 * cur + 7) % 37 : (uint32_t)rng.below(39);
    }
    doc.push_back(39);  // EOT
    *tokens += doc.size();
    LM_CHECK(w.add_document(doc).ok(), "add");
  }
  LM_CHECK(w.finish().ok(), "finish {}", prefix);
}

// Writes PREFIX(.val).bin/.idx and PREFIX.meta.json under dir; returns PREFIX.
inline std::string make_synthetic_data(const std::string& dir, int train_docs = 400,
                                       int val_docs = 40) {
  std::filesystem::create_directories(dir);
  std::string prefix = dir + "/syn";
  dataset::PackMeta meta;
  meta.tokenizer = "bytes";
  meta.vocab_size = 40;
  meta.eot_id = 39;
  meta.train_documents = train_docs;
  meta.val_documents = val_docs;
  write_split(prefix, train_docs, 11, &meta.train_tokens);
  write_split(prefix + ".val", val_docs, 12, &meta.val_tokens);
  LM_CHECK(dataset::write_meta(prefix, meta).ok(), "meta");
  return prefix;
}

}  // namespace lm::train::testing
