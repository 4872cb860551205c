// minhash_test.cc: word normalisation, exact/line keys, MinHash estimates against exact Jaccard,
// LSH thresholds against the figures in the notes (datatrove 14x8: 0.72, P(0.8) = 0.924; NeMo
// 20x13: 0.79), and the checksummed run files + external sort (order, partitions, corruption).
#include "dedup/minhash.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>

#include "core/file_util.h"
#include "core/rng.h"
#include "dedup/run_file.h"
#include "dedup/stages.h"

namespace lm::dedup {
namespace {

std::vector<uint64_t> words_of(std::string_view s, bool cjk_chars = true) {
  std::vector<uint64_t> w;
  word_hashes(s, cjk_chars, &w);
  return w;
}

TEST(Words, NormalisesCasePunctuationDigits) {
  EXPECT_EQ(words_of("Hello, World! 123"), words_of("hello   world\n456"));
  EXPECT_EQ(words_of("Hello, World! 123").size(), 3u);
  EXPECT_NE(words_of("hello world"), words_of("hello word"));
  EXPECT_TRUE(words_of(" ,;-- !").empty());
}

TEST(Words, UnicodeLowercaseMarksAndCjk) {
  EXPECT_EQ(words_of("ÉCOLE"), words_of("école"));
  EXPECT_EQ(words_of("e\xcc\x81t\xc3\xa9"), words_of("et\xc3\xa9"));  // combining acute dropped
  EXPECT_EQ(words_of("\xe4\xb8\xad\xe6\x96\x87\xe6\x96\x87\xe6\x9c\xac").size(), 4u);  // 中文文本
  EXPECT_EQ(words_of("\xe4\xb8\xad\xe6\x96\x87\xe3\x80\x82\xe6\x96\x87").size(), 3u);  // 。 splits
  // Dictionary words: fewer units than characters for a common phrase.
  EXPECT_LT(
      words_of("\xe6\x88\x91\xe4\xbb\xac\xe5\x96\x9c\xe6\xac\xa2\xe4\xb8\xad\xe6\x96\x87", false)
          .size(),
      6u);
}

// datatrove's simplify_text: NFD, then nonspacing marks (Mn) dropped, so the composed and the
// decomposed spelling are the same words; a run of digits is one 0.
TEST(Words, NfcAndNfdGiveTheSameWords) {
  EXPECT_EQ(words_of("caf\xc3\xa9 cr\xc3\xa8me"), words_of("cafe\xcc\x81 cre\xcc\x80me"));
  EXPECT_EQ(words_of("caf\xc3\xa9"), words_of("cafe"));
  EXPECT_EQ(words_of("\xc3\x85ngstr\xc3\xb6m"), words_of("\xe2\x84\xabngstro\xcc\x88m"));
  // Hangul: a precomposed syllable and its conjoining jamo (NFD) are one word.
  EXPECT_EQ(words_of("\xed\x95\x9c"), words_of("\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab"));
  // Spacing marks (Mc) stay: Devanagari ki (ka + vowel sign i) is not ka.
  EXPECT_NE(words_of("\xe0\xa4\x95\xe0\xa4\xbf"), words_of("\xe0\xa4\x95"));
  EXPECT_EQ(words_of("chapter 7"), words_of("Chapter 1234"));
  EXPECT_EQ(words_of("a1b22c"), words_of("a9b3c"));
  EXPECT_NE(words_of("a1b"), words_of("ab"));
}

TEST(Keys, ExactAndLineKeys) {
  auto w1 = words_of("The cat sat.");
  auto w2 = words_of("the  CAT sat");
  EXPECT_EQ(exact_key("The cat sat.", w1.data(), w1.size()),
            exact_key("the  CAT sat", w2.data(), w2.size()));
  auto w3 = words_of("the cat sat on");
  EXPECT_FALSE(exact_key("a", w1.data(), w1.size()) == exact_key("b", w3.data(), w3.size()));
  // No words: the raw bytes decide.
  EXPECT_FALSE(exact_key("---", nullptr, 0) == exact_key("***", nullptr, 0));
  std::vector<uint64_t> scratch;
  EXPECT_EQ(line_key("  ---  \n", &scratch), 0u);
  EXPECT_EQ(line_key("Chapter 1.\n", &scratch), line_key("chapter 7", &scratch));
  EXPECT_NE(line_key("chapter one", &scratch), line_key("chapter two", &scratch));
}

TEST(Lsh, ThresholdsMatchTheNotes) {
  EXPECT_NEAR(lsh_threshold(14, 8), 0.719, 0.002);
  EXPECT_NEAR(lsh_match_probability(0.8, 14, 8), 0.924, 0.001);
  EXPECT_NEAR(lsh_threshold(20, 13), 0.794, 0.002);
  auto curve = lsh_s_curve(14, 8, 11);
  ASSERT_EQ(curve.size(), 11u);
  EXPECT_EQ(curve.front().second, 0.0);
  EXPECT_NEAR(curve.back().second, 1.0, 1e-12);
  for (size_t i = 1; i < curve.size(); ++i) EXPECT_GE(curve[i].second, curve[i - 1].second);
  auto nemo = minhash_preset("nemo");
  ASSERT_TRUE(nemo.ok());
  EXPECT_EQ(nemo->bands * nemo->rows, 260);
  EXPECT_EQ(minhash_preset("spark").status().code(), Code::kInvalidArgument);
}

// Documents of random words with a known share of shared 5-gram shingles.
TEST(MinHash, EstimatesJaccard) {
  MinHashParams p;
  p.bands = 32;
  p.rows = 8;  // 256 hashes: standard error ~0.03
  MinHasher mh(p);
  Rng rng(7);
  for (double target : {0.2, 0.5, 0.8}) {
    // A and B share a common block; n-grams spanning the seam are few with long blocks.
    const int shared = static_cast<int>(2000 * target / (1 + target));
    std::vector<uint64_t> common(shared), a, b;
    for (auto& w : common) w = rng.next_u64();
    a = common;
    b = common;
    for (int i = shared; i < 1000; ++i) a.push_back(rng.next_u64());
    for (int i = shared; i < 1000; ++i) b.push_back(rng.next_u64());
    std::set<std::vector<uint64_t>> sa, sb;
    for (size_t i = 0; i + 5 <= a.size(); ++i) sa.insert({a.begin() + i, a.begin() + i + 5});
    for (size_t i = 0; i + 5 <= b.size(); ++i) sb.insert({b.begin() + i, b.begin() + i + 5});
    size_t inter = 0;
    for (const auto& s : sa) inter += sb.count(s);
    const double jaccard = static_cast<double>(inter) / (sa.size() + sb.size() - inter);
    std::vector<uint32_t> ga(mh.num_hashes()), gb(mh.num_hashes());
    ASSERT_TRUE(mh.signature(a.data(), a.size(), ga.data()));
    ASSERT_TRUE(mh.signature(b.data(), b.size(), gb.data()));
    EXPECT_NEAR(signature_similarity(ga.data(), gb.data(), mh.num_hashes()), jaccard, 0.1)
        << "target " << target;
  }
}

TEST(MinHash, DeterministicAndShortDocuments) {
  MinHasher mh(MinHashParams{});
  auto w = words_of("one two three");
  std::vector<uint32_t> s1(mh.num_hashes()), s2(mh.num_hashes());
  ASSERT_TRUE(mh.signature(w.data(), w.size(), s1.data()));  // fewer words than the n-gram
  MinHasher mh2(MinHashParams{});
  ASSERT_TRUE(mh2.signature(w.data(), w.size(), s2.data()));
  EXPECT_EQ(s1, s2);
  EXPECT_FALSE(mh.signature(nullptr, 0, s1.data()));
  std::vector<uint64_t> k1(mh.bands()), k2(mh.bands());
  mh.band_keys(s1.data(), k1.data());
  auto w2 = words_of("one two four");
  ASSERT_TRUE(mh.signature(w2.data(), w2.size(), s2.data()));
  mh.band_keys(s2.data(), k2.data());
  EXPECT_NE(k1, k2);
}

// ---- run files ---------------------------------------------------------------------------------
class RunFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "dedup_runs_" +
           testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    ASSERT_TRUE(make_dirs(dir_).ok());
  }
  std::string dir_;
};

