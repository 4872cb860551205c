// bpe_trainer_core.cc: the incremental merge loop. Pairs live in a flat uint64 -> index table;
// each pair keeps its weighted count and the (possibly stale, possibly repeated) list of words
// that held it when it was counted; the heap holds (count, pair) entries that are re-checked
// when popped (lazy invalidation: a stale entry is pushed back with its current count).
#include "tokenizer/bpe_trainer_core.h"

#include <memory>
#include <optional>
#include <queue>
#include <string_view>
#include <unordered_map>

#include "core/check.h"
#include "core/progress.h"

namespace lm::tok {
namespace {

inline uint64_t pair_key(uint32_t a, uint32_t b) { return (uint64_t{a} << 32) | b; }

// Open-addressing table uint64 -> uint32 (linear probing; ~0 marks an empty slot).
class PairTable {
 public:
  PairTable() { resize(1 << 16); }
  uint32_t at(uint64_t key) const {
    for (size_t i = slot(key);; i = (i + 1) & mask_) {
      if (keys_[i] == key) return vals_[i];
      LM_CHECK(keys_[i] != kEmpty, "pair {:x} missing from the pair table", key);
    }
  }
  // Returns the value of key, inserting `value` when absent (*added tells which).
  uint32_t get_or_add(uint64_t key, uint32_t value, bool* added) {
    size_t i = slot(key);
    for (; keys_[i] != kEmpty; i = (i + 1) & mask_) {
      if (keys_[i] == key) {
        *added = false;
        return vals_[i];
      }
    }
    keys_[i] = key;
    vals_[i] = value;
    *added = true;
    if (++size_ * 2 > keys_.size()) grow();
    return value;
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  size_t slot(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ULL) >> shift_; }
  void resize(size_t n) {
    keys_.assign(n, kEmpty);
    vals_.assign(n, 0);
    mask_ = n - 1;
    shift_ = 64 - __builtin_ctzll(n);
  }
  void grow() {
    std::vector<uint64_t> keys = std::move(keys_);
    std::vector<uint32_t> vals = std::move(vals_);
    resize(keys.size() * 2);
    for (size_t k = 0; k < keys.size(); ++k) {
      if (keys[k] == kEmpty) continue;
      size_t i = slot(keys[k]);
      while (keys_[i] != kEmpty) i = (i + 1) & mask_;
      keys_[i] = keys[k];
      vals_[i] = vals[k];
    }
  }
  std::vector<uint64_t> keys_;
  std::vector<uint32_t> vals_;
  size_t mask_ = 0, size_ = 0;
  int shift_ = 0;
};

struct HeapEntry {
  int64_t count;
  uint64_t key;  // (a << 32) | b
};
// Max-heap order: higher count first, then the smaller pair (a, then b).
struct HeapLess {
  bool operator()(const HeapEntry& x, const HeapEntry& y) const {
    if (x.count != y.count) return x.count < y.count;
    return x.key > y.key;
  }
};

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

class Merger {
 public:
  Merger(MergeProblem p, const MergeConfig& c) : p_(std::move(p)), c_(c) {}
  MergeResult run();

 private:
  uint32_t pair_id(uint32_t a, uint32_t b);
  void inc(uint32_t a, uint32_t b, uint32_t w, int64_t n);
  void dec(uint32_t a, uint32_t b, int64_t n) { count_[index_.at(pair_key(a, b))] -= n; }
  void init();
  void merge_pair(uint32_t pid, uint32_t a, uint32_t b, uint32_t x);
  // Checks the popped entry; returns the id of the new token, or nullopt when not merged.
  std::optional<uint32_t> accept(uint32_t pid, uint32_t a, uint32_t b);

