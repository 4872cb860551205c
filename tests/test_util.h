// test_util.h: what every GoogleTest file may need about its peers. A test whose peer (node
// packages, python3-torch, spm_train, mpirun, chromium, ../shared, the sample corpus) is missing
// calls LM_SKIP_OR_FAIL_IN_CI(reason): outside CI it skips (ctest lists it), under CI=true it
// fails naming what is missing, so a CI run cannot pass by skipping. Scripts do the same with
// exit code 77 outside CI and 1 under CI (see tests/train/*.py, tests/tokenizer/oracles).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace lm::testing_util {

// True under CI: CI is set and is neither "", "0" nor "false" (GitHub Actions and .ci/run set
// CI=true).
inline bool in_ci() {
  const char* v = std::getenv("CI");
  if (v == nullptr) return false;
  std::string s(v);
  return !s.empty() && s != "0" && s != "false";
}

// One run of the lmforge binary under test: its exit code and its stdout + stderr.
struct CliRun {
  int code;
  std::string out;
};
inline CliRun run_lmforge(const std::string& args) {
  std::string cmd = std::string(LMFORGE_BINARY) + " " + args + " 2>&1";
  CliRun r{0, ""};
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace lm::testing_util

// Skips the current test (outside CI) or fails it (CI=true); `reason` names the missing peer
// and how to get it (a stream expression: "no corpus at " << dir). Returns from the calling
// function, like GTEST_SKIP.
#define LM_SKIP_OR_FAIL_IN_CI(reason)                                                 \
  do {                                                                                \
    if (::lm::testing_util::in_ci()) {                                                \
      GTEST_FAIL() << "CI=true, so this test may not skip; missing peer: " << reason; \
    } else {                                                                          \
      GTEST_SKIP() << reason;                                                         \
    }                                                                                 \
  } while (0)
