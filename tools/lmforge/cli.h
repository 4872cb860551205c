// cli.h: how a subcommand joins the lmforge binary. Each cmd_<stage>.cc defines a setup
// function that adds its CLI11 subcommand and registers it with a static Registrar; the action
// returns a Status, which main() turns into "error: <what>", a hint and exit code 1.
// Conventions: results go to stdout (one JSON object with --json), people's messages to stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"

namespace lm::cli {

using Setup = void (*)(CLI::App& app);

// Subcommands appear in --help ordered by `order` (the pipeline order), then by name.
struct Registrar {
  Registrar(int order, const char* name, Setup setup);
};

// Runs `action` when the subcommand is chosen; a failed Status becomes an error exit.
void set_action(CLI::App* sub, std::function<Status()> action);

// Adds the standard --json flag.
void add_json_flag(CLI::App* sub, bool* json);
// Adds the standard --threads N option (0 = all cores).
void add_threads_option(CLI::App* sub, int* threads);

// Prints one JSON object on stdout (the --json contract), followed by a newline.
void print_json(const nlohmann::json& j);

}  // namespace lm::cli
