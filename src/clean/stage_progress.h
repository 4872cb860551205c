// stage_progress.h: the progress display of `lmforge clean` (see StageProgress), through core's
// one progress interface (core/progress.h).
#pragma once

#include <fmt/core.h>

#include <string>
#include <vector>

#include "clean/filter_chain.h"
#include "clean/stats.h"
#include "core/progress.h"

namespace lm::clean {

// The progress of `lmforge clean`: core's progress line (bytes read, rate) with one detail line
// per stage under it, the documents into and out of that stage so far: the finished units' sums
// plus the current unit's, added up only when a redraw is due. Used from the writing thread.
class StageProgress {
 public:
  explicit StageProgress(std::vector<std::string> names)
      : names_(std::move(names)), base_(names_.size()), progress_("clean", 0, /*bytes=*/true) {
    progress_.set_details([this] { return lines(); });
  }
  // After a batch of the current unit (whose stats so far are `unit`) was written.
  void update(const LocalStats& unit, uint64_t bytes) {
    current_ = &unit;
    progress_.add(bytes);
  }
  void unit_done(const LocalStats& unit) {
    for (size_t i = 0; i < base_.size(); ++i) base_[i].merge(unit.stages[i]);
    current_ = nullptr;
  }
  void finish() { progress_.finish(); }

 private:
  std::vector<std::string> lines() const {
    std::vector<StageStats> sum = base_;
    if (current_)
      for (size_t i = 0; i < sum.size(); ++i) sum[i].merge(current_->stages[i]);
    std::vector<std::string> out;
    for (size_t i = 0; i < sum.size(); ++i) {
      const StageStats& s = sum[i];
      const double removed = s.in.docs ? 100.0 * (s.in.docs - s.out.docs) / s.in.docs : 0.0;
      out.push_back(fmt::format("  {:<18} {:>11} docs in {:>11} out ({:5.1f}% removed)", names_[i],
                                s.in.docs, s.out.docs, removed));
    }
    return out;
  }
  std::vector<std::string> names_;
  std::vector<StageStats> base_;  // finished units
  const LocalStats* current_ = nullptr;
  Progress progress_;
};

}  // namespace lm::clean
