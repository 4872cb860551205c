// sampler.h: choosing the next token from logits: greedy at temperature 0 (ties -> lowest id),
// otherwise softmax(logits / temperature) restricted to the top-k tokens and then to the
// smallest set whose probability reaches top-p, sampled with a caller-owned seeded Rng.
#pragma once

#include <cstdint>
#include <vector>

#include "core/rng.h"
#include "core/status.h"

namespace lm::generate {

struct SamplerOptions {
  float temperature = 1.0f;  // 0 = greedy
  int top_k = 0;             // 0 = all tokens
  float top_p = 1.0f;        // 1 = no nucleus cut
  Status validate() const;
};

class Sampler {
 public:
  explicit Sampler(SamplerOptions options) : o_(options) {}
  int sample(const float* logits, int vocab, Rng& rng);
  // The distribution sample() draws from (after temperature, top-k, top-p), for tests.
  std::vector<double> distribution(const float* logits, int vocab);

 private:
  SamplerOptions o_;
  std::vector<int> idx_;
  std::vector<double> p_;
};

}  // namespace lm::generate
