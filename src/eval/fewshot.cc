// fewshot.cc: the default (seeded draw without replacement, in draw order) and first_n samplers.
#include "eval/fewshot.h"

#include <algorithm>

namespace lm::eval {

FewshotSampler::FewshotSampler(std::vector<Json> pool, std::string sampler, uint64_t seed,
                               bool same_split)
    : pool_(std::move(pool)), sampler_(std::move(sampler)), same_split_(same_split), rng_(seed) {}

Result<std::vector<const Json*>> FewshotSampler::sample(const Json& doc, int64_t doc_index, int k) {
  std::vector<const Json*> out;
  if (k <= 0) return out;
  size_t need = (size_t)k + (same_split_ ? 1 : 0);
  size_t avail = pool_.size() - (same_split_ && doc_index < (int64_t)pool_.size() ? 1 : 0);
  if ((size_t)k > avail)
    return invalid_argument("num_fewshot {} needs {} documents in the few-shot pool, it has {}", k,
                            k, avail)
        .with_hint("lower --num-fewshot or give a larger training / fewshot split");
  need = std::min(need, pool_.size());
  std::vector<size_t> picked;
  if (sampler_ == "first_n") {
    for (size_t i = 0; i < need; i++) picked.push_back(i);
  } else {
    // Draw without replacement in draw order (rejection on a small set; k << pool as a rule).
    while (picked.size() < need) {
      size_t j = (size_t)rng_.below(pool_.size());
      if (std::find(picked.begin(), picked.end(), j) == picked.end()) picked.push_back(j);
    }
  }
  for (size_t j : picked) {
    if (same_split_ && (int64_t)j == doc_index) continue;
    if (pool_[j] == doc) continue;  // the harness drops a shot equal to the document
    if ((int)out.size() < k) out.push_back(&pool_[j]);
  }
  if ((int)out.size() < k)
    return invalid_argument("the few-shot pool has only {} documents other than this one, {} asked",
                            out.size(), k);
  return out;
}

}  // namespace lm::eval
