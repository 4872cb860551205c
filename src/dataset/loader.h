// loader.h: fixed-shape training batches from a packed Megatron dataset (PREFIX.bin/.idx, see
// indexed.h) — the contract the trainer reads. Modes: concatenate (documents joined by their EOT,
// cut into T+1 windows, no padding), pad (one document per row, right-padded; long ones split or
// truncated; optional length bucketing) and docmask (concatenated, attention/positions reset at
// document boundaries). Deterministic per (seed, epoch), sharded by rank/world without overlap,
// and exactly resumable from LoaderState. Not here: tokenizing and writing shards (packer.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "dataset/formats.h"

namespace lm::dataset {

enum class LoaderMode { kConcatenate, kPad, kDocMask };
enum class LongDocs { kSplit, kTruncate };  // pad mode: documents longer than T+1 tokens

Result<LoaderMode> parse_loader_mode(const std::string& s);  // "concatenate" | "pad" | "docmask"
const char* loader_mode_name(LoaderMode mode);

struct LoaderOptions {
  std::string prefix;           // as given to `lmforge pack --out PREFIX`
  Split split = Split::kTrain;  // train: PREFIX.bin/.idx; val: PREFIX.val.bin/.idx
  int batch_size = 8;           // B: rows per rank per step
  int seq_len = 1024;           // T
  LoaderMode mode = LoaderMode::kConcatenate;
  uint64_t seed = 1337;
  bool shuffle = true;  // false: samples in stored order (e.g. for val)
  int rank = 0;         // this process; rows of a step are split by rank, never shared
  int world = 1;
  LongDocs long_docs = LongDocs::kSplit;  // pad mode only
  int bucket_batches = 0;  // pad mode: >0 sorts windows of bucket_batches global batches by
                           // length (then shuffles the batches) to cut padding; 0 = off
};

// One batch; every array is row-major (B, T) with B = batch_size, T = seq_len.
struct Batch {
  int B = 0, T = 0;
  std::vector<int32_t> inputs;          // (B, T) token ids
  std::vector<int32_t> targets;         // (B, T) the next token of each input; pad_id where masked
  std::vector<float> loss_mask;         // (B, T) 1 = count this target in the loss, 0 = ignore
  std::vector<int32_t> position_ids;    // (B, T) 0..T-1; docmask/pad: restart at each document
  std::vector<int32_t> segment_ids;     // (B, T) docmask: index of the document within its row
                                        // (attend i->j iff j <= i and same segment); concatenate:
                                        // all 0; pad: 0 for real tokens, -1 for padding
  std::vector<uint8_t> attention_mask;  // (B, T) 1 = real token, 0 = padding (pad mode)
  int max_len = 0;           // columns [0, max_len) hold every real token (pad mode trims to this)
  uint64_t real_tokens = 0;  // non-padding input positions in this batch
  uint64_t epoch = 0;        // epoch of the first row
  uint64_t step = 0;         // global step index (counted from the start of training)
};

// Where the loader is in the stream of samples. The shuffle order of epoch e is a pure function
// of (seed, e), so (seed, epoch, position) restore the exact next batch; `samples` and
// `fingerprint` guard against restoring into a different dataset or options.
struct LoaderState {
  uint64_t seed = 0;
  uint64_t epoch = 0;        // current epoch
  uint64_t position = 0;     // next global sample index within the epoch (all ranks together)
  uint64_t step = 0;         // global steps served so far
  uint64_t samples = 0;      // samples per epoch
  uint64_t fingerprint = 0;  // hash of dataset shape + B, T, mode, world
  std::string to_json() const;
  static Result<LoaderState> from_json(const std::string& json);
};

class Loader {
 public:
  // Opens PREFIX(.val).bin/.idx and PREFIX.meta.json (validates both; errors name the file).
  static Result<std::unique_ptr<Loader>> open(const LoaderOptions& options);
  virtual ~Loader() = default;

  // Fills *batch with this rank's B rows of the next global step (world*B samples). The sample
  // stream runs on across epochs: every sample is served exactly once per epoch across all
  // ranks (a step may straddle two epochs). Fails on a token outside the vocabulary, naming the
  // file and token offset.
  virtual Status next(Batch* batch) = 0;

  virtual LoaderState state() const = 0;
  virtual Status restore(const LoaderState& state) = 0;

  virtual int vocab_size() const = 0;  // from meta.json
  virtual int eot_id() const = 0;      // from meta.json; also the pad id
  virtual uint64_t samples_per_epoch() const = 0;
  virtual uint64_t tokens() const = 0;  // tokens in the split (with EOTs)
  virtual uint64_t documents() const = 0;
  // Global steps per epoch (samples_per_epoch / (world*B), rounded down).
  virtual uint64_t steps_per_epoch() const = 0;
};

}  // namespace lm::dataset