TEST_F(RunFiles, ExternalSortWithTinyBudgetMatchesSort) {
  Rng rng(3);
  std::vector<LineRec> all;
  ExternalSorter<LineRec> sorter(
      dir_ + "/x", 3, [](const LineRec& r) { return hash_part(r.hash, 3); },
      1);  // 1 byte budget: the 1024-record minimum per run
  for (int i = 0; i < 10000; ++i) {
    LineRec r{rng.next_u64() % 5000, rng.next_u64() % 100, static_cast<uint32_t>(i % 7), 0};
    all.push_back(r);
    ASSERT_TRUE(sorter.add(r).ok());
  }
  ASSERT_TRUE(sorter.finish().ok());
  EXPECT_GE(sorter.runs().size(), 9u);
  size_t total = 0;
  for (int part = 0; part < 3; ++part) {
    std::vector<LineRec> expect;
    for (const auto& r : all) {
      if (hash_part(r.hash, 3) == part) expect.push_back(r);
    }
    std::sort(expect.begin(), expect.end());
    auto merger = RunMerger<LineRec>::open(sorter.runs(), part, 1 << 16);
    ASSERT_TRUE(merger.ok()) << merger.status().to_string();
    std::vector<LineRec> got;
    LineRec r;
    for (;;) {
      auto more = (*merger)->next(&r);
      ASSERT_TRUE(more.ok()) << more.status().to_string();
      if (!*more) break;
      got.push_back(r);
    }
    ASSERT_EQ(got.size(), expect.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_FALSE(got[i] < expect[i] || expect[i] < got[i]) << i;
    }
    total += got.size();
  }
  EXPECT_EQ(total, all.size());
}

