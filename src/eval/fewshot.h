// fewshot.h: the harness's few-shot samplers (lm_eval/api/samplers.py). `default` draws k
// documents per evaluated document from one seeded generator that advances across documents
// (so shots differ per document and repeat per run); `first_n` takes the pool in order. When the
// pool is the evaluated split, one extra is drawn and the evaluated document is dropped (it is
// never its own shot). The draw is CPython's random.Random(seed).sample (MT19937, the same
// index stream), so the same seed and document order pick the harness's own shots.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eval/py_compat.h"
#include "eval/template.h"

namespace lm::eval {

class FewshotSampler {
 public:
  // `same_split`: the pool is the split being evaluated (exclude the document by index).
  FewshotSampler(std::vector<Json> pool, std::string sampler, uint64_t seed, bool same_split);
  // k shots for the evaluated document `doc` (index `doc_index` in its split).
  Result<std::vector<const Json*>> sample(const Json& doc, int64_t doc_index, int k);
  size_t pool_size() const { return pool_.size(); }
  // random.Random.sample(range(n), k) on this sampler's generator (advances it).
  std::vector<size_t> python_sample(size_t n, size_t k);

 private:
  std::vector<Json> pool_;
  std::string sampler_;
  bool same_split_;
  PyRandom rng_;
};

}  // namespace lm::eval
