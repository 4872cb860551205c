// progress.h: a tqdm-style progress line on stderr for long work.
//   desc:  45%|████▌     | 450/1000 [00:05<00:06, 90.00it/s]
// On a terminal the line is redrawn in place with '\r' (at most 10 times a second); otherwise a
// plain line is printed every `period` seconds (default 10) so logs stay readable. add() is
// thread-safe and cheap (one relaxed atomic add plus a clock check every 4096 calls). The one
// progress interface of lmforge's long jobs: a job with more to show (`lmforge clean`: one line
// per stage) adds detail lines under its line (set_details), drawn together as one block.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"

namespace lm {

class Progress {
 public:
  // total = 0 means unknown (shows the count and rate only). bytes = true scales units (kB, MB).
  Progress(std::string desc, uint64_t total, bool bytes = false);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void add(uint64_t n = 1);
  void set(uint64_t value);
  void set_total(uint64_t total) { total_.store(total); }
  void finish();  // prints the final line once
  uint64_t value() const { return count_.load(); }
  double elapsed() const;  // seconds since construction
  // Lines drawn under the progress line (on a terminal the block is redrawn in place), built
  // only when a draw is due: by the thread whose add()/set() draws and by finish(), under the
  // progress's lock (a job that sets them calls add() from one thread).
  void set_details(std::function<std::vector<std::string>()> details);

  // Global switch (the CLI's --quiet / --progress); default: enabled.
  static void set_enabled(bool enabled);
  // Overrides terminal detection (tests).
  static void set_force_tty(int tty);  // -1 auto, 0 no, 1 yes
  static void set_period_seconds(double seconds);

 private:
  void maybe_draw(bool force);
  std::string render(double elapsed) const;
  void print(double elapsed, bool final);  // under mu_

  std::string desc_;
  std::atomic<uint64_t> total_;
  bool bytes_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> calls_{0};
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::mutex mu_;
  bool tty_ = false;
  bool finished_ = false;
  bool drawn_ = false;
  uint64_t drawn_count_ = 0;  // count_ at the last line drawn
  std::function<std::vector<std::string>()> details_;
  size_t lines_on_screen_ = 0;  // of a block with details, on a terminal
};

// "1.23 MB", "512 B", "2.00 GB" (decimal units).
std::string format_bytes(double bytes);
// "00:05", "1:02:03".
std::string format_duration(double seconds);
// "64M", "1G", "500k", "1000" -> bytes (binary units, at most 1T); a bad size is an error saying
// what to write.
Result<uint64_t> parse_bytes(const std::string& size);
// Peak resident memory of this process image (VmHWM; unlike getrusage it excludes what a
// forking parent held before exec), or 0 where /proc is unavailable.
uint64_t peak_rss_bytes();

}  // namespace lm
