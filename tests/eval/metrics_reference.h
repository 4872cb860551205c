// metrics_reference.h: runs tests/eval/metrics_reference.py (python3 stdlib: the harness's
// formulas) once per test binary and hands its JSON to metrics_test.cc and filters_test.cc.
// Python missing: the tests skip, visibly, or fail under CI=true, naming what is missing; a
// script that fails always fails the test.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

namespace lm::eval::metrics_ref {

inline const std::string kPython = "/usr/bin/python3";
inline const std::string kScript =
    std::string(LMFORGE_SOURCE_DIR) + "/tests/eval/metrics_reference.py";

// The reference JSON, or a null json with *why set.
inline const nlohmann::json& reference(std::string* why, bool* missing) {
  static std::string error;
  static bool absent = false;
  static const nlohmann::json data = [] {
    if (::access(kPython.c_str(), X_OK) != 0) {
      error = kPython + " is missing (the python3 stdlib oracle for the harness's metrics)";
      absent = true;
      return nlohmann::json();
    }
    FILE* p = ::popen((kPython + " " + kScript).c_str(), "r");
    if (!p) {
      error = "cannot run " + kScript;
      return nlohmann::json();
    }
    std::string out;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int rc = ::pclose(p);
    if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
      error = kScript + " failed (exit status " + std::to_string(rc) + ")";
      return nlohmann::json();
    }
    return nlohmann::json::parse(out);
  }();
  *why = error;
  *missing = absent;
  return data;
}

inline bool ci() {
  const char* v = std::getenv("CI");
  return v && std::string(v) == "true";
}

// A JSON number, or "nan" / "inf" / "-inf".
inline double num(const nlohmann::json& j) {
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    return s == "inf" ? std::numeric_limits<double>::infinity()
                      : -std::numeric_limits<double>::infinity();
  }
  return j.get<double>();
}

inline std::vector<double> nums(const nlohmann::json& j) {
  std::vector<double> v;
  for (const auto& x : j) v.push_back(num(x));
  return v;
}

// Relative-or-absolute closeness to 1e-12 (equal infinities and NaN match).
inline ::testing::AssertionResult near12(double got, double want) {
  if (std::isnan(want) && std::isnan(got)) return ::testing::AssertionSuccess();
  if (got == want) return ::testing::AssertionSuccess();
  const double tol = 1e-12 * std::max(1.0, std::fabs(want));
  if (std::fabs(got - want) <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got " << fmt::format("{:.17g}", got) << ", want " << fmt::format("{:.17g}", want);
}

}  // namespace lm::eval::metrics_ref

// Loads the reference into `ref` or skips / fails the test.
#define LM_EVAL_REFERENCE(ref)                                                                \
  std::string ref##_why;                                                                      \
  bool ref##_missing = false;                                                                 \
  const nlohmann::json& ref = ::lm::eval::metrics_ref::reference(&ref##_why, &ref##_missing); \
  if (ref.is_null()) {                                                                        \
    if (!ref##_missing || ::lm::eval::metrics_ref::ci()) FAIL() << ref##_why;                 \
    GTEST_SKIP() << ref##_why;                                                                \
  }
