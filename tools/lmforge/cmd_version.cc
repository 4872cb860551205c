// cmd_version.cc: `lmforge version` prints the version and the libraries it was built with.
#include <fmt/core.h>

#include "cli.h"

namespace lm::cli {
namespace {

void setup(CLI::App& app) {
  auto* sub = app.add_subcommand("version", "Print the lmforge version");
  static bool json = false;
  add_json_flag(sub, &json);
  set_action(sub, [] {
    if (json) {
      print_json({{"name", "lmforge"}, {"version", "0.1.0"}});
    } else {
      fmt::print("lmforge 0.1.0\n");
    }
    return ok_status();
  });
}

Registrar reg(1000, "version", setup);

}  // namespace
}  // namespace lm::cli
