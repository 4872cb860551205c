// cmd_report.cc: `lmforge report RUN_DIR|SWEEP_DIR`: one HTML page with gnuplot SVG plots (loss
// curves; for sweeps also IsoFLOP parabolas, the fitted frontier with its confidence band, and
// predicted vs actual). Prints where it wrote the page.
#include <fmt/core.h>

#include "cli.h"
#include "report/report.h"

namespace lm::cli {
namespace {

void setup(CLI::App& app) {
  auto* sub = app.add_subcommand("report", "HTML report with plots of a run or a sweep");
  static std::string dir;
  static lm::report::ReportOptions opt;
  static bool json = false;
  sub->add_option("dir", dir,
                  "RUN_DIR (metrics.jsonl), SWEEP_DIR (runs.csv) or STUDY_DIR (emergence.json)")
      ->required();
  sub->add_option("--out", opt.out, "Output HTML (default DIR/report.html)");
  sub->add_option("--bootstrap", opt.bootstrap,
                  "Resamples for the confidence band (when DIR has no fit.json)")
      ->capture_default_str();
  add_threads_option(sub, &opt.threads);
  add_json_flag(sub, &json);
  set_action(sub, [] {
    LM_ASSIGN_OR_RETURN(auto r, lm::report::write_report(dir, opt));
    if (json)
      print_json({{"path", r.path}, {"kind", r.kind}, {"plots", r.plots}});
    else
      fmt::print("wrote {} ({} report, {} plots)\n", r.path, r.kind, r.plots);
    return ok_status();
  });
}

Registrar reg(100, "report", setup);

}  // namespace
}  // namespace lm::cli
