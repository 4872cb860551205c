// packer.h: `lmforge pack`: tokenize documents on all cores (output order = input order) and
// stream them into token shards (formats.h), split train/val by a hash of each document id,
// with constant memory, a progress line, periodic checkpoints (PREFIX.pack-state.json) that a
// rerun resumes from, atomic outputs and PREFIX.meta.json. Per-source weights (--weight) up- or
// down-sample the train split: copy k of a document is written in pass k over the input, so
// copies never sit next to each other; the val split is never weighted. The tokenizer is
// reached through Encoder so that this file does not depend on a particular tokenizer.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "dataset/formats.h"
#include "dataset/meta.h"
#include "io/document.h"

namespace lm::dataset {

struct Encoder {
  // Appends the ids of `text` to *out; must be thread-safe.
  std::function<void(std::string_view text, std::vector<uint32_t>* out)> encode;
  uint64_t vocab_size = 0;
  uint32_t eot_id = 0;
  std::string name;   // recorded in meta.json (the tokenizer path)
  uint64_t hash = 0;  // fingerprint of the tokenizer (a changed tokenizer voids a resume)
};

// Bytes as tokens: ids 0..255 and EOT 256 (vocabulary 257). For tests and `--tokenizer bytes`.
Encoder byte_encoder();
// "bytes", or a tokenizer file lm::tok::Tokenizer::load reads (tokenizer.json, *.tiktoken, ...);
// the EOT is the tokenizer's end-of-text token (an error when it has none).
Result<Encoder> load_encoder(const std::string& tokenizer);

struct PackOptions {
  std::vector<std::string> inputs;
  std::string out;  // PREFIX
  std::vector<Format> formats = {Format::kMegatron};
  double val_fraction = 0.0;
  int threads = 0;                    // 0 = all cores
  uint64_t shard_tokens = 100000000;  // llmc shard size
  bool restart = false;               // ignore PREFIX.pack-state.json and start over
  double checkpoint_seconds = 30;
  io::ReaderOptions reader;
  // --weight SOURCE=W: a train document of the source is written train_copies(id, W) times
  // (sources not named: once); val documents once. Every named source must occur.
  std::map<std::string, double> source_weights;
  // Testing: stop (as if killed) after this many documents written (copies count), leaving a
  // resumable state.
  uint64_t stop_after_documents = 0;
};

struct PackStats {
  uint64_t documents = 0;                           // input documents
  uint64_t train_documents = 0, val_documents = 0;  // written (train: copies included)
  uint64_t train_tokens = 0, val_tokens = 0;        // with EOTs
  uint64_t text_bytes = 0;                          // text tokenized (copies: each time)
  uint64_t resumed_documents = 0;  // documents (copies counted) a previous run wrote
  int passes = 1;                  // over the input (ceil of the largest weight)
  std::map<std::string, SourceCount> train_sources;  // with source_weights: every source seen
  int threads = 0;
  double seconds = 0;
};

// True when the document with this id goes to the validation split.
bool is_validation(std::string_view id, double val_fraction);

// How often a train document with this id is written at weight W: floor(W), plus one when
// hash64(id, a seed other than is_validation's) / 2^64 < W - floor(W).
uint32_t train_copies(std::string_view id, double weight);
// Passes over the input a pack with these weights makes: ceil of the largest, at least 1.
int weight_passes(const std::map<std::string, double>& weights);
// Parses --weight specs "SOURCE=W" (W a number in [0, kMaxSourceWeight]); an error names the
// spec: no '=', no source, W not such a number, or a source given twice.
inline constexpr double kMaxSourceWeight = 1000;
Result<std::map<std::string, double>> parse_source_weights(const std::vector<std::string>& specs);

Result<PackStats> pack(const PackOptions& options, const Encoder& encoder);

}  // namespace lm::dataset
