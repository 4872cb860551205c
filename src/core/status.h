// status.h: Status and Result<T>, the error values every fallible public function returns.
// No exception crosses a module line; only the CLI turns a Status into a message, a hint and an
// exit code. A Status carries a code, a message that names the file/line/record involved, and
// an optional hint telling the user what to do. Not here: logging (log.h), aborts (check.h).
#pragma once

#include <fmt/core.h>

#include <optional>
#include <string>
#include <utility>

#include "core/check.h"

namespace lm {

enum class Code {
  kOk,
  kInvalidArgument,
  kNotFound,
  kIo,
  kCorrupt,
  kUnimplemented,
  kInternal,
  kCancelled,
  kFailedPrecondition
};

const char* code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message, std::string hint = {})
      : code_(code), message_(std::move(message)), hint_(std::move(hint)) {}

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& hint() const { return hint_; }
  // Returns a copy with `context + ": "` prepended to the message (e.g. the file name).
  Status with_context(const std::string& context) const;
  Status with_hint(std::string hint) const;
  std::string to_string() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string hint_;
};

inline Status ok_status() { return Status(); }

template <typename... Args>
Status error(Code code, fmt::format_string<Args...> f, Args&&... args) {
  return Status(code, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status invalid_argument(fmt::format_string<Args...> f, Args&&... args) {
  return Status(Code::kInvalidArgument, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status not_found(fmt::format_string<Args...> f, Args&&... args) {
  return Status(Code::kNotFound, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status io_error(fmt::format_string<Args...> f, Args&&... args) {
  return Status(Code::kIo, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status corrupt(fmt::format_string<Args...> f, Args&&... args) {
  return Status(Code::kCorrupt, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status internal_error(fmt::format_string<Args...> f, Args&&... args) {
  return Status(Code::kInternal, fmt::format(f, std::forward<Args>(args)...));
}

// Result<T>: a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    LM_CHECK(!status_.ok(), "Result constructed from an ok Status without a value");
  }
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & {
    LM_CHECK(ok(), "value() of a failed Result: {}", status_.to_string());
    return *value_;
  }
  const T& value() const& {
    LM_CHECK(ok(), "value() of a failed Result: {}", status_.to_string());
    return *value_;
  }
  T&& value() && {
    LM_CHECK(ok(), "value() of a failed Result: {}", status_.to_string());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace lm

#define LM_CONCAT_INNER_(a, b) a##b
#define LM_CONCAT_(a, b) LM_CONCAT_INNER_(a, b)

// Returns the Status of `expr` from the enclosing function if it is not ok.
#define LM_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::lm::Status lm_status_ = (expr);        \
    if (!lm_status_.ok()) return lm_status_; \
  } while (0)

// LM_ASSIGN_OR_RETURN(auto x, f()): declares x from a Result, or returns its Status.
#define LM_ASSIGN_OR_RETURN(lhs, expr) \
  LM_ASSIGN_OR_RETURN_IMPL_(LM_CONCAT_(lm_result_, __LINE__), lhs, expr)
#define LM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
