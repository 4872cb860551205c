// report.h: `lmforge report RUN_DIR|SWEEP_DIR`: one self-contained HTML page with gnuplot SVG
// plots. A run (metrics.jsonl): loss curves with the extrapolation fitted on the first half, the
// learning rate, and its eval/results.json as a table when present. A sweep (runs.csv): loss curves
// of every run, IsoFLOP parabolas, the fitted law's frontier with its bootstrap confidence band,
// and predicted vs actual loss. The law is the sweep's fit.json (not refitted); a folder without
// one is fitted here with `bootstrap`. An emergence study (emergence.json): emergence_page.h.
#pragma once

#include <string>

#include "core/status.h"

namespace lm::report {

struct ReportOptions {
  std::string out;      // default DIR/report.html
  int bootstrap = 100;  // resamples for the confidence band (sweeps without fit.json)
  int threads = 0;
};

struct ReportResult {
  std::string path;
  std::string kind;  // "run", "sweep" or "emergence"
  int plots = 0;
};

Result<ReportResult> write_report(const std::string& dir, const ReportOptions& opt);

}  // namespace lm::report
