// ordered_runner.h: the one read batch -> work in parallel -> write in input order loop of
// lmforge's jobs (clean, dedup signatures, tokenizer encode, pack). A reader thread fills batches,
// `threads` workers process whole batches (each with its worker index, for per-thread scratch), and
// the calling thread writes finished batches strictly in the order they were read, so output bytes
// never depend on the thread count. At most `in_flight` batches exist (default 3 x threads), so
// memory is bounded whatever the input size, and written batches are handed back to the reader to
// be refilled: their buffers keep their capacity (no allocation or page faults per batch). With one
// thread everything runs on the calling thread, in turn. fill_batch() is the one loop that reads a
// batch of documents for it. Leaves out what a batch is and what the work does (the caller's).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/status.h"
#include "core/timer.h"

namespace lm {

// CPU time of the calling thread, in seconds.
inline double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct RunnerTimes {
  double work_cpu = 0;   // thread CPU seconds inside `work`, all workers
  double work_wall = 0;  // wall seconds during which at least one worker was inside `work`
};

// The batch-filling loop of the document jobs: reads documents with `next` (a reader's
// next(&doc) -> Result<bool>) into (*docs)[0..*count), reusing the slots' buffers (a slot is
// added only when the batch outgrows them), until `max_docs` documents or `max_bytes` bytes of
// text are in. The first `*skip` documents read are dropped (a resumed job; null: none). Resets
// *count and *bytes first; returns false when the input has ended.
template <typename Doc, typename Next>
Result<bool> fill_batch(Next&& next, std::vector<Doc>* docs, size_t* count, uint64_t* bytes,
                        size_t max_docs, uint64_t max_bytes, uint64_t* skip = nullptr) {
  *count = 0;
  *bytes = 0;
  while (*count < max_docs && *bytes < max_bytes) {
    if (docs->size() == *count) docs->emplace_back();
    Doc& d = (*docs)[*count];
    LM_ASSIGN_OR_RETURN(bool more, next(&d));
    if (!more) return false;
    if (skip && *skip > 0) {
      --*skip;
      continue;
    }
    *bytes += d.text.size();
    ++*count;
  }
  return true;
}

template <typename Batch>
struct OrderedRunner {
  // Fills a batch handed back by `write` (or a new one); reset it first. Returns false when the
  // input has ended (what it put in the batch is still processed, unless `empty`), or an error.
  // Runs on the reader thread.
  std::function<Result<bool>(Batch& batch)> read;
  std::function<bool(const Batch& batch)> empty;
  // Processes one batch on worker `worker` (0 <= worker < threads), concurrently with other
  // batches. Errors belong to the batch (store them in it; `write` reports them).
  std::function<void(Batch& batch, int worker)> work;
  // Consumes a finished batch on the calling thread, in read order; an error stops the run.
  std::function<Status(Batch& batch)> write;
  int threads = 1;
  size_t in_flight = 0;  // 0 = 3 x threads

  // Runs reader, workers and writer; on any error every thread is stopped and joined before
  // returning. A reader error is returned after the batches read before it were written.
  Status run(RunnerTimes* times = nullptr) const {
    if (threads <= 1) return run_inline(times);
    State s;
    const int n = threads;
    s.max_in_flight = in_flight ? in_flight : 3 * static_cast<size_t>(n);
    std::thread rd([&] { reader_loop(&s); });
    std::vector<std::thread> workers;
    for (int i = 0; i < n; ++i) workers.emplace_back([&s, this, i] { worker_loop(&s, i); });
    Status st;
    for (uint64_t next = 0; st.ok();) {
      std::unique_ptr<Batch> b;
      {
        std::unique_lock lk(s.mu);
        s.cv_done.wait(lk,
                       [&] { return s.done.count(next) || (s.reader_done && next == s.total); });
        if (!s.done.count(next)) {
          st = s.reader_status;
          break;
        }
        b = std::move(s.done[next]);
        s.done.erase(next++);
      }
      st = write(*b);
      std::lock_guard lk(s.mu);
      s.free.push_back(std::move(b));
      s.cv_space.notify_one();
    }
    {
      std::lock_guard lk(s.mu);
      s.stop = true;
      s.cv_jobs.notify_all();
      s.cv_space.notify_all();
    }
    rd.join();
    for (auto& t : workers) t.join();
    if (times) *times = s.times;
    return st;
  }

