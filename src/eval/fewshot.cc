// fewshot.cc: the default (seeded draw without replacement, in draw order) and first_n samplers.
#include "eval/fewshot.h"

#include <algorithm>

namespace lm::eval {
namespace {

// random.Random._randbelow_with_getrandbits(n), n < 2^32.
uint32_t randbelow(PyRandom& rng, uint32_t n) {
  if (n == 0) return 0;
  int k = 32 - __builtin_clz(n);  // n.bit_length()
  uint32_t r = rng.next_u32() >> (32 - k);
  while (r >= n) r = rng.next_u32() >> (32 - k);
  return r;
}

}  // namespace

std::vector<size_t> FewshotSampler::python_sample(size_t n, size_t k) {
  // CPython 3's Random.sample(range(n), k): a pool swap for small n, a set of seen indices else.
  std::vector<size_t> out;
  size_t setsize = 21;
  if (k > 5) {
    size_t p = 1;
    while (p < k * 3) p *= 4;  // 4 ** ceil(log(3k, 4))
    setsize += p;
  }
  if (n <= setsize) {
    std::vector<size_t> pool(n);
    for (size_t i = 0; i < n; i++) pool[i] = i;
    for (size_t i = 0; i < k; i++) {
      size_t j = randbelow(rng_, (uint32_t)(n - i));
      out.push_back(pool[j]);
      pool[j] = pool[n - i - 1];
    }
  } else {
    std::vector<size_t> seen;
    for (size_t i = 0; i < k; i++) {
      size_t j = randbelow(rng_, (uint32_t)n);
      while (std::find(seen.begin(), seen.end(), j) != seen.end()) j = randbelow(rng_, (uint32_t)n);
      seen.push_back(j);
      out.push_back(j);
    }
  }
  return out;
}

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
    picked = python_sample(pool_.size(), need);
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
