// hash.h: fast non-cryptographic hashes (xxHash XXH3) for dedup, splits and checksums.
#pragma once

#include <cstdint>
#include <string_view>

namespace lm {

uint64_t hash64(std::string_view data, uint64_t seed = 0);
uint64_t hash64(const void* data, size_t n, uint64_t seed = 0);

}  // namespace lm
