// main.cc: the lmforge command line. Builds the CLI11 app from the registered subcommands,
// runs the chosen one, and turns failures into "error: ..." + "hint: ..." and exit code 1.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "cli.h"
#include "cli_internal.h"
#include "core/log.h"
#include "core/progress.h"

int main(int argc, char** argv) {
  CLI::App app{
      "lmforge: build GPT-style language models from raw text and predict how they scale.\n"
      "Stages: corpus -> clean -> tokenizer -> pack -> train -> eval/generate; estimate and "
      "scaling plan runs."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  bool quiet = false, verbose = false, no_progress = false;
  app.add_flag("-q,--quiet", quiet, "Only print errors and results");
  app.add_flag("-v,--verbose", verbose, "Print debug messages");
  app.add_flag("--no-progress", no_progress, "Do not show progress bars");
  app.parse_complete_callback([&]() {
    if (quiet) lm::set_log_level(lm::LogLevel::kWarn);
    if (verbose) lm::set_log_level(lm::LogLevel::kDebug);
    if (quiet || no_progress) lm::Progress::set_enabled(false);
  });

  auto& entries = lm::cli::registry();
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.order != b.order ? a.order < b.order : std::strcmp(a.name, b.name) < 0;
  });
  for (const auto& e : entries) e.setup(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error is the CLI's bad-input code, 1.
    return app.exit(e) == 0 ? 0 : 1;
  } catch (const lm::cli::CommandFailed& e) {
    std::fprintf(stderr, "error: %s\n", e.status.message().c_str());
    if (!e.status.hint().empty()) std::fprintf(stderr, "hint: %s\n", e.status.hint().c_str());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "error: out of memory\nhint: lower --threads or the batch/shard sizes\n");
    return 1;
  }
  return 0;
}