  MergeProblem p_;
  const MergeConfig& c_;
  PairTable index_;
  std::vector<uint64_t> key_;  // pair id -> key
  std::vector<int64_t> count_;
  std::vector<std::vector<uint32_t>> words_;
  std::vector<uint8_t> banned_;
  std::vector<uint32_t> stamp_;
  uint32_t epoch_ = 1;
  std::vector<uint32_t> touched_;
  std::vector<uint32_t> len_;
  std::priority_queue<HeapEntry, std::vector<HeapEntry>, HeapLess> heap_;
  std::unordered_map<std::string, uint32_t> token_ids_;
};

uint32_t Merger::pair_id(uint32_t a, uint32_t b) {
  bool added = false;
  uint64_t key = pair_key(a, b);
  uint32_t id = index_.get_or_add(key, static_cast<uint32_t>(count_.size()), &added);
  if (added) {
    key_.push_back(key);
    count_.push_back(0);
    words_.emplace_back();
    banned_.push_back(0);
    stamp_.push_back(0);
  }
  return id;
}

void Merger::inc(uint32_t a, uint32_t b, uint32_t w, int64_t n) {
  uint32_t id = pair_id(a, b);
  count_[id] += n;
  auto& list = words_[id];
  if (list.empty() || list.back() != w) list.push_back(w);
  if (stamp_[id] != epoch_) {
    stamp_[id] = epoch_;
    touched_.push_back(id);
  }
}

void Merger::init() {
  size_t nwords = p_.word_count.size();
  len_.resize(nwords);
  for (uint32_t w = 0; w < nwords; ++w) {
    uint64_t s = p_.word_start[w], e = p_.word_start[w + 1];
    len_[w] = static_cast<uint32_t>(e - s);
    int64_t n = static_cast<int64_t>(p_.word_count[w]);
    for (uint64_t i = s; i + 1 < e; ++i) inc(p_.symbols[i], p_.symbols[i + 1], w, n);
  }
  std::vector<HeapEntry> entries;
  entries.reserve(touched_.size());
  for (uint32_t id : touched_) entries.push_back({count_[id], key_[id]});
  touched_.clear();
  heap_ = decltype(heap_)(HeapLess(), std::move(entries));
  for (size_t t = 0; t < p_.tokens.size(); ++t) {
    token_ids_.emplace(p_.tokens[t], static_cast<uint32_t>(t));
  }
}

void Merger::merge_pair(uint32_t pid, uint32_t a, uint32_t b, uint32_t x) {
  ++epoch_;
  touched_.clear();
  std::vector<uint32_t> list = std::move(words_[pid]);
  words_[pid] = {};
  uint32_t last = ~0u;
  for (uint32_t w : list) {
    if (w == last) continue;
    last = w;
    uint32_t* s = p_.symbols.data() + p_.word_start[w];
    uint32_t n = len_[w], i = 0, j = 0;
    int64_t wc = static_cast<int64_t>(p_.word_count[w]);
    while (i < n) {
      if (i + 1 < n && s[i] == a && s[i + 1] == b) {
        if (j > 0) {
          dec(s[j - 1], a, wc);
          inc(s[j - 1], x, w, wc);
        }
        if (i + 2 < n) {
          dec(b, s[i + 2], wc);
          inc(x, s[i + 2], w, wc);
        }
        s[j++] = x;
        i += 2;
      } else {
        s[j++] = s[i++];
      }
    }
    len_[w] = j;
  }
  count_[pid] = 0;
  for (uint32_t id : touched_) {
    if (count_[id] > 0 && !banned_[id]) heap_.push({count_[id], key_[id]});
  }
}

std::optional<uint32_t> Merger::accept(uint32_t pid, uint32_t a, uint32_t b) {
  std::string_view right = p_.tokens[b];
  if (!c_.strip_prefix.empty() && right.substr(0, c_.strip_prefix.size()) == c_.strip_prefix) {
    right.remove_prefix(c_.strip_prefix.size());
  }
  std::string merged = p_.tokens[a];
  merged.append(right);
  if (c_.max_token_length > 0) {
    size_t len = c_.length_in_chars ? utf8_length(merged) : merged.size();
    if (len > c_.max_token_length) {
      banned_[pid] = 1;
      return std::nullopt;
    }
  }
  auto it = token_ids_.find(merged);
  if (it != token_ids_.end()) {
    if (c_.reuse_existing) return it->second;
    banned_[pid] = 1;
    return std::nullopt;
  }
  uint32_t x = static_cast<uint32_t>(p_.tokens.size());
  token_ids_.emplace(merged, x);
  p_.tokens.push_back(std::move(merged));
  return x;
}

MergeResult Merger::run() {
  MergeResult r;
  init();
  r.peak_pairs = count_.size();
  size_t start = p_.tokens.size();
  std::unique_ptr<Progress> progress;
  if (c_.progress && c_.target_tokens > start) {
    progress = std::make_unique<Progress>("Compute merges", c_.target_tokens - start);
  }
  while (p_.tokens.size() < c_.target_tokens && !heap_.empty()) {
    HeapEntry top = heap_.top();
    heap_.pop();
    uint32_t pid = index_.at(top.key);
    if (banned_[pid]) continue;
    int64_t cur = count_[pid];
    if (cur != top.count) {
      if (cur > 0) heap_.push({cur, top.key});
      continue;
    }
    if (cur <= 0 || static_cast<uint64_t>(cur) < c_.min_frequency) break;
    uint32_t a = static_cast<uint32_t>(top.key >> 32), b = static_cast<uint32_t>(top.key);
    size_t before = p_.tokens.size();
    std::optional<uint32_t> x = accept(pid, a, b);
    if (!x) continue;
    r.merges.emplace_back(a, b);
    r.merged_ids.push_back(*x);
    merge_pair(pid, a, b, *x);
    if (progress && p_.tokens.size() > before) progress->add(1);
  }
  if (progress) progress->finish();
  r.tokens = std::move(p_.tokens);
  return r;
}

}  // namespace

MergeResult run_merges(MergeProblem problem, const MergeConfig& config) {
  Merger m(std::move(problem), config);
  return m.run();
}

}  // namespace lm::tok
