// kv_decoder.h: incremental decoding with a KV cache: feed one token at a time and get the
// next-token logits, reusing every earlier position's keys and values (one matrix-vector pass
// per layer instead of a full forward). Uses the model's weights and kernel set; the results
// equal Gpt::forward's logits position by position (a test checks it).
#pragma once

#include <vector>

#include "model/gpt.h"

namespace lm::generate {

class KvDecoder {
 public:
  explicit KvDecoder(const model::Gpt& model);
  void reset() { pos_ = 0; }
  int position() const { return pos_; }
  bool full() const { return pos_ >= cfg_.n_ctx; }
  // Feeds `token` at the next position (requires !full()); returns the (V) logits after it.
  const float* step(int token);

 private:
  void attend(int l);
  const model::Gpt& m_;
  model::GptConfig cfg_;
  int pos_ = 0;
  std::vector<float> k_cache_, v_cache_;  // (L, n_ctx, C)
  std::vector<float> x_, ln_, qkv_, att_y_, tmp_, fc_, fcg_, scores_, logits_, mean_, rstd_;
};

}  // namespace lm::generate
