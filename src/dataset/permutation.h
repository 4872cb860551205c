// permutation.h: a pseudo-random permutation of [0, n) in O(1) memory (a 4-round Feistel
// network over the next even power of two, cycle-walking back into range). The loader uses it
// to shuffle samples per (seed, epoch) without storing an order, so any position is computable.
#pragma once

#include <cstdint>

#include "core/rng.h"

namespace lm::dataset {

class Permutation {
 public:
  Permutation(uint64_t n, uint64_t key) : n_(n) {
    int bits = 2;
    while (bits < 64 && (uint64_t(1) << bits) < n) bits += 2;
    half_ = bits / 2;
    mask_ = (uint64_t(1) << half_) - 1;
    uint64_t x = key;
    for (auto& k : keys_) k = splitmix64(x);
  }
  // The image of i (i < n).
  uint64_t operator()(uint64_t i) const {
    if (n_ <= 1) return i;
    uint64_t x = i;
    do {
      x = encrypt(x);
    } while (x >= n_);
    return x;
  }

 private:
  uint64_t encrypt(uint64_t x) const {
    uint64_t l = x >> half_, r = x & mask_;
    for (uint64_t k : keys_) {
      uint64_t f = r ^ k;
      f = splitmix64(f) & mask_;
      const uint64_t nl = r;
      r = l ^ f;
      l = nl;
    }
    return (l << half_) | r;
  }
  uint64_t n_;
  int half_ = 1;
  uint64_t mask_ = 1;
  uint64_t keys_[4];
};

}  // namespace lm::dataset
