// word_counts.cc: the flat word table (linear probing on XXH3 hashes, keys in an arena) and the
// streaming counter: the calling thread reads batches of documents into a bounded queue, worker
// threads split and count them into their own tables, and the tables are merged at the end.
#include "tokenizer/word_counts.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "core/hash.h"
#include "core/progress.h"
#include "core/threads.h"

namespace lm::tok {

WordCounts::WordCounts() : slots_(1024) {}

void WordCounts::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.count == 0) continue;
    size_t i = hash64(key(s)) & mask;
    while (slots_[i].count != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void WordCounts::add_hashed(std::string_view word, uint64_t hash, uint64_t n) {
  if (n == 0) return;
  total_ += n;
  size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  uint32_t h32 = static_cast<uint32_t>(hash >> 32);
  uint32_t len = static_cast<uint32_t>(word.size());
  while (true) {
    Slot& s = slots_[i];
    if (s.count == 0) break;
    if (s.hash == h32 && s.len == len && key(s) == word) {
      s.count += n;
      return;
    }
    i = (i + 1) & mask;
  }
  Slot& s = slots_[i];
  s.hash = h32;
  s.len = len;
  s.count = n;
  if (len <= kInline) {
    std::memcpy(s.key.bytes, word.data(), len);
  } else {
    s.key.offset = arena_.size();
    arena_.append(word);
  }
  if (++size_ * 10 > slots_.size() * 7) grow();
}

void WordCounts::add(std::string_view word, uint64_t n) { add_hashed(word, hash64(word), n); }

void WordCounts::merge(const WordCounts& other) {
  other.for_each([&](std::string_view w, uint64_t c) { add(w, c); });
}

std::vector<std::pair<std::string_view, uint64_t>> WordCounts::sorted() const {
  std::vector<std::pair<std::string_view, uint64_t>> out;
  out.reserve(size_);
  for_each([&](std::string_view w, uint64_t c) { out.emplace_back(w, c); });
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

// A bounded queue of document batches; close() wakes the workers at the end.
class BatchQueue {
 public:
  explicit BatchQueue(size_t capacity) : capacity_(capacity) {}
  void push(std::vector<std::string> batch) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return q_.size() < capacity_; });
    q_.push_back(std::move(batch));
    not_empty_.notify_one();
  }
  bool pop(std::vector<std::string>* batch) {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return false;
    *batch = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }

 private:
  size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::vector<std::string>> q_;
  bool closed_ = false;
};

}  // namespace

Result<WordCounts> count_words(const TextSource& next, const WordSplitter& split,
                               const CountOptions& options, CountStats* stats) {
  int threads = resolve_threads(options.threads);
  std::vector<WordCounts> tables(threads);
  BatchQueue queue(static_cast<size_t>(threads) * 2);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::vector<std::string> batch;
      while (queue.pop(&batch)) {
        for (const std::string& text : batch) split(text, &tables[t]);
      }
    });
  }
  std::unique_ptr<Progress> progress;
  if (options.progress) progress = std::make_unique<Progress>("Count words", 0, true);
  CountStats local;
  Status status;
  std::vector<std::string> batch;
  uint64_t batch_bytes = 0;
  std::string text;
  while (true) {
    Result<bool> more = next(&text);
    if (!more.ok()) {
      status = more.status();
      break;
    }
    if (!*more) break;
    ++local.documents;
    local.bytes += text.size();
    if (progress) progress->add(text.size());
    batch_bytes += text.size();
    batch.push_back(std::move(text));
    text.clear();
    if (batch_bytes >= options.batch_bytes) {
      queue.push(std::move(batch));
      batch.clear();
      batch_bytes = 0;
    }
  }
  if (!batch.empty()) queue.push(std::move(batch));
  queue.close();
  for (auto& w : workers) w.join();
  if (progress) progress->finish();
  if (!status.ok()) return status;
  for (int t = 1; t < threads; ++t) {
    tables[0].merge(tables[t]);
    tables[t] = WordCounts();
  }
  if (stats) *stats = local;
  return std::move(tables[0]);
}

}  // namespace lm::tok
