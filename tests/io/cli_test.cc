// cli_test.cc: `lmforge corpus convert|stats|sample` end to end: text splitting, shard size,
// --json results with the skipped/repaired counts, clear errors (exit code 1, file named) for a
// missing path and a malformed line, and `corpus sample` without the Debian packages.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "io/sample_corpus.h"
#include "io_test_util.h"

namespace lm::io {
namespace {

using testing::TempDir;

std::string run(const std::string& args, int* rc) {
  std::string cmd = fmt::format("{} --no-progress {} 2>&1", LMFORGE_BINARY, args);
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, got);
  *rc = WEXITSTATUS(pclose(p));
  return out;
}

TEST(CorpusCli, ConvertTextWithBlankLineSplitAndShardSize) {
  TempDir t;
  std::string text;
  for (int i = 0; i < 300; ++i) text += fmt::format("paragraph {} line one\nline two\n\n", i);
  testing::write_bytes(t.file("in.txt"), text);
  int rc = 0;
  std::string out = run(fmt::format("corpus convert {} --split blank --shard-size 4k --out {} "
                                    "--json",
                                    t.file("in.txt"), t.file("out")),
                        &rc);
  ASSERT_EQ(rc, 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["documents"], 300);
  EXPECT_GT(j["shards"].size(), 3u);
  out = run(fmt::format("corpus stats --json {}", t.file("out")), &rc);
  ASSERT_EQ(rc, 0) << out;
  auto s = nlohmann::json::parse(out);
  EXPECT_EQ(s["documents"], 300);
  EXPECT_EQ(s["length_chars"]["min"], std::string("paragraph 0 line one\nline two").size());
}

TEST(CorpusCli, SkippedAndRepairedCountsAreReported) {
  TempDir t;
  testing::write_bytes(t.file("m.jsonl"), "{\"text\":\"a\"}\nnot json\n{\"text\":\"b\xFF\"}\n");
  int rc = 0;
  std::string out =
      run(fmt::format("corpus convert {} --out {}", t.file("m.jsonl"), t.file("o")), &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("error: " + t.file("m.jsonl") + ":2: malformed JSON"), std::string::npos)
      << out;
  EXPECT_NE(out.find("hint:"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(t.file("o/part-00000.jsonl.zst")))
      << "a failed convert must not leave a complete-looking shard";
  out = run(fmt::format("corpus convert {} --out {} --on-error skip --json", t.file("m.jsonl"),
                        t.file("o")),
            &rc);
  ASSERT_EQ(rc, 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["documents"], 2);
  EXPECT_EQ(j["skipped_records"], 1);
  EXPECT_EQ(j["repaired_utf8"], 1);
  out = run(
      fmt::format("corpus stats {} --on-error skip --invalid-utf8 skip --json", t.file("m.jsonl")),
      &rc);
  auto k = nlohmann::json::parse(out);
  EXPECT_EQ(k["documents"], 1);
  EXPECT_EQ(k["skipped_utf8"], 1);
}

TEST(CorpusCli, MissingPathIsAClearError) {
  int rc = 0;
  std::string out = run("corpus stats /nonexistent/corpus.jsonl.zst", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("error: no such file or directory: /nonexistent/corpus.jsonl.zst"),
            std::string::npos)
      << out;
  out = run("corpus --help", &rc);
  EXPECT_EQ(rc, 0);
  for (const char* sub : {"sample", "stats", "convert"}) {
    EXPECT_NE(out.find(sub), std::string::npos) << out;
  }
}

TEST(CorpusSample, MissingPackagesGiveAnInstallHint) {
  TempDir t;
  SampleOptions o;
  o.out_dir = t.file("s");
  o.system_root = t.file("empty-root");
  auto r = build_sample_corpus(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_NE(r.status().hint().find("install-deps"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(t.file("s/manifest.json")));
}

}  // namespace
}  // namespace lm::io
