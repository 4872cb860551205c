// cli_internal.h: what main.cc and cli.cc share (the registry and the failure exception, which
// never leaves the CLI).
#pragma once

#include <stdexcept>
#include <vector>

#include "cli.h"

namespace lm::cli {

struct Entry {
  int order;
  const char* name;
  Setup setup;
};
std::vector<Entry>& registry();

struct CommandFailed : std::runtime_error {
  explicit CommandFailed(Status s) : std::runtime_error(s.message()), status(std::move(s)) {}
  Status status;
};

}  // namespace lm::cli