void flip_byte(const std::string& path, long offset_from_end) {
  FILE* f = std::fopen(path.c_str(), "r+b");
  ASSERT_NE(f, nullptr);
  std::fseek(f, -offset_from_end, SEEK_END);
  int c = std::fgetc(f);
  std::fseek(f, -offset_from_end, SEEK_END);
  std::fputc(c ^ 0x40, f);
  std::fclose(f);
}

TEST_F(RunFiles, CorruptRunIsDetectedAndNamed) {
  ExternalSorter<LineDrop> sorter(
      dir_ + "/d", 1, [](const LineDrop&) { return 0; }, 1 << 20);
  for (uint32_t i = 0; i < 5000; ++i)
    ASSERT_TRUE(sorter.add(LineDrop{i * 7919ULL % 5000, i, 0}).ok());
  ASSERT_TRUE(sorter.finish().ok());
  ASSERT_EQ(sorter.runs().size(), 1u);
  flip_byte(sorter.runs()[0], 100);
  auto merger = RunMerger<LineDrop>::open(sorter.runs(), 0, 1 << 12);
  Status status = merger.status();
  if (status.ok()) {
    LineDrop d;
    for (;;) {
      auto more = (*merger)->next(&d);
      if (!more.ok()) {
        status = more.status();
        break;
      }
      if (!*more) break;
    }
  }
  EXPECT_EQ(status.code(), Code::kCorrupt);
  EXPECT_NE(status.message().find(sorter.runs()[0]), std::string::npos) << status.message();
}

TEST_F(RunFiles, BlobChecksumAndTruncation) {
  const char magic[8] = {'T', 'E', 'S', 'T', 'B', 'L', 'O', 'B'};
  const std::string path = dir_ + "/b";
  auto w = BlobWriter::create(path, magic);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->write("hello blob", 10).ok());
  ASSERT_TRUE(w->commit().ok());
  auto r = read_blob(path, magic);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(*r, "hello blob");
  flip_byte(path, 20);
  auto bad = read_blob(path, magic);
  EXPECT_EQ(bad.status().code(), Code::kCorrupt);
  EXPECT_NE(bad.status().message().find(path), std::string::npos);
  std::filesystem::resize_file(path, 12);
  EXPECT_EQ(MappedBlob::open(path, magic).status().code(), Code::kCorrupt);
  EXPECT_EQ(read_blob(dir_ + "/missing", magic).status().code(), Code::kNotFound);
}

TEST(Units, SplitLinesAndParagraphs) {
  std::vector<std::string_view> u;
  split_units("a\nb\n\nc", LineUnit::kLines, &u);
  ASSERT_EQ(u.size(), 4u);
  EXPECT_EQ(u[0], "a\n");
  EXPECT_EQ(u[2], "\n");
  EXPECT_EQ(u[3], "c");
  u.clear();
  split_units("a\nb\n\n\nc\n", LineUnit::kParagraphs, &u);
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0], "a\nb\n\n\n");
  EXPECT_EQ(u[1], "c\n");
}

}  // namespace
}  // namespace lm::dedup
