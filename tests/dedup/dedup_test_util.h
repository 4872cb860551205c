// dedup_test_util.h: helpers for the dedup tests: a fresh temp folder per test, JSONL inputs
// written from (id, text) pairs, random word documents, running all stages into kept/removed
// shard folders, and reading the outputs back.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "core/rng.h"
#include "dedup/dedup.h"
#include "io/document.h"

namespace lm::dedup::testing_util {

inline std::string fresh_dir(const std::string& tag) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string dir =
      ::testing::TempDir() + "dedup_" + info->test_suite_name() + "_" + info->name() + tag;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string write_jsonl(const std::string& path, const std::vector<io::Document>& docs) {
  std::string s;
  for (const auto& d : docs) s += io::document_to_json(d) + "\n";
  EXPECT_TRUE(write_file_atomic(path, s).ok());
  return path;
}

inline std::string random_text(Rng* rng, int words, int vocab = 5000) {
  std::string s;
  for (int i = 0; i < words; ++i) {
    if (i > 0) s += (i % 13 == 0) ? ".\n" : " ";
    // Letters only: digits would all normalise to 0.
    for (uint64_t v = rng->below(vocab) + 1; v > 0; v /= 26) s += static_cast<char>('a' + v % 26);
  }
  return s;
}

inline std::vector<io::Document> read_docs(const std::string& dir) {
  std::vector<io::Document> out;
  if (!std::filesystem::exists(dir) || std::filesystem::is_empty(dir)) return out;
  auto reader = io::DocumentReader::open({dir});
  EXPECT_TRUE(reader.ok()) << reader.status().to_string();
  if (!reader.ok()) return out;
  io::Document d;
  for (;;) {
    auto more = (*reader)->next(&d);
    EXPECT_TRUE(more.ok()) << more.status().to_string();
    if (!more.ok() || !*more) break;
    out.push_back(d);
  }
  return out;
}

struct RunOutput {
  Status status;
  DedupStats stats;
  std::vector<io::Document> kept, removed;
};

// Runs opts.stage (all by default) into out/kept and out/removed (shards named by rank).
inline RunOutput run_into(const std::vector<std::string>& inputs, DedupOptions opts,
                          const std::string& out) {
  RunOutput r;
  const std::string prefix = "part-r" + std::to_string(opts.rank);
  auto kept = io::ShardWriter::create({out + "/kept", prefix});
  auto removed = io::ShardWriter::create({out + "/removed", prefix});
  if (!kept.ok() || !removed.ok()) {
    r.status = kept.ok() ? removed.status() : kept.status();
    return r;
  }
  auto st = run_dedup_stage(inputs, {}, opts, kept->get(), removed->get());
  if (!st.ok()) {
    r.status = st.status();
    return r;
  }
  r.stats = *st;
  EXPECT_TRUE((*kept)->close().ok());
  EXPECT_TRUE((*removed)->close().ok());
  r.kept = read_docs(out + "/kept");
  r.removed = read_docs(out + "/removed");
  return r;
}

inline std::string ids(const std::vector<io::Document>& docs) {
  std::string s;
  for (const auto& d : docs) s += d.id + " ";
  return s;
}

}  // namespace lm::dedup::testing_util
