// status.cc: Status helpers and the abort path of LM_CHECK.
#include "core/status.h"

#include <cstdio>
#include <cstdlib>

namespace lm {

const char* code_name(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid argument";
    case Code::kNotFound:
      return "not found";
    case Code::kIo:
      return "I/O error";
    case Code::kCorrupt:
      return "corrupt or wrong format";
    case Code::kUnimplemented:
      return "unimplemented";
    case Code::kInternal:
      return "internal error";
    case Code::kCancelled:
      return "cancelled";
    case Code::kFailedPrecondition:
      return "failed precondition";
  }
  return "unknown";
}

Status Status::with_context(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_, hint_);
}

Status Status::with_hint(std::string hint) const {
  if (ok()) return *this;
  return Status(code_, message_, std::move(hint));
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  std::string s = message_;
  if (!hint_.empty()) s += " (hint: " + hint_ + ")";
  return s;
}

void check_failed(const char* file, int line, const char* cond, const std::string& msg) {
  std::fprintf(stderr, "lmforge: internal check failed at %s:%d: %s\n  %s\n", file, line, cond,
               msg.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace lm
