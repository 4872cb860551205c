// batch_forward.h: a batched multi-token forward over KV prefixes, for scoring and for sampling
// many paths at once. Each segment appends its tokens to its own KV block and attends to a list
// of shared, read-only prefix blocks (a context computed once for every answer choice, a prompt
// shared by every sampled path) plus its own block. All segments' rows go through each matrix
// product together (matrix-matrix, PackedMatrix). Every value a row gets depends only on its own
// tokens and prefix: never on the other segments, the batch size or the thread count (bitwise).
// Not here: tokenization, scoring rules, sampling (eval/gpt_lm.cc, generate/sampler.h).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "generate/packed_gemm.h"
#include "model/gpt.h"

namespace lm::generate {

// Keys and values of consecutive positions of one sequence, for every layer.
class KvBlock {
 public:
  int size() const { return n_; }
  void clear() { n_ = 0; }
  void truncate(int n) { n_ = n < n_ ? n : n_; }
  const float* keys(int layer) const { return k_[layer].data(); }    // (size, C)
  const float* values(int layer) const { return v_[layer].data(); }  // (size, C)
  size_t bytes() const;

 private:
  friend class BatchForward;
  std::vector<std::vector<float>> k_, v_;
  int n_ = 0;
};

struct Segment {
  std::vector<const KvBlock*> prefix;  // earlier positions of the sequence, in order
  KvBlock* cache = nullptr;            // the tokens' keys/values are appended here (required)
  std::span<const int32_t> tokens;     // at positions sum(prefix sizes) + cache->size() + i
  int logits_from = 0;                 // logits are kept for tokens[logits_from..]
};

class BatchForward {
 public:
  // Packs the model's weights (a second copy of them); `model` must outlive this.
  explicit BatchForward(const model::Gpt& model);
  const model::GptConfig& config() const { return cfg_; }
  // One forward of every segment's tokens. Checks token ranges and positions (< n_ctx).
  Status forward(std::span<const Segment> segments);
  // (V) logits of the kept rows, in segment order then token order.
  size_t logit_rows() const { return logit_rows_; }
  const float* logits(size_t row) const { return logits_.data() + row * cfg_.vocab_size; }
  size_t weight_bytes() const;

 private:
  struct Layer {
    PackedMatrix qkv, proj, fc, fcproj;
  };
  void attention(int l, std::span<const Segment> segs);
  const model::Gpt& m_;
  model::GptConfig cfg_;
  std::vector<Layer> layers_;
  PackedMatrix head_;
  // per-forward row bookkeeping and activations
  std::vector<int> row_seg_, row_pos_, row_local_;
  std::vector<int32_t> tokens_;
  std::vector<float> x_, ln_, qkv_, atty_, tmp_, fc_, mean_, rstd_, logits_;
  std::vector<int> old_size_;
  size_t logit_rows_ = 0;
};

}  // namespace lm::generate
