// quality_test.cc: the near-duplicate quality benchmark. Base documents from the sample corpus
// (generated text when it is absent) get planted edits (word insertions, deletions, adjacent
// swaps) until their exact 5-gram Jaccard similarity to the original reaches a drawn target; all
// pairs go through the whole dedup pipeline with the default preset. Pass: >= 95% of pairs with
// similarity >= 0.85 merged, <= 2% of pairs with similarity <= 0.5 merged. The curve per 0.05
// bucket (also without verification, as datatrove) is written to dedup_quality_curve.txt.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_set>

#include "dedup/minhash.h"
#include "dedup_test_util.h"

namespace lm::dedup {
namespace {

using namespace testing_util;

std::vector<std::string> split_words(const std::string& text, size_t max_words) {
  std::vector<std::string> w;
  std::istringstream in(text);
  std::string s;
  while (w.size() < max_words && in >> s) w.push_back(s);
  return w;
}

std::string join(const std::vector<std::string>& w) {
  std::string s;
  for (const auto& x : w) s += (s.empty() ? "" : " ") + x;
  return s;
}

std::unordered_set<uint64_t> shingles(const std::string& text) {
  std::vector<uint64_t> h;
  word_hashes(text, true, &h);
  std::unordered_set<uint64_t> s;
  for (size_t i = 0; i + 5 <= h.size(); ++i) {
    uint64_t x = 0;
    for (size_t j = 0; j < 5; ++j) x = x * 0x100000001b3ULL + h[i + j];
    s.insert(x);
  }
  return s;
}

double jaccard(const std::unordered_set<uint64_t>& a, const std::unordered_set<uint64_t>& b) {
  size_t inter = 0;
  for (uint64_t x : a) inter += b.count(x);
  const size_t uni = a.size() + b.size() - inter;
  return uni ? static_cast<double>(inter) / uni : 1.0;
}

// Base texts of 120..300 words: sample corpus documents, or generated ones.
std::vector<std::string> base_texts(size_t n, std::string* origin) {
  std::vector<std::string> out;
  const std::string sample = LMFORGE_SAMPLE_DIR;
  if (std::filesystem::exists(sample + "/manifest.json")) {
    *origin = "sample corpus (" + sample + ")";
    auto docs = read_docs(sample);
    for (size_t i = 0; i < docs.size() && out.size() < n; i += 3) {
      auto w = split_words(docs[i].text, 300);
      if (w.size() >= 120) out.push_back(join(w));
    }
    if (out.size() >= n / 2) return out;
    out.clear();
  }
  *origin = "generated text";
  Rng rng(99);
  while (out.size() < n) out.push_back(random_text(&rng, 120 + rng.below(180), 20000));
  return out;
}

struct Pair {
  std::string base, edited;
  double similarity;
};

Pair plant_edits(const std::string& base, const std::string& donor, double target, Rng* rng) {
  std::vector<std::string> w = split_words(base, 300), d = split_words(donor, 300);
  const auto sb = shingles(base);
  double sim = 1.0;
  while (sim > target && w.size() > 10) {
    const uint64_t op = rng->below(3), pos = rng->below(w.size() - 1);
    if (op == 0) {
      w.insert(w.begin() + pos, d[rng->below(d.size())]);
    } else if (op == 1) {
      w.erase(w.begin() + pos);
    } else {
      std::swap(w[pos], w[pos + 1]);
    }
    sim = jaccard(sb, shingles(join(w)));
  }
  return Pair{base, join(w), sim};
}

struct Curve {
  std::map<int, std::pair<int, int>> buckets;  // bucket -> (pairs, merged)
  int hi_pairs = 0, hi_merged = 0, lo_pairs = 0, lo_merged = 0;
};

Curve measure(const std::vector<Pair>& pairs, const std::string& in, DedupOptions o,
              const std::string& out) {
  auto r = run_into({in}, o, out);
  EXPECT_TRUE(r.status.ok()) << r.status.to_string();
  std::map<std::string, std::string> cluster;
  for (const auto& d : r.removed) {
    cluster[d.id] = nlohmann::json::parse(d.extra_json)["removed"]["kept_id"];
  }
  auto cluster_of = [&](const std::string& id) {
    auto it = cluster.find(id);
    return it == cluster.end() ? id : it->second;
  };
  Curve c;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const bool merged = cluster_of("e" + std::to_string(i)) == cluster_of("b" + std::to_string(i));
    const double s = pairs[i].similarity;
    auto& b = c.buckets[std::min(19, static_cast<int>(s * 20))];
    ++b.first;
    b.second += merged;
    if (s >= 0.85) c.hi_pairs++, c.hi_merged += merged;
    if (s <= 0.5) c.lo_pairs++, c.lo_merged += merged;
  }
  return c;
}

TEST(DedupQuality, PlantedEditsDefaultPreset) {
  const std::string dir = fresh_dir("");
  std::string origin;
  const auto bases = base_texts(1200, &origin);
  Rng rng(2024);
  std::vector<Pair> pairs;
  std::vector<io::Document> docs;
  for (size_t i = 0; i < bases.size(); ++i) {
    const double u = rng.uniform();
    const double target = u < 0.4   ? 0.85 + 0.15 * rng.uniform()
                          : u < 0.8 ? 0.2 + 0.3 * rng.uniform()
                                    : 0.5 + 0.35 * rng.uniform();
    pairs.push_back(plant_edits(bases[i], bases[(i + 7) % bases.size()], target, &rng));
    docs.push_back({"b" + std::to_string(i), bases[i], "", "", ""});
  }
  for (size_t i = 0; i < pairs.size(); ++i) {
    docs.push_back({"e" + std::to_string(i), pairs[i].edited, "", "", ""});
  }
  const auto in = write_jsonl(dir + "/pairs.jsonl", docs);
  DedupOptions o;
  o.work_dir = dir + "/work";
  const Curve c = measure(pairs, in, o, dir + "/out");
  o.verify_threshold = 0;  // datatrove: no check of LSH candidates
  o.work_dir = dir + "/work0";
  const Curve c0 = measure(pairs, in, o, dir + "/out0");
  std::string report = fmt::format(
      "near-duplicate quality: {} pairs from {}; datatrove preset 14x8, 5-word shingles\n"
      "{:>12} {:>7} {:>10} {:>14} {:>10}\n",
      pairs.size(), origin, "Jaccard", "pairs", "merged", "merged(no-ver)", "P(LSH)");
  for (const auto& [b, pm] : c.buckets) {
    const double mid = (b + 0.5) / 20;
    report += fmt::format("{:>5.2f}-{:<5.2f} {:>7} {:>9.1f}% {:>13.1f}% {:>9.1f}%\n", b / 20.0,
                          (b + 1) / 20.0, pm.first, 100.0 * pm.second / pm.first,
                          100.0 * c0.buckets.at(b).second / pm.first,
                          100.0 * lsh_match_probability(mid, 14, 8));
  }
  report += fmt::format("similarity >= 0.85: {}/{} merged ({:.1f}%; no verification {:.1f}%)\n",
                        c.hi_merged, c.hi_pairs, 100.0 * c.hi_merged / c.hi_pairs,
                        100.0 * c0.hi_merged / c0.hi_pairs);
  report += fmt::format("similarity <= 0.50: {}/{} merged ({:.2f}%; no verification {:.2f}%)\n",
                        c.lo_merged, c.lo_pairs, 100.0 * c.lo_merged / c.lo_pairs,
                        100.0 * c0.lo_merged / c0.lo_pairs);
  std::printf("%s", report.c_str());
  EXPECT_TRUE(
      write_file_atomic(std::string(LMFORGE_BUILD_DIR) + "/dedup_quality_curve.txt", report).ok());
  ASSERT_GT(c.hi_pairs, 200);
  ASSERT_GT(c.lo_pairs, 200);
  EXPECT_GE(c.hi_merged, 0.95 * c.hi_pairs);
  EXPECT_LE(c.lo_merged, 0.02 * c.lo_pairs);
}

}  // namespace
}  // namespace lm::dedup
