// wp_test_util.h: helpers for the trainer / WordPiece / normalizer tests: sample-corpus texts
// (LMFORGE_SAMPLE_DIR, read with io::DocumentReader), temporary folders, JSONL text files, and
// running the node oracles in this folder (skipped when tests/oracles/node_modules is absent,
// failed under CI=true: tests/test_util.h).
#pragma once

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/document.h"

namespace lm::tok::wptest {

inline bool have_sample() {
  return std::filesystem::exists(std::string(LMFORGE_SAMPLE_DIR) + "/manifest.json");
}

// Documents of the sample corpus: every `stride`-th one until `max_bytes` of text.
inline std::vector<std::string> sample_docs(size_t max_bytes, size_t stride = 1) {
  std::vector<std::string> out;
  auto reader = io::DocumentReader::open({LMFORGE_SAMPLE_DIR});
  if (!reader.ok()) {
    ADD_FAILURE() << reader.status().to_string();
    return out;
  }
  io::Document doc;
  size_t bytes = 0, k = 0;
  while (bytes < max_bytes) {
    auto more = (*reader)->next(&doc);
    if (!more.ok() || !*more) break;
    if (k++ % stride != 0) continue;
    bytes += doc.text.size();
    out.push_back(doc.text);
  }
  return out;
}

// Non-empty lines of the documents, at most `max_lines`.
inline std::vector<std::string> lines_of(const std::vector<std::string>& docs, size_t max_lines) {
  std::vector<std::string> out;
  for (const auto& d : docs) {
    size_t pos = 0;
    while (pos < d.size() && out.size() < max_lines) {
      size_t end = d.find('\n', pos);
      if (end == std::string::npos) end = d.size();
      if (end > pos) out.push_back(d.substr(pos, end - pos));
      pos = end + 1;
    }
  }
  return out;
}

inline std::string temp_dir(const std::string& tag) {
  auto p = std::filesystem::temp_directory_path() / fmt::format("lmforge_{}_{}", tag, ::getpid());
  std::filesystem::create_directories(p);
  return p.string();
}

inline void write_texts(const std::string& path, const std::vector<std::string>& texts) {
  std::ofstream out(path);
  for (const auto& t : texts) {
    out << nlohmann::json({{"text", t}})
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
        << "\n";
  }
}

inline std::vector<std::vector<uint32_t>> read_id_lines(const std::string& path) {
  std::vector<std::vector<uint32_t>> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line).get<std::vector<uint32_t>>());
  }
  return out;
}

inline bool have_node_oracle() {
  std::string lib = std::string(LMFORGE_SOURCE_DIR) +
                    "/tests/oracles/node_modules/@huggingface/tokenizers/dist/tokenizers.mjs";
  return std::filesystem::exists(lib) && std::system("node --version >/dev/null 2>&1") == 0;
}

// Runs hf_encode.mjs; returns the ids per text (empty and a test failure when node fails).
inline std::vector<std::vector<uint32_t>> hf_encode(const std::string& mode,
                                                    const std::string& model,
                                                    const std::string& texts_path) {
  std::string out = texts_path + ".hf_ids";
  std::string cmd =
      fmt::format("node '{}/tests/tokenizer/wp_oracles/hf_encode.mjs' {} '{}' '{}' '{}'",
                  LMFORGE_SOURCE_DIR, mode, model, texts_path, out);
  if (std::system(cmd.c_str()) != 0) {
    ADD_FAILURE() << "oracle failed: " << cmd;
    return {};
  }
  return read_id_lines(out);
}

}  // namespace lm::tok::wptest
