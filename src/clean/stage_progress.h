// stage_progress.h: the progress display of `lmforge clean` (see StageProgress).
#pragma once

#include <fmt/core.h>

#include <string>
#include <vector>

#include "clean/stats.h"
#include "core/progress.h"
#include "core/progress_block.h"

namespace lm::clean {

// The progress display of `lmforge clean`: a header line (bytes read, rate) and one line per
// stage with the documents into and out of it so far, summed over the threads' statistics when
// a redraw is due (after a batch).
class StageProgress {
 public:
  explicit StageProgress(std::vector<std::string> names)
      : names_(std::move(names)), base_(names_.size()) {}
  template <typename Locals>
  void update(const Locals& locals, uint64_t bytes) {
    bytes_ += bytes;
    if (block_.due()) block_.draw(lines(locals));
  }
  template <typename Locals>
  void unit_done(const Locals& locals) {
    for (const auto& l : locals)
      for (size_t i = 0; i < base_.size(); ++i) base_[i].merge(l.stages[i]);
  }
  void finish() { block_.finish(lines(std::vector<StageStatsHolder>{})); }

 private:
  struct StageStatsHolder {
    std::vector<StageStats> stages;
  };
  template <typename Locals>
  std::vector<std::string> lines(const Locals& locals) const {
    std::vector<StageStats> sum = base_;
    for (const auto& l : locals)
      for (size_t i = 0; i < sum.size(); ++i) sum[i].merge(l.stages[i]);
    const double t = block_.elapsed();
    std::vector<std::string> out = {
        fmt::format("clean: {} read [{}, {}/s]", format_bytes(static_cast<double>(bytes_)),
                    format_duration(t), format_bytes(t > 0 ? bytes_ / t : 0.0))};
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
  uint64_t bytes_ = 0;
  ProgressBlock block_;
};

}  // namespace lm::clean
