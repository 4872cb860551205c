// ordered_pipeline.h: the one read -> work in parallel -> write in input order loop. A reader
// thread fills batches, `threads` workers process whole batches, and the calling thread writes
// finished batches strictly in the order they were read; at most 3 x threads batches are in
// flight, so memory is bounded whatever the input size. Output bytes therefore never depend on
// the thread count. Leaves out: what a batch is and what the work does (the caller's).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/status.h"

namespace lm {

template <typename Batch>
struct OrderedPipeline {
  // Fills *batch (a fresh Batch); returns false when the input has ended (the batch is then
  // dropped when empty: `empty(batch)` decides), or an error. Called on the reader thread.
  std::function<Result<bool>(Batch* batch)> read;
  std::function<bool(const Batch& batch)> empty;
  // Processes one batch; runs on a worker thread, concurrently with other batches. Errors are
  // the batch's own business (store them in it and report them from `write`).
  std::function<void(Batch* batch)> work;
  // Consumes a finished batch on the calling thread, in read order; an error stops the run.
  std::function<Status(Batch& batch)> write;
  int threads = 1;

  // Runs reader, workers and writer; on any error every thread is stopped and joined before
  // returning, and the reader's error is returned after the batches read before it are written.
  Status run() const {
    State s;
    s.max_inflight = 3 * static_cast<size_t>(threads < 1 ? 1 : threads);
    std::thread rd([&] { reader_loop(&s); });
    std::vector<std::thread> workers;
    for (int i = 0; i < (threads < 1 ? 1 : threads); ++i)
      workers.emplace_back([&] { worker_loop(&s); });
    Status st;
    for (uint64_t next = 0; st.ok();) {
      std::unique_ptr<Batch> b;
      {
        std::unique_lock lk(s.mu);
        s.cv_done.wait(
            lk, [&] { return s.done.count(next) || (s.reader_done && next == s.total) || s.stop; });
        if (!s.done.count(next)) {
          st = s.reader_status;
          break;
        }
        b = std::move(s.done[next]);
        s.done.erase(next++);
      }
      st = write(*b);
      b.reset();
      std::lock_guard lk(s.mu);
      --s.inflight;
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
    return st;
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv_jobs, cv_done, cv_space;
    std::deque<std::pair<uint64_t, std::unique_ptr<Batch>>> jobs;
    std::map<uint64_t, std::unique_ptr<Batch>> done;
    size_t inflight = 0, max_inflight = 0;
    bool reader_done = false, stop = false;
    uint64_t total = 0;
    Status reader_status;
  };

  void reader_loop(State* s) const {
    uint64_t seq = 0;
    Status st;
    for (bool more = true; more;) {
      auto b = std::make_unique<Batch>();
      auto r = read(b.get());
      if (!r.ok()) st = r.status();
      more = r.ok() && *r;
      if (empty(*b)) break;
      std::unique_lock lk(s->mu);
      s->cv_space.wait(lk, [&] { return s->inflight < s->max_inflight || s->stop; });
      if (s->stop) break;
      s->jobs.emplace_back(seq++, std::move(b));
      ++s->inflight;
      s->cv_jobs.notify_one();
    }
    std::lock_guard lk(s->mu);
    s->reader_done = true;
    s->total = seq;
    s->reader_status = st;
    s->cv_jobs.notify_all();
    s->cv_done.notify_all();
  }

  void worker_loop(State* s) const {
    for (;;) {
      std::pair<uint64_t, std::unique_ptr<Batch>> job;
      {
        std::unique_lock lk(s->mu);
        s->cv_jobs.wait(lk, [&] { return s->stop || !s->jobs.empty() || s->reader_done; });
        if (s->stop || s->jobs.empty()) return;
        job = std::move(s->jobs.front());
        s->jobs.pop_front();
      }
      work(job.second.get());
      std::lock_guard lk(s->mu);
      s->done[job.first] = std::move(job.second);
      s->cv_done.notify_all();
    }
  }
};

}  // namespace lm
