// hash.cc: XXH3 64-bit through libxxhash.
#include "core/hash.h"

#include <xxhash.h>

namespace lm {

uint64_t hash64(std::string_view data, uint64_t seed) {
  return XXH3_64bits_withSeed(data.data(), data.size(), seed);
}
uint64_t hash64(const void* data, size_t n, uint64_t seed) {
  return XXH3_64bits_withSeed(data, n, seed);
}

}  // namespace lm
