// gnuplot.h: plots drawn by gnuplot (Debian gnuplot-nox, `set terminal svg`) rather than by
// hand: a Plot is a list of data series and gnuplot settings; render_svg writes the data and a
// script to a scratch folder, runs gnuplot, and returns the SVG text for inlining in HTML.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace lm::report {

struct Series {
  std::string title;
  std::vector<std::vector<double>> rows;  // columns as the style needs (x y, or x lo hi)
  std::string style = "lines";            // gnuplot "with ..." clause, e.g. "points pt 7"
  std::string using_cols = "1:2";
};

struct Plot {
  std::string title, xlabel, ylabel;
  bool logx = false, logy = false;
  std::vector<std::string> extra;  // further gnuplot commands (set key ..., etc.)
  std::vector<Series> series;
};

// Renders with gnuplot into SVG text (without the XML prologue). scratch: a folder to use.
Result<std::string> render_svg(const Plot& plot, const std::string& scratch,
                               const std::string& name);

}  // namespace lm::report
