// sample_test.cc: the sample corpus built by the corpus_sample CTest fixture
// (LMFORGE_SAMPLE_DIR): its sources and languages, byte-identical read-back (convert rewrites
// the very same shard bytes), `corpus stats` against a Python + zstdcat peer, reuse of a
// complete folder, and a rebuild giving the same bytes (determinism).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "io/sample_corpus.h"
#include "io_test_util.h"

namespace lm::io {
namespace {

using testing::TempDir;

std::string run(const std::string& cmd, int* rc = nullptr) {
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[1 << 16];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, got);
  int status = pclose(p);
  if (rc) *rc = WEXITSTATUS(status);
  return out;
}

class SampleCorpus : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = LMFORGE_SAMPLE_DIR;
    if (!file_exists_(dir_ + "/manifest.json")) {
      // Normally built by the corpus_sample fixture; build it here when run alone.
      SampleOptions o;
      o.out_dir = dir_;
      auto built = build_sample_corpus(o);
      ASSERT_TRUE(built.ok()) << built.status().to_string();
    }
    manifest_ = nlohmann::json::parse(testing::read_bytes(dir_ + "/manifest.json"));
  }
  static bool file_exists_(const std::string& p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0;
  }
  std::vector<std::string> shard_names() const {
    std::vector<std::string> names;
    for (const auto& s : manifest_["shards"]) names.push_back(s["file"]);
    return names;
  }
  std::string dir_;
  nlohmann::json manifest_;
};

TEST_F(SampleCorpus, HasEverySourceAndLanguage) {
  EXPECT_EQ(manifest_["version"], kSampleVersion);
  EXPECT_GT(manifest_["documents"].get<uint64_t>(), 200000u);
  EXPECT_GT(manifest_["text_bytes"].get<uint64_t>(), 50'000'000u);
  EXPECT_LT(manifest_["text_bytes"].get<uint64_t>(), 70'000'000u);
  for (const char* k :
       {"bible-kjv/en", "dict-gcide/en", "jargon-text/en", "fortunes/en", "fortunes-de/de",
        "fortunes-es/es", "fortunes-it/it", "fortunes-ru/ru", "fortunes-zh/zh"}) {
    ASSERT_TRUE(manifest_["sources"].contains(k)) << k;
    EXPECT_GT(manifest_["sources"][k]["documents"].get<uint64_t>(), 1000u) << k;
  }
  EXPECT_EQ(manifest_["sources"]["bible-kjv/en"]["documents"], 1189);  // chapters in the KJV
}

TEST_F(SampleCorpus, ReadBackIsByteIdentical) {
  TempDir t;
  int rc = 0;
  std::string out = run(fmt::format("{} --no-progress corpus convert {} --out {} --prefix sample "
                                    "--shard-size 16M --json",
                                    LMFORGE_BINARY, dir_, t.path()),
                        &rc);
  ASSERT_EQ(rc, 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["documents"], manifest_["documents"]);
  EXPECT_EQ(j["repaired_utf8"], 0);
  for (const auto& name : shard_names()) {
    EXPECT_EQ(hash64(testing::read_bytes(dir_ + "/" + name)),
              hash64(testing::read_bytes(t.file(name))))
        << name;
  }
}

// Peer: zstdcat + Python's json module count documents and characters per language.
TEST_F(SampleCorpus, StatsMatchPythonPeer) {
  int rc = 0;
  std::string ours =
      run(fmt::format("{} --no-progress corpus stats --json {}", LMFORGE_BINARY, dir_), &rc);
  ASSERT_EQ(rc, 0) << ours;
  std::string peer =
      run("zstdcat " + dir_ +
              "/sample-*.jsonl.zst | /usr/bin/python3 -c '"
              "import sys, json\nd, c, l = 0, 0, {}\n"
              "for line in sys.stdin:\n o = json.loads(line); d += 1; c += len(o[\"text\"])\n"
              " l[o[\"lang\"]] = l.get(o[\"lang\"], 0) + 1\n"
              "print(json.dumps({\"documents\": d, \"characters\": c, \"langs\": l}))'",
          &rc);
  ASSERT_EQ(rc, 0) << peer;
  auto a = nlohmann::json::parse(ours), b = nlohmann::json::parse(peer);
  EXPECT_EQ(a["documents"], b["documents"]);
  EXPECT_EQ(a["characters"], b["characters"]);
  for (const auto& [lang, n] : b["langs"].items()) EXPECT_EQ(a["languages"][lang]["documents"], n);
  EXPECT_EQ(b["langs"].size(), 6u);
}

TEST_F(SampleCorpus, CompleteFolderIsReusedAndRebuildIsIdentical) {
  SampleOptions o;
  o.out_dir = dir_;
  auto again = build_sample_corpus(o);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_TRUE(again->reused);
  TempDir t;
  o.out_dir = t.path();
  auto fresh = build_sample_corpus(o);
  ASSERT_TRUE(fresh.ok()) << fresh.status().to_string();
  EXPECT_FALSE(fresh->reused);
  for (const auto& name : shard_names()) {
    EXPECT_EQ(hash64(testing::read_bytes(dir_ + "/" + name)),
              hash64(testing::read_bytes(t.file(name))))
        << name;
  }
  // A folder whose shard was damaged is not taken as complete.
  testing::write_bytes(t.file(shard_names()[0]), "garbage");
  auto rebuilt = build_sample_corpus(o);
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_FALSE(rebuilt->reused);
}

}  // namespace
}  // namespace lm::io
