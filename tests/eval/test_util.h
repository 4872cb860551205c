// test_util.h: helpers the task-harness tests share: a per-process scratch folder, file writing
// and the golden folder.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace lm::eval::testing {

inline std::string scratch(const std::string& suite) {
  std::string d = "test_out/" + suite + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

inline void write_text(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string golden_dir() { return std::string(LMFORGE_SOURCE_DIR) + "/tests/golden/eval"; }

}  // namespace lm::eval::testing
