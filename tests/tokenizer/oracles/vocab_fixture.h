// vocab_fixture.h: shared by the tokenizer tests: the vocabularies made from npm tiktoken's rank
// tables (make_vocab.cjs, run once per build folder into LMFORGE_BUILD_DIR/tokenizer_vocab,
// atomically), node oracle runs, random Unicode / byte strings, and JSONL helpers.
// vocab_dir() is "" only when tests/oracles/node_modules is absent (tests then skip, or fail
// under CI: LM_SKIP_OR_FAIL_IN_CI, tests/test_util.h).
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

#include "core/rng.h"
#include "uni/utf8.h"

namespace lm::tok::testing {

inline std::string node_modules() {
  return std::string(LMFORGE_SOURCE_DIR) + "/tests/oracles/node_modules";
}
inline bool have_node_modules() {
  return std::filesystem::exists(node_modules() + "/tiktoken/encoders/o200k_base.json") &&
         std::system("node --version >/dev/null 2>&1") == 0;
}
inline std::string oracle_script(const char* name) {
  return std::string(LMFORGE_SOURCE_DIR) + "/tests/tokenizer/oracles/" + name;
}

// The folder with r50k_base/p50k_base/cl100k_base/o200k_base.tiktoken and gpt2/{encoder.json,
// vocab.bpe}; "" when node_modules is absent. Fails the test when generation fails.
inline std::string vocab_dir() {
  if (!have_node_modules()) return "";
  std::string dir = std::string(LMFORGE_BUILD_DIR) + "/tokenizer_vocab";
  if (std::filesystem::exists(dir + "/gpt2/vocab.bpe")) return dir;
  std::string tmp = fmt::format("{}.tmp-{}", dir, ::getpid());
  std::string cmd = fmt::format("node '{}' '{}'", oracle_script("make_vocab.cjs"), tmp);
  if (std::system(cmd.c_str()) != 0) {
    ADD_FAILURE() << "make_vocab.cjs failed: " << cmd;
    return "";
  }
  std::error_code ec;
  std::filesystem::rename(tmp, dir, ec);  // another test process may have won the race
  if (ec) std::filesystem::remove_all(tmp, ec);
  return dir;
}

inline std::string temp_dir(const std::string& tag) {
  auto p = std::filesystem::temp_directory_path() / fmt::format("lmforge_{}_{}", tag, ::getpid());
  std::filesystem::create_directories(p);
  return p.string();
}

inline std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

inline void write_texts_jsonl(const std::string& path, const std::vector<std::string>& texts) {
  std::ofstream out(path);
  for (const auto& t : texts) out << nlohmann::json({{"text", t}}).dump() << "\n";
}

// Random valid UTF-8 that stresses pre-tokenization: spaces/newlines/apostrophes/digits, ASCII,
// Latin-1 (incl. NBSP, U+0085), marks, Greek/Cyrillic/Arabic/CJK/Hangul, emoji, astral.
inline std::string random_unicode(Rng& rng, size_t chars) {
  static const uint32_t kPicks[] = {' ',  ' ',    ' ',    '\n',  '\r',   '\t',  '\'', '\'',
                                    's',  'S',    'l',    'e',   't',    'd',   '0',  '7',
                                    '.',  ',',    '!',    '/',   '"',    0x0B,  0x0C, 0x85,
                                    0xA0, 0x2028, 0x3000, 0x17F, 0x2019, 0xFEFF};
  static const std::pair<uint32_t, uint32_t> kRanges[] = {
      {0x20, 0x7E},       {0xA1, 0x24F},      {0x300, 0x36F},   {0x370, 0x3FF},   {0x400, 0x4FF},
      {0x600, 0x6FF},     {0x900, 0x97F},     {0xE00, 0xE7F},   {0x1E00, 0x1FFF}, {0x2000, 0x206F},
      {0x2150, 0x218F},   {0x3040, 0x30FF},   {0x4E00, 0x4FFF}, {0xAC00, 0xACFF}, {0xFF00, 0xFFEF},
      {0x1F300, 0x1F64F}, {0x1D400, 0x1D7FF}, {0x0, 0x1F}};
  std::string s;
  for (size_t i = 0; i < chars; ++i) {
    uint32_t cp;
    if (rng.next_u32() % 3 == 0) {
      cp = kPicks[rng.next_u32() % std::size(kPicks)];
    } else {
      auto [lo, hi] = kRanges[rng.next_u32() % std::size(kRanges)];
      cp = lo + rng.next_u32() % (hi - lo + 1);
    }
    uni::utf8_append(&s, cp);
  }
  return s;
}

inline std::string random_bytes(Rng& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng.next_u32() & 0xFF);
  return s;
}

}  // namespace lm::tok::testing
