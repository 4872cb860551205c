// cli.cc: the subcommand registry and the Status-to-exit-code bridge.
#include "cli.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "cli_internal.h"

namespace lm::cli {

std::vector<Entry>& registry() {
  static std::vector<Entry> entries;
  return entries;
}

Registrar::Registrar(int order, const char* name, Setup setup) {
  registry().push_back(Entry{order, name, setup});
}

void set_action(CLI::App* sub, std::function<Status()> action) {
  sub->callback([action]() {
    Status s = action();
    if (!s.ok()) throw CommandFailed(s);
  });
}

void add_json_flag(CLI::App* sub, bool* json) {
  sub->add_flag("--json", *json, "Print the result as one JSON object on stdout");
}

void add_threads_option(CLI::App* sub, int* threads) {
  sub->add_option("--threads", *threads, "Worker threads (0 = OMP_NUM_THREADS, else all cores)")
      ->capture_default_str();
}

void print_json(const nlohmann::json& j) {
  std::string s = j.dump();
  s += '\n';
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

}  // namespace lm::cli
