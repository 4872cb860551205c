// word_counts.h: WordCounts, a multiset of words (byte strings) with counts in one flat
// open-addressing table over an arena (memory grows with the number of distinct words, not with
// the corpus), and count_words(), which streams documents through per-thread tables and merges
// them. The result is the same for any thread count (sorted() orders words by bytes).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace lm::tok {

class WordCounts {
 public:
  WordCounts();
  void add(std::string_view word, uint64_t n = 1);
  void merge(const WordCounts& other);  // adds other's counts
  size_t size() const { return size_; }
  uint64_t total() const { return total_; }  // sum of counts
  size_t memory_bytes() const { return arena_.capacity() + slots_.capacity() * sizeof(Slot); }
  // (word, count) sorted by word bytes; views stay valid while this object lives unchanged.
  std::vector<std::pair<std::string_view, uint64_t>> sorted() const;
  template <typename F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.count != 0) f(key(s), s.count);
    }
  }

 private:
  static constexpr uint32_t kInline = 16;  // words up to this many bytes live in the slot
  struct Slot {
    uint64_t count = 0;  // 0: empty slot
    uint32_t hash = 0;   // low bits of the word's hash
    uint32_t len = 0;
    union {
      char bytes[kInline];
      uint64_t offset;  // into arena_ when len > kInline
    } key = {};
  };
  std::string_view key(const Slot& s) const {
    return s.len <= kInline ? std::string_view(s.key.bytes, s.len)
                            : std::string_view(arena_.data() + s.key.offset, s.len);
  }
  void add_hashed(std::string_view word, uint64_t hash, uint64_t n);
  void grow();

  std::string arena_;
  std::vector<Slot> slots_;
  size_t size_ = 0;
  uint64_t total_ = 0;
};

// Returns the next document's text in *text, false at the end (an error stops the count).
using TextSource = std::function<Result<bool>(std::string* text)>;
// Splits one text into words and adds them to *counts; must be thread-safe.
using WordSplitter = std::function<void(std::string_view text, WordCounts* counts)>;

struct CountOptions {
  int threads = 0;                    // 0: all cores
  bool progress = true;               // "Count words" progress line (bytes)
  uint64_t batch_bytes = 1ULL << 20;  // documents are handed to workers in batches of this size
};

struct CountStats {
  uint64_t documents = 0;
  uint64_t bytes = 0;
};

// Reads all documents from `next` (on the calling thread) and counts their words on
// `threads` workers. Memory: the per-thread tables plus a few batches in flight.
Result<WordCounts> count_words(const TextSource& next, const WordSplitter& split,
                               const CountOptions& options, CountStats* stats = nullptr);

}  // namespace lm::tok
