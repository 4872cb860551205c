// ledger_test.cc: the resume ledger (entries keyed by unit, stamped with version, config and
// inputs; other configs and old formats refused, other inputs stale), its wait for other ranks,
// the batch-filling loop of the ordered runner, and progress detail lines.
#include "core/ledger.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "core/file_util.h"
#include "core/ordered_runner.h"
#include "core/progress.h"

namespace lm {
namespace {

std::string fresh_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() /
           fmt::format("lmforge_ledger_{}_{}", ::getpid(), name);
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

TEST(Ledger, RecordsAndLooksUpByUnit) {
  const std::string dir = fresh_dir("record");
  Ledger l(dir, "job", 42, "rerun without --resume");
  EXPECT_EQ(l.lookup("a.json").status().code(), Code::kNotFound);
  ASSERT_TRUE(l.record("a.json", {{"n", 7}}, 5).ok());
  auto e = l.lookup("a.json", 5);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ((*e)["n"], 7);
  EXPECT_EQ((*e)["ledger"], Ledger::kVersion);
  EXPECT_EQ(l.path("a.json"), dir + "/a.json");
  EXPECT_EQ(Ledger("", "job", 1, "").path("x.json"), "x.json");
  // Other inputs: stale (redo the unit), not refused.
  auto stale = l.lookup("a.json", 6);
  EXPECT_EQ(stale.status().code(), Code::kNotFound);
  EXPECT_NE(stale.status().message().find("stale"), std::string::npos);
  ASSERT_TRUE(l.erase("a.json").ok());
  EXPECT_FALSE(file_exists(dir + "/a.json"));
  EXPECT_TRUE(l.erase("a.json").ok());  // nothing to remove
}

TEST(Ledger, RefusesAnotherConfigAnOldFormatAndCorruptEntries) {
  const std::string dir = fresh_dir("refuse");
  ASSERT_TRUE(Ledger(dir, "job", 1, "").record("u", {{"n", 1}}).ok());
  auto other = Ledger(dir, "job", 2, "add --restart").lookup("u");
  ASSERT_EQ(other.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(other.status().message().find(dir + "/u"), std::string::npos);
  EXPECT_NE(other.status().hint().find("--restart"), std::string::npos);
  EXPECT_EQ(Ledger(dir, "other-job", 1, "").lookup("u").status().code(), Code::kFailedPrecondition);
  // A state file of the formats before the ledger (no "ledger" field).
  ASSERT_TRUE(write_file_atomic(dir + "/old", R"({"version": 1, "config": "00"})").ok());
  auto old = Ledger(dir, "job", 1, "rerun without --resume").lookup("old");
  ASSERT_EQ(old.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(old.status().message().find("older format"), std::string::npos);
  EXPECT_NE(old.status().hint().find("without --resume"), std::string::npos);
  ASSERT_TRUE(write_file_atomic(dir + "/bad", "{not json").ok());
  EXPECT_EQ(Ledger(dir, "job", 1, "").lookup("bad").status().code(), Code::kCorrupt);
}

TEST(Ledger, WaitsForOtherRanksEntries) {
  const std::string dir = fresh_dir("wait");
  Ledger l(dir, "job", 1, "");
  Ledger::Wait w;
  w.poll = false;
  auto missing = l.wait_for({"r0", "r1"}, w);
  EXPECT_EQ(missing.status().code(), Code::kFailedPrecondition);
  // A stale entry (another config) is waited past until the rank writes its own.
  ASSERT_TRUE(Ledger(dir, "job", 9, "").record("r1", {{"rank", -1}}).ok());
  ASSERT_TRUE(l.record("r0", {{"rank", 0}}).ok());
  std::thread other([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    ASSERT_TRUE(l.record("r1", {{"rank", 1}}).ok());
  });
  w.poll = true;
  auto all = l.wait_for({"r0", "r1"}, w);
  other.join();
  ASSERT_TRUE(all.ok()) << all.status().to_string();
  EXPECT_EQ((*all)[0]["rank"], 0);
  EXPECT_EQ((*all)[1]["rank"], 1);
  w.timeout_s = 0.1;
  auto late = l.wait_for({"r2"}, w);
  EXPECT_EQ(late.status().code(), Code::kCancelled);
  EXPECT_NE(late.status().message().find("r2"), std::string::npos);
  EXPECT_FALSE(late.status().hint().empty());
}

struct Doc {
  std::string text;
};

TEST(OrderedRunner, FillBatchStopsAtEitherLimitAndSkips) {
  int next_doc = 0;
  auto next = [&](Doc* d) -> Result<bool> {
    if (next_doc == 10) return false;
    d->text = std::string(static_cast<size_t>(++next_doc), 'x');  // 1, 2, ... bytes
    return true;
  };
  std::vector<Doc> docs;
  size_t count = 0;
  uint64_t bytes = 0, skip = 2;
  auto more = fill_batch(next, &docs, &count, &bytes, 3, 1000, &skip);  // docs 3, 4, 5
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(*more);
  EXPECT_EQ(count, 3u);
  EXPECT_EQ(bytes, 12u);
  more = fill_batch(next, &docs, &count, &bytes, 100, 13);  // 6 + 7 >= 13
  EXPECT_EQ(count, 2u);
  EXPECT_EQ(bytes, 13u);
  EXPECT_EQ(docs.size(), 3u);  // slots reused
  more = fill_batch(next, &docs, &count, &bytes, 100, 1000);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
  EXPECT_EQ(count, 3u);  // 8, 9, 10
}

TEST(Progress, DetailLinesAreDrawnUnderTheLine) {
  Progress::set_enabled(true);
  Progress::set_force_tty(0);
  Progress::set_period_seconds(0);
  testing::internal::CaptureStderr();
  {
    Progress p("job", 0, /*bytes=*/true);
    int calls = 0;
    p.set_details([&] { return std::vector<std::string>{fmt::format("  stage {}", ++calls)}; });
    p.add(100);
    p.add(100);
    p.finish();
  }
  const std::string log = testing::internal::GetCapturedStderr();
  Progress::set_force_tty(-1);
  Progress::set_period_seconds(10);
  EXPECT_NE(log.find("job: 100 B"), std::string::npos) << log;
  EXPECT_NE(log.find("job: 200 B"), std::string::npos) << log;
  EXPECT_NE(log.find("\n  stage 1\n"), std::string::npos) << log;
  EXPECT_NE(log.find("\n  stage 2\n"), std::string::npos) << log;
}

}  // namespace
}  // namespace lm
