// sampler.h: choosing the next token from logits: greedy at temperature 0 (ties -> lowest id),
// otherwise softmax(logits / temperature) restricted to the top-k tokens and then to the
// smallest set whose probability reaches top-p, sampled with a caller-owned seeded Rng. Also the
// repetition penalty of HF transformers (CTRL's), applied to the logits before all of these.
#pragma once

#include <cstdint>
#include <span>
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

// HF's RepetitionPenaltyLogitsProcessor (Keskar et al. 2019, CTRL): the logit of every distinct
// id in `context` (the prompt and what was generated so far) is divided by `penalty` where it is
// positive and multiplied by it where it is negative, so penalty > 1 makes a token that already
// occurred less likely. 1 = unchanged. Ids outside [0, logits.size()) are ignored.
void apply_repetition_penalty(std::span<float> logits, std::span<const int> context, float penalty);

}  // namespace lm::generate
