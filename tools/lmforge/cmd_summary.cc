// cmd_summary.cc: `lmforge summary OUT`: the main job's closing table, one row per stage with its
// key figure, time and output path (src/report/summary.h reads the files); --json prints it.
#include <fmt/core.h>

#include "cli.h"
#include "report/summary.h"

namespace lm::cli {
namespace {

void setup(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "summary", "One table of the main job's stages (make run's OUT): key figures and times");
  static std::string dir;
  static bool json = false;
  sub->add_option("dir", dir, "The folder scripts/run-sample-pipeline wrote (OUT, e.g. out)")
      ->required();
  add_json_flag(sub, &json);
  set_action(sub, [] {
    LM_ASSIGN_OR_RETURN(auto s, lm::report::summarize_pipeline(dir));
    if (json)
      print_json(nlohmann::json::parse(lm::report::summary_json(s).dump()));
    else
      fmt::print("{}", lm::report::format_summary(s));
    return ok_status();
  });
}

Registrar reg(101, "summary", setup);

}  // namespace
}  // namespace lm::cli
