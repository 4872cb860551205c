// check.h: LM_CHECK aborts on a programmer error (a broken invariant), printing the condition,
// the source location and a message. It is never used for bad user input: that is a Status.
#pragma once

#include <fmt/core.h>

#include <string>

namespace lm {
[[noreturn]] void check_failed(const char* file, int line, const char* cond,
                               const std::string& msg);
}

#define LM_CHECK(cond, ...)                                                      \
  do {                                                                           \
    if (!(cond)) [[unlikely]]                                                    \
      ::lm::check_failed(__FILE__, __LINE__, #cond, ::fmt::format(__VA_ARGS__)); \
  } while (0)
