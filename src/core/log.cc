// log.cc: stderr sink for log.h; one line per call, written with a single fwrite.
#include "core/log.h"

#include <atomic>
#include <cstdio>

namespace lm {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
}

void set_log_level(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel log_level() { return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed)); }

void log_write(LogLevel level, const std::string& message) {
  const char* prefix = level == LogLevel::kWarn    ? "warning: "
                       : level == LogLevel::kError ? "error: "
                                                   : "";
  std::string line = std::string(prefix) + message + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace lm
