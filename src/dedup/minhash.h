// minhash.h: the per-document keys of dedup. Words are normalised on the fly (NFD, nonspacing
// marks dropped, lowercase, a run of digits to 0, punctuation and symbols as separators; an ASCII
// fast path, ICU for the rest) and hashed; CJK text becomes one word per character (or ICU
// dictionary words). MinHasher turns word n-gram shingles into K = bands x rows 32-bit minimums
// with multiply-shift permutations (AVX2 when the CPU has it) and folds each band into one 64-bit
// bucket key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "dedup/dedup.h"

namespace lm::dedup {

// Appends one 64-bit hash per normalised word of `text` to *out.
void word_hashes(std::string_view text, bool cjk_chars, std::vector<uint64_t>* out);

// A 128-bit key of the normalised word stream (the raw bytes when there are no words).
struct Key128 {
  uint64_t hi = 0, lo = 0;
  bool operator==(const Key128&) const = default;
};
Key128 exact_key(std::string_view text, const uint64_t* words, size_t n);

// The hash of a normalised line or paragraph; 0 when it has no words (never deduplicated).
uint64_t line_key(std::string_view line, std::vector<uint64_t>* scratch);

class MinHasher {
 public:
  explicit MinHasher(const MinHashParams& params);
  int num_hashes() const { return k_; }
  int bands() const { return bands_; }
  // Writes K minimums to sig; false when there are no words (no signature, never matched).
  // Fewer words than the n-gram size make one shingle of all of them.
  bool signature(const uint64_t* words, size_t n, uint32_t* sig) const;
  // One bucket key per band (band index mixed in).
  void band_keys(const uint32_t* sig, uint64_t* keys) const;

 private:
  int ngram_, bands_, rows_, k_;
  uint64_t seed_;
  // K permutations of 32-bit shingle keys x (Dietzfelbinger's multiply-add-shift, 2-universal):
  // ((mul * x + add) mod 2^64) >> 32 with random 64-bit mul (odd) and add.
  std::vector<uint64_t> mul_, add_;
};

// Estimated Jaccard similarity: the share of equal minimums.
double signature_similarity(const uint32_t* a, const uint32_t* b, int k);

}  // namespace lm::dedup
