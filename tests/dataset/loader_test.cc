// loader_test.cc: the batch loader on synthetic Megatron prefixes: concatenate mode serves every
// token exactly once per epoch; ranks are disjoint and cover the data; the same seed gives the
// same batches (another seed or epoch another order); resume continues exactly; docmask resets
// positions and segments at document boundaries; pad mode pads, masks and buckets; and a token
// outside the vocabulary is an error naming the file.
#include "dataset/loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "dataset_test_util.h"

namespace lm::dataset {
namespace {

using testing::random_docs;
using testing::temp_dir;
using testing::write_prefix;

constexpr uint32_t kVocab = 1000;

// A prefix whose stream token k is k % (kVocab - 1) except the EOTs; positions identify tokens.
struct Fixture {
  std::string prefix;
  std::vector<std::vector<uint32_t>> docs;
  std::vector<uint32_t> stream;
};

Fixture make_fixture(const std::string& name, int n_docs, int min_len, int max_len) {
  Fixture f;
  f.prefix = temp_dir(name) + "/data";
  f.docs = random_docs(n_docs, min_len, max_len, kVocab, 42);
  for (auto& d : f.docs) f.stream.insert(f.stream.end(), d.begin(), d.end());
  write_prefix(f.prefix, f.docs, kVocab);
  return f;
}

std::unique_ptr<Loader> open(const LoaderOptions& o) {
  auto l = Loader::open(o);
  EXPECT_TRUE(l.ok()) << l.status().to_string();
  return l.ok() ? std::move(l).value() : nullptr;
}

LoaderOptions opts(const std::string& prefix, int B, int T,
                   LoaderMode mode = LoaderMode::kConcatenate) {
  LoaderOptions o;
  o.prefix = prefix;
  o.batch_size = B;
  o.seq_len = T;
  o.mode = mode;
  return o;
}

// Recovers the stream offset of a concatenate row by matching it (windows start at multiples of
// T, so the first input token's window index is found by search over candidates).
uint64_t window_of(const Fixture& f, const int32_t* row, const int32_t* tgt, int T) {
  for (uint64_t w = 0; (w + 1) * T < f.stream.size(); ++w) {
    bool same = true;
    for (int t = 0; same && t < T; ++t) {
      same = int32_t(f.stream[w * T + t]) == row[t] && int32_t(f.stream[w * T + t + 1]) == tgt[t];
    }
    if (same) return w;
  }
  return ~0ULL;
}

TEST(Loader, ConcatenateServesEveryWindowOncePerEpochAcrossRanks) {
  Fixture f = make_fixture("concat", 60, 5, 80);
  const int B = 3, T = 16, W = 2;
  std::vector<std::unique_ptr<Loader>> ranks;
  for (int r = 0; r < W; ++r) {
    auto o = opts(f.prefix, B, T);
    o.rank = r;
    o.world = W;
    ranks.push_back(open(o));
    ASSERT_TRUE(ranks.back());
  }
  const uint64_t n = ranks[0]->samples_per_epoch();
  ASSERT_EQ(n, (f.stream.size() - 1) / T);
  // Serve 2 full epochs' worth of samples (steps straddle epochs) and count windows per epoch.
  std::map<uint64_t, std::map<uint64_t, int>> seen;  // epoch -> window -> count
  std::vector<std::set<uint64_t>> by_rank(W);
  const uint64_t steps = 2 * n / (W * B);
  uint64_t served = 0;
  Batch b;
  for (uint64_t s = 0; s < steps; ++s) {
    for (int r = 0; r < W; ++r) {
      ASSERT_TRUE(ranks[r]->next(&b).ok());
      for (int row = 0; row < B; ++row, ++served) {
        const uint64_t w = window_of(f, &b.inputs[row * T], &b.targets[row * T], T);
        ASSERT_NE(w, ~0ULL) << "row is not a window of the stream";
        seen[served / n][w]++;
        if (served < n) by_rank[r].insert(w);
        for (int t = 0; t < T; ++t) ASSERT_EQ(b.loss_mask[row * T + t], 1.0f);
      }
    }
  }
  ASSERT_EQ(seen[0].size(), n);  // the first epoch: every window once
  for (auto& [w, c] : seen[0]) EXPECT_EQ(c, 1) << "window " << w;
  for (auto& [w, c] : seen[1]) EXPECT_EQ(c, 1) << "window " << w;
  // Ranks disjoint within the epoch, and together cover it.
  for (uint64_t w : by_rank[0]) EXPECT_EQ(by_rank[1].count(w), 0u);
  EXPECT_EQ(by_rank[0].size() + by_rank[1].size(), n);
  // Every token but the tail is an input exactly once per epoch.
  EXPECT_LT(f.stream.size() - n * T, size_t(T) + 1);
}

TEST(Loader, SameSeedSameBatchesOtherSeedOtherOrder) {
  Fixture f = make_fixture("seed", 40, 10, 60);
  auto a = open(opts(f.prefix, 4, 8)), b = open(opts(f.prefix, 4, 8));
  auto o = opts(f.prefix, 4, 8);
  o.seed = 7;
  auto c = open(o);
  Batch x, y, z;
  bool differs = false;
  for (int s = 0; s < 10; ++s) {
    ASSERT_TRUE(a->next(&x).ok());
    ASSERT_TRUE(b->next(&y).ok());
    ASSERT_TRUE(c->next(&z).ok());
    ASSERT_EQ(x.inputs, y.inputs);
    ASSERT_EQ(x.targets, y.targets);
    differs |= x.inputs != z.inputs;
  }
  EXPECT_TRUE(differs);
}

TEST(Loader, ResumeContinuesExactly) {
  Fixture f = make_fixture("resume", 50, 3, 50);
  for (LoaderMode mode : {LoaderMode::kConcatenate, LoaderMode::kPad, LoaderMode::kDocMask}) {
    auto o = opts(f.prefix, 2, 12, mode);
    o.bucket_batches = mode == LoaderMode::kPad ? 3 : 0;
    auto ref = open(o);
    std::vector<Batch> want(25);
    for (auto& b : want) ASSERT_TRUE(ref->next(&b).ok());
    auto first = open(o);
    Batch b;
    for (int s = 0; s < 11; ++s) ASSERT_TRUE(first->next(&b).ok());
    const std::string saved = first->state().to_json();
    auto restored = LoaderState::from_json(saved);
    ASSERT_TRUE(restored.ok());
    auto second = open(o);
    ASSERT_TRUE(second->restore(*restored).ok());
    for (int s = 11; s < 25; ++s) {
      ASSERT_TRUE(second->next(&b).ok());
      ASSERT_EQ(b.inputs, want[s].inputs) << loader_mode_name(mode) << " step " << s;
      ASSERT_EQ(b.position_ids, want[s].position_ids);
      ASSERT_EQ(b.loss_mask, want[s].loss_mask);
      ASSERT_EQ(b.step, want[s].step);
    }
    // A state from other options is refused.
    auto other = opts(f.prefix, 2, 13, mode);
    auto third = open(other);
    EXPECT_FALSE(third->restore(*restored).ok());
  }
}

TEST(Loader, DocMaskResetsPositionsAndSegments) {
  Fixture f = make_fixture("docmask", 30, 2, 20);
  auto o = opts(f.prefix, 4, 32, LoaderMode::kDocMask);
  o.shuffle = false;
  auto l = open(o);
  Batch b;
  ASSERT_TRUE(l->next(&b).ok());
  // Unshuffled: row r is stream window r. Check against document boundaries directly.
  std::vector<int> doc_of;
  for (size_t d = 0; d < f.docs.size(); ++d) doc_of.insert(doc_of.end(), f.docs[d].size(), int(d));
  for (int r = 0; r < 4; ++r) {
    const int base = r * 32;
    int seg = 0, start = 0;
    for (int t = 0; t < 32; ++t) {
      const int a = base + t;
      if (t > 0 && doc_of[a] != doc_of[a - 1]) {
        ++seg;
        start = t;
      }
      EXPECT_EQ(b.segment_ids[base + t], seg);
      EXPECT_EQ(b.position_ids[base + t], t - start);
      EXPECT_EQ(b.inputs[base + t], int32_t(f.stream[a]));
      const bool crosses = doc_of[a + 1] != doc_of[a];
      EXPECT_EQ(b.loss_mask[base + t], crosses ? 0.0f : 1.0f);
      if (crosses) {
        EXPECT_EQ(b.inputs[base + t], int32_t(kVocab - 1));  // the EOT
      }
    }
  }
}

TEST(Loader, PadModeOneDocumentPerRowAndBucketing) {
  Fixture f = make_fixture("pad", 80, 1, 40);
  for (LongDocs ld : {LongDocs::kSplit, LongDocs::kTruncate}) {
    auto o = opts(f.prefix, 4, 16, LoaderMode::kPad);
    o.long_docs = ld;
    o.shuffle = false;
    auto l = open(o);
    uint64_t expect = 0;
    for (auto& d : f.docs) {
      expect += ld == LongDocs::kTruncate ? 1 : (d.size() - 2) / 16 + 1;
    }
    ASSERT_EQ(l->samples_per_epoch(), expect);
    Batch b;
    ASSERT_TRUE(l->next(&b).ok());
    // Row 0 = document 0 (first piece), right-padded with the EOT and masked.
    const auto& d0 = f.docs[0];
    const int n = std::min<int>(int(d0.size()) - 1, 16);
    for (int t = 0; t < 16; ++t) {
      EXPECT_EQ(b.attention_mask[t], t < n ? 1 : 0);
      EXPECT_EQ(b.loss_mask[t], t < n ? 1.0f : 0.0f);
      if (t < n) {
        EXPECT_EQ(b.inputs[t], int32_t(d0[t]));
        EXPECT_EQ(b.targets[t], int32_t(d0[t + 1]));
        EXPECT_EQ(b.position_ids[t], t);
      } else {
        EXPECT_EQ(b.inputs[t], int32_t(kVocab - 1));
        EXPECT_EQ(b.segment_ids[t], -1);
      }
    }
  }
  // Bucketing: same samples per epoch, each served once, less trimmed padding.
  auto measure = [&](int bucket, uint64_t* trimmed, std::multiset<std::vector<int32_t>>* rows) {
    auto o = opts(f.prefix, 4, 16, LoaderMode::kPad);
    o.bucket_batches = bucket;
    auto l = open(o);
    Batch b;
    *trimmed = 0;
    for (uint64_t s = 0; s < l->steps_per_epoch(); ++s) {
      ASSERT_TRUE(l->next(&b).ok());
      *trimmed += uint64_t(b.B) * b.max_len;
      for (int r = 0; r < 4; ++r)
        rows->insert({b.inputs.begin() + r * 16, b.inputs.begin() + r * 16 + 16});
    }
  };
  uint64_t plain = 0, bucketed = 0;
  std::multiset<std::vector<int32_t>> rows_plain, rows_bucketed;
  measure(0, &plain, &rows_plain);
  measure(8, &bucketed, &rows_bucketed);
  EXPECT_LT(bucketed, plain);
  EXPECT_EQ(rows_plain.size(), rows_bucketed.size());
}

TEST(Loader, TokenOutsideVocabularyNamesTheFile) {
  const std::string prefix = temp_dir("vocab") + "/data";
  auto docs = random_docs(10, 20, 20, kVocab, 3);
  docs[5][3] = kVocab + 5;  // fits uint16, but not the vocabulary
  write_prefix(prefix, docs, kVocab);
  auto o = opts(prefix, 2, 8);
  o.shuffle = false;
  auto l = open(o);
  Batch b;
  Status st;
  for (int s = 0; s < 20 && st.ok(); ++s) st = l->next(&b);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(prefix + ".bin"), std::string::npos) << st.to_string();
  EXPECT_NE(st.message().find("outside the vocabulary"), std::string::npos) << st.to_string();
}

TEST(Loader, ClearErrors) {
  Fixture f = make_fixture("errors", 3, 2, 4);
  EXPECT_FALSE(Loader::open(opts(f.prefix, 2, 4096)).ok());  // too few tokens
  auto o = opts(f.prefix, 2, 4);
  o.split = Split::kVal;
  auto v = Loader::open(o);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find(".val.idx"), std::string::npos);
  o = opts(f.prefix + "_missing", 2, 4);
  auto m = Loader::open(o);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("meta.json"), std::string::npos);
}

}  // namespace
}  // namespace lm::dataset
