// core_test.cc: Status/Result, atomic files, mmap, RNG determinism, progress rendering.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/file_util.h"
#include "core/hash.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/status.h"
#include "core/threads.h"

namespace lm {
namespace {

std::string temp_dir() {
  auto p = std::filesystem::temp_directory_path() / fmt::format("lmforge_core_{}", ::getpid());
  std::filesystem::create_directories(p);
  return p.string();
}

Result<int> parse_positive(int x) {
  if (x <= 0) return invalid_argument("value {} is not positive", x);
  return x;
}

Status use_macros(int x, int* out) {
  LM_ASSIGN_OR_RETURN(int v, parse_positive(x));
  *out = v * 2;
  return ok_status();
}

TEST(Status, ResultAndMacros) {
  int out = 0;
  EXPECT_TRUE(use_macros(3, &out).ok());
  EXPECT_EQ(out, 6);
  Status s = use_macros(-1, &out);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "value -1 is not positive");
  EXPECT_EQ(s.with_context("a.txt:3").message(), "a.txt:3: value -1 is not positive");
  EXPECT_EQ(s.with_hint("use 1").to_string(), "value -1 is not positive (hint: use 1)");
}

TEST(FileUtil, AtomicWriteCommitsOnlyOnCommit) {
  std::string dir = temp_dir();
  std::string path = dir + "/out.txt";
  {
    auto f = AtomicFile::create(path);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(f->write("half").ok());
    EXPECT_FALSE(file_exists(path));  // not visible before commit
  }                                   // destroyed uncommitted: nothing left behind
  EXPECT_FALSE(file_exists(path));
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  ASSERT_TRUE(write_file_atomic(path, "hello").ok());
  auto data = read_file(path);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, "hello");
  auto m = MappedFile::open(path);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->view(), "hello");
  auto missing = read_file(dir + "/nope");
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Rng, DeterministicAndUniform) {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next_u64(), b.next_u64());
  EXPECT_NE(a.next_u64(), c.next_u64());
  Rng r(1);
  double sum = 0;
  int counts[10] = {};
  for (int i = 0; i < 100000; ++i) {
    sum += r.uniform();
    counts[r.below(10)]++;
  }
  EXPECT_NEAR(sum / 100000, 0.5, 0.01);
  for (int c10 : counts) EXPECT_NEAR(c10, 10000, 500);
  auto st = r.state();
  uint64_t x = r.next_u64();
  r.set_state(st);
  EXPECT_EQ(r.next_u64(), x);
}

TEST(Hash, StableValues) {
  EXPECT_EQ(hash64("abc"), hash64(std::string("abc")));
  EXPECT_NE(hash64("abc"), hash64("abd"));
  EXPECT_NE(hash64("abc", 1), hash64("abc", 2));
}

TEST(Threads, ResolveAndRankWorld) {
  EXPECT_EQ(resolve_threads(3), 3);
  EXPECT_GE(resolve_threads(0), 1);
  // 0 follows OMP_NUM_THREADS when it is a positive integer, else all cores.
  const char* omp = std::getenv("OMP_NUM_THREADS");
  std::string saved = omp ? omp : "";
  setenv("OMP_NUM_THREADS", "5", 1);
  EXPECT_EQ(resolve_threads(0), 5);
  EXPECT_EQ(resolve_threads(2), 2);
  setenv("OMP_NUM_THREADS", "x", 1);
  const int cores = resolve_threads(0);
  setenv("OMP_NUM_THREADS", "0", 1);
  EXPECT_EQ(resolve_threads(0), cores);
  unsetenv("OMP_NUM_THREADS");
  EXPECT_EQ(resolve_threads(0), cores);
  if (omp) setenv("OMP_NUM_THREADS", saved.c_str(), 1);
  RankWorld rw = resolve_rank_world(1, 4);
  EXPECT_EQ(rw.rank, 1);
  EXPECT_EQ(rw.world, 4);
  setenv("SLURM_PROCID", "2", 1);
  setenv("SLURM_NTASKS", "3", 1);
  rw = resolve_rank_world(0, 0);
  EXPECT_EQ(rw.rank, 2);
  EXPECT_EQ(rw.world, 3);
  unsetenv("SLURM_PROCID");
  unsetenv("SLURM_NTASKS");
}

TEST(Progress, Formatting) {
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1234567), "1.23 MB");
  EXPECT_EQ(format_duration(65), "01:05");
  EXPECT_EQ(format_duration(3725), "1:02:05");
}

// In a log (not a terminal) the final line is not written twice when the last update already
// drew it (eval's progress lines came out doubled in make run's log).
TEST(Progress, LogGetsTheFinalLineOnce) {
  Progress::set_enabled(true);
  Progress::set_force_tty(0);
  Progress::set_period_seconds(0);
  testing::internal::CaptureStderr();
  {
    Progress p("work", 3);
    p.add(3);  // draws 3/3 (an add of more than one always draws)
    p.finish();
  }
  const std::string log = testing::internal::GetCapturedStderr();
  Progress::set_force_tty(-1);
  Progress::set_period_seconds(10);  // the default
  size_t finals = 0;
  for (size_t at = log.find("3/3"); at != std::string::npos; at = log.find("3/3", at + 1)) ++finals;
  EXPECT_EQ(finals, 1u) << log;
}

}  // namespace
}  // namespace lm
