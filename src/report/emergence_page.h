// emergence_page.h: the plots and tables of `lmforge report STUDY_DIR` for an emergence study
// (STUDY_DIR/emergence.json, as `lmforge emergence` writes it): per task the discrete and the
// continuous metrics against N (log x, final ladder checkpoints, zero-shot), predicted (p^L and
// the smooth fit's p(N)^L) against measured exact match, the ICL score against training tokens
// per model, the k-shot and CoT gains against N. report.cc renders the plots and the page.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "report/gnuplot.h"

namespace lm::report {

struct EmergencePage {
  std::string title;
  std::string summary_html;
  std::vector<std::pair<Plot, std::string>> plots;  // plot, caption
};

Result<EmergencePage> emergence_page(const std::string& dir);

}  // namespace lm::report