 private:
  // One thread: read, work and write each batch in turn on the calling thread. Handing the
  // documents to other threads costs cache misses and switches that only pay when they overlap
  // (measured: clean --threads 1 took 9-15% more CPU through the threads).
  Status run_inline(RunnerTimes* times) const {
    Batch b;
    RunnerTimes t;
    Timer clock;
    for (bool more = true; more;) {
      auto r = read(b);
      if (!r.ok() && empty(b)) return r.status();
      more = r.ok() && *r;
      if (empty(b)) break;
      const double c0 = thread_cpu_seconds(), w0 = clock.seconds();
      work(b, 0);
      t.work_cpu += thread_cpu_seconds() - c0;
      t.work_wall += clock.seconds() - w0;
      LM_RETURN_IF_ERROR(write(b));
      if (!r.ok()) return r.status();
    }
    if (times) *times = t;
    return ok_status();
  }

  struct State {
    std::mutex mu;
    std::condition_variable cv_jobs, cv_done, cv_space;
    std::deque<std::pair<uint64_t, std::unique_ptr<Batch>>> jobs;
    std::map<uint64_t, std::unique_ptr<Batch>> done;
    std::vector<std::unique_ptr<Batch>> free;  // written, to be refilled
    size_t made = 0, max_in_flight = 0;
    bool reader_done = false, stop = false;
    uint64_t total = 0;
    Status reader_status;
    int busy = 0;  // workers inside `work`
    Timer clock;
    double busy_since = 0;
    RunnerTimes times;
  };

  void reader_loop(State* s) const {
    uint64_t seq = 0;
    Status st;
    for (bool more = true; more;) {
      std::unique_ptr<Batch> b;
      {
        std::unique_lock lk(s->mu);
        s->cv_space.wait(lk,
                         [&] { return !s->free.empty() || s->made < s->max_in_flight || s->stop; });
        if (s->stop) break;
        if (!s->free.empty()) {
          b = std::move(s->free.back());
          s->free.pop_back();
        } else {
          b = std::make_unique<Batch>();
          ++s->made;
        }
      }
      auto r = read(*b);
      if (!r.ok()) st = r.status();
      more = r.ok() && *r;
      if (empty(*b)) break;
      std::lock_guard lk(s->mu);
      s->jobs.emplace_back(seq++, std::move(b));
      s->cv_jobs.notify_one();
    }
    std::lock_guard lk(s->mu);
    s->reader_done = true;
    s->total = seq;
    s->reader_status = st;
    s->cv_jobs.notify_all();
    s->cv_done.notify_all();
  }

  void worker_loop(State* s, int worker) const {
    for (;;) {
      std::pair<uint64_t, std::unique_ptr<Batch>> job;
      {
        std::unique_lock lk(s->mu);
        s->cv_jobs.wait(lk, [&] { return s->stop || !s->jobs.empty() || s->reader_done; });
        if (s->stop || s->jobs.empty()) return;
        job = std::move(s->jobs.front());
        s->jobs.pop_front();
        if (s->busy++ == 0) s->busy_since = s->clock.seconds();
      }
      const double c0 = thread_cpu_seconds();
      work(*job.second, worker);
      const double cpu = thread_cpu_seconds() - c0;
      std::lock_guard lk(s->mu);
      s->times.work_cpu += cpu;
      if (--s->busy == 0) s->times.work_wall += s->clock.seconds() - s->busy_since;
      s->done[job.first] = std::move(job.second);
      s->cv_done.notify_all();
    }
  }
};

}  // namespace lm
