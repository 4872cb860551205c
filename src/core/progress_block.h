// progress_block.h: several progress lines drawn together, e.g. one line per pipeline stage
// (`lmforge clean` shows documents into and out of every stage). On a terminal the block is
// redrawn in place (ANSI cursor-up, at most 10 times a second); otherwise all its lines are
// printed every Progress::set_period_seconds() seconds (default 10), so logs stay readable.
// Follows Progress's global switches (set_enabled, set_force_tty). Used from one thread; the
// caller asks due() before building the lines, so a clock read is all that runs between draws.
// Implemented in progress.cc.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace lm {

class ProgressBlock {
 public:
  ProgressBlock();
  ~ProgressBlock();
  ProgressBlock(const ProgressBlock&) = delete;
  ProgressBlock& operator=(const ProgressBlock&) = delete;

  bool due() const;  // enabled, not finished, and a draw period has passed since the last one
  void draw(const std::vector<std::string>& lines);
  // Draws the final lines once (skipped when nothing was drawn and it took under a second).
  void finish(const std::vector<std::string>& lines);
  double elapsed() const;  // seconds since construction

 private:
  void print(const std::vector<std::string>& lines);
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool tty_ = false, finished_ = false, drawn_ = false;
  size_t lines_on_screen_ = 0;
};

}  // namespace lm
