// run_file.h: the checksummed intermediate files of dedup and the external sort built on them.
// A blob file is [magic 8][payload][u64 size][u64 XXH3 of payload]; a run file holds sorted
// fixed-size records in `parts` partitions, each with its own count and checksum, so a reader of
// one partition verifies just that. ExternalSorter keeps records in a buffer of a set byte budget,
// spills sorted runs, and RunMerger streams the k-way merge. A damaged file is a kCorrupt error
// naming it. Records are trivially copyable structs with a total order (operator<).
#pragma once

#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/file_util.h"
#include "core/status.h"

namespace lm::dedup {

// ---- blob files -------------------------------------------------------------------------------
// A file written under a temporary name and renamed into place by commit(). Unlike AtomicFile it
// does not fsync: intermediates are checksummed, so a file lost in a crash is detected, and
// fsync per run file costs seconds on a busy disk.
class TempFile {
 public:
  static Result<TempFile> create(const std::string& path);
  TempFile(TempFile&& o) noexcept;
  ~TempFile();
  Status write(const void* data, size_t n);
  Status commit();

 private:
  TempFile() = default;
  std::string path_, tmp_;
  FILE* f_ = nullptr;
};

class BlobWriter {
 public:
  static Result<BlobWriter> create(const std::string& path, const char magic[8]);
  Status write(const void* data, size_t n);
  Status commit();
  uint64_t size() const { return size_; }

 private:
  BlobWriter(TempFile f);
  std::unique_ptr<TempFile> file_;
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state_{nullptr, &XXH3_freeState};
  uint64_t size_ = 0;
};

// Reads a whole blob into memory and verifies it.
Result<std::string> read_blob(const std::string& path, const char magic[8]);

// A memory-mapped blob, verified once on open.
class MappedBlob {
 public:
  static Result<MappedBlob> open(const std::string& path, const char magic[8]);
  const uint8_t* data() const { return map_->data() + 8; }
  uint64_t size() const { return size_; }

 private:
  std::unique_ptr<MappedFile> map_;
  uint64_t size_ = 0;
};

// ---- run files ---------------------------------------------------------------------------------
struct RunPart {
  uint64_t count = 0;
  uint64_t checksum = 0;
};

// Writes `recs` (sorted by part, then by value) with parts[p] records in partition p.
Status write_run_bytes(const std::string& path, const void* recs, size_t record_size,
                       const std::vector<uint64_t>& part_counts);

// Streams one partition of one run file.
class RunReaderBase {
 public:
  static Result<std::unique_ptr<RunReaderBase>> open(const std::string& path, size_t record_size,
                                                     int part, size_t buffer_bytes);
  ~RunReaderBase();
  // Copies the next record into out; false at the end (after verifying the checksum).
  Result<bool> next(void* out);
  const std::string& path() const { return path_; }

 private:
  RunReaderBase() = default;
  Status refill();
  std::string path_;
  FILE* f_ = nullptr;
  size_t record_size_ = 0;
  uint64_t remaining_ = 0;  // records not yet returned
  uint64_t unread_ = 0;     // records not yet read from the file
  uint64_t checksum_ = 0;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0, len_ = 0;
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state_{nullptr, &XXH3_freeState};
};

template <class T>
class ExternalSorter {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  // Runs are written as `prefix`.run<N>; part_of(record) in [0, parts).
  ExternalSorter(std::string prefix, int parts, std::function<int(const T&)> part_of,
                 uint64_t budget_bytes)
      : prefix_(std::move(prefix)), parts_(parts), part_of_(std::move(part_of)) {
    cap_ = std::max<uint64_t>(budget_bytes / sizeof(T), 1024);
  }
  Status add(const T& r) {
    buf_.push_back(r);
    if (buf_.size() >= cap_) return spill();
    return ok_status();
  }
  // Spills what is left (an empty sorter still writes one empty run, so every part exists).
  Status finish() {
    if (!buf_.empty() || runs_.empty()) LM_RETURN_IF_ERROR(spill());
    std::vector<T>().swap(buf_);
    return ok_status();
  }
  const std::vector<std::string>& runs() const { return runs_; }
  uint64_t records() const { return total_; }

 private:
  Status spill() {
    std::sort(buf_.begin(), buf_.end(), [this](const T& a, const T& b) {
      const int pa = part_of_(a), pb = part_of_(b);
      return pa != pb ? pa < pb : a < b;
    });
    std::vector<uint64_t> counts(parts_, 0);
    for (const T& r : buf_) ++counts[part_of_(r)];
    std::string path = prefix_ + ".run" + std::to_string(runs_.size());
    LM_RETURN_IF_ERROR(write_run_bytes(path, buf_.data(), sizeof(T), counts));
    runs_.push_back(std::move(path));
    total_ += buf_.size();
    buf_.clear();
    return ok_status();
  }
  std::string prefix_;
  int parts_;
  std::function<int(const T&)> part_of_;
  uint64_t cap_;
  std::vector<T> buf_;
  std::vector<std::string> runs_;
  uint64_t total_ = 0;
};

// K-way merge of one partition of many runs, in ascending order (ties: the earlier run first).
template <class T>
class RunMerger {
 public:
  static Result<std::unique_ptr<RunMerger>> open(const std::vector<std::string>& runs, int part,
                                                 uint64_t budget_bytes) {
    auto m = std::unique_ptr<RunMerger>(new RunMerger());
    const size_t per =
        std::clamp<uint64_t>(budget_bytes / std::max<size_t>(runs.size(), 1), 4096, 1 << 20);
    for (const std::string& path : runs) {
      LM_ASSIGN_OR_RETURN(auto r, RunReaderBase::open(path, sizeof(T), part, per));
      m->readers_.push_back(std::move(r));
    }
    m->heads_.resize(m->readers_.size());
    for (size_t i = 0; i < m->readers_.size(); ++i) LM_RETURN_IF_ERROR(m->advance(i));
    return m;
  }
  Result<bool> next(T* out) {
    if (heap_.empty()) return false;
    const size_t i = heap_.top().second;
    heap_.pop();
    *out = heads_[i];
    LM_RETURN_IF_ERROR(advance(i));
    return true;
  }

 private:
  Status advance(size_t i) {
    LM_ASSIGN_OR_RETURN(bool more, readers_[i]->next(&heads_[i]));
    if (more) heap_.push({heads_[i], i});
    return ok_status();
  }
  struct Greater {
    bool operator()(const std::pair<T, size_t>& a, const std::pair<T, size_t>& b) const {
      if (b.first < a.first) return true;
      if (a.first < b.first) return false;
      return a.second > b.second;
    }
  };
  std::vector<std::unique_ptr<RunReaderBase>> readers_;
  std::vector<T> heads_;
  std::priority_queue<std::pair<T, size_t>, std::vector<std::pair<T, size_t>>, Greater> heap_;
};

}  // namespace lm::dedup
