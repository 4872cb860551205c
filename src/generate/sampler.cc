// sampler.cc: temperature, top-k and top-p sampling, and the repetition penalty.
#include "generate/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace lm::generate {

Status SamplerOptions::validate() const {
  if (!(temperature >= 0) || !std::isfinite(temperature))
    return invalid_argument("temperature {} must be >= 0", temperature);
  if (top_k < 0) return invalid_argument("top-k {} must be >= 0", top_k);
  if (!(top_p > 0 && top_p <= 1)) return invalid_argument("top-p {} must be in (0, 1]", top_p);
  return ok_status();
}

std::vector<double> Sampler::distribution(const float* logits, int V) {
  std::vector<double> out(V, 0.0);
  if (o_.temperature == 0.0f) {
    out[std::max_element(logits, logits + V) - logits] = 1.0;  // first maximum
    return out;
  }
  idx_.resize(V);
  std::iota(idx_.begin(), idx_.end(), 0);
  auto by_logit = [&](int a, int b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  int k = (o_.top_k > 0 && o_.top_k < V) ? o_.top_k : V;
  std::partial_sort(idx_.begin(), idx_.begin() + k, idx_.end(), by_logit);
  double mx = logits[idx_[0]], sum = 0;
  p_.resize(k);
  for (int i = 0; i < k; i++) sum += p_[i] = std::exp((logits[idx_[i]] - mx) / o_.temperature);
  int keep = k;
  if (o_.top_p < 1.0f) {
    double cum = 0;
    for (int i = 0; i < k; i++) {
      cum += p_[i] / sum;
      if (cum >= o_.top_p) {
        keep = i + 1;
        break;
      }
    }
  }
  double kept = 0;
  for (int i = 0; i < keep; i++) kept += p_[i];
  for (int i = 0; i < keep; i++) out[idx_[i]] = p_[i] / kept;
  return out;
}

int Sampler::sample(const float* logits, int V, Rng& rng) {
  if (o_.temperature == 0.0f) return (int)(std::max_element(logits, logits + V) - logits);
  std::vector<double> d = distribution(logits, V);
  double u = rng.uniform(), cum = 0;
  int last = 0;
  for (int v = 0; v < V; v++) {
    if (d[v] <= 0) continue;
    cum += d[v];
    last = v;
    if (u < cum) return v;
  }
  return last;  // rounding: the last token with mass
}

void apply_repetition_penalty(std::span<float> logits, std::span<const int> context,
                              float penalty) {
  if (penalty == 1.0f) return;
  std::vector<char> seen(logits.size(), 0);
  for (int id : context) {
    if (id < 0 || (size_t)id >= logits.size() || seen[id]) continue;
    seen[id] = 1;
    float& l = logits[id];
    l = l < 0 ? l * penalty : l / penalty;
  }
}

}  // namespace lm::generate
