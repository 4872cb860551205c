// metrics_test.cc: every metric of eval/metrics.h against metrics_reference.py (the harness's
// formulas in python3 stdlib) on fixed inputs, exact to 1e-12: argmax ties and NaN, multiple
// choice acc / acc_norm (code points, non-ASCII) / acc_bytes / acc_mutual_info / brier,
// exact_match's options in the harness's order, edit distance, means and stderr, perplexities,
// words, the bootstrap (bit-compatible with CPython's random) and its spread against theory.
#include "eval/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/rng.h"
#include "eval/py_compat.h"
#include "metrics_reference.h"

namespace lm::eval {
namespace {

using metrics_ref::near12;
using metrics_ref::num;
using metrics_ref::nums;

TEST(Metrics, ArgmaxFirstMatchesNumpy) {
  LM_EVAL_REFERENCE(ref);
  for (const auto& c : ref["argmax"]) {
    const auto v = nums(c["values"]);
    EXPECT_EQ(argmax_first(v), c["expected"].get<int>()) << c["values"].dump();
  }
  const std::vector<double> tie = {2.0, 5.0, 5.0};
  EXPECT_EQ(argmax_first(tie), 1);
}

TEST(Metrics, MultipleChoiceMatchesReference) {
  LM_EVAL_REFERENCE(ref);
  ASSERT_GE(ref["multiple_choice"].size(), 40u);
  for (const auto& c : ref["multiple_choice"]) {
    const auto lls = nums(c["lls"]);
    const auto choices = c["choices"].get<std::vector<std::string>>();
    const auto gold = c["gold"].get<std::vector<int>>();
    const auto& e = c["expected"];
    const std::string what = c.dump();
    EXPECT_EQ(mc_acc(lls, gold), num(e["acc"])) << what;
    EXPECT_EQ(mc_acc_norm(lls, choices, gold), num(e["acc_norm"])) << what;
    EXPECT_EQ(mc_acc_bytes(lls, choices, gold), num(e["acc_bytes"])) << what;
    if (!c["unconditional"].is_null()) {
      const auto unc = nums(c["unconditional"]);
      EXPECT_EQ(mc_acc_mutual_info(lls, unc, gold), num(e["acc_mutual_info"])) << what;
    }
    if (e.contains("brier_score")) {
      EXPECT_TRUE(near12(brier_score(lls, gold[0]), num(e["brier_score"]))) << what;
    }
  }
}

TEST(Metrics, AccNormCountsCodePointsNotBytes) {
  // " ü" is 2 code points, 3 bytes; " naïve café" 11 code points, 13 bytes.
  const std::vector<double> lls = {-11.5, -2.2};
  const std::vector<std::string> choices = {" naïve café", " ü"};
  const std::vector<int> gold0 = {0}, gold1 = {1};
  // per character: -1.045 vs -1.1 -> choice 0; per byte: -0.885 vs -0.733 -> choice 1.
  EXPECT_EQ(mc_acc_norm(lls, choices, gold0), 1.0);
  EXPECT_EQ(mc_acc_bytes(lls, choices, gold1), 1.0);
  LM_EVAL_REFERENCE(ref);
  for (const auto& c : ref["code_points"])
    EXPECT_EQ(utf8_code_points(c["text"].get<std::string>()), c["expected"].get<int64_t>())
        << c["text"];
}

TEST(Metrics, BrierScoreRange) {
  const std::vector<double> certain = {0.0, -1000.0};
  EXPECT_NEAR(brier_score(certain, 0), 0.0, 1e-12);
  EXPECT_NEAR(brier_score(certain, 1), 2.0, 1e-12);
  const std::vector<double> flat = {-1.0, -1.0, -1.0, -1.0};
  EXPECT_NEAR(brier_score(flat, 2), 0.75 * 0.75 + 3 * 0.0625, 1e-12);
}

TEST(Metrics, ExactMatchMatchesReference) {
  LM_EVAL_REFERENCE(ref);
  for (const auto& c : ref["exact_match"]) {
    ExactMatchOptions o;
    const auto& opt = c["options"];
    o.ignore_case = opt.value("ignore_case", false);
    o.ignore_punctuation = opt.value("ignore_punctuation", false);
    o.ignore_numbers = opt.value("ignore_numbers", false);
    if (opt.contains("regexes_to_ignore"))
      o.regexes_to_ignore = opt["regexes_to_ignore"].get<std::vector<std::string>>();
    auto m = ExactMatcher::create(o);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    const auto p = c["prediction"].get<std::string>(), r = c["reference"].get<std::string>();
    EXPECT_EQ(m->score(p, r), num(c["expected"])) << c.dump();
    const std::vector<std::string> refs = {"no such answer", r};
    EXPECT_EQ(m->score_any(p, refs), num(c["expected"])) << c.dump();
  }
}

TEST(Metrics, ExactMatchRejectsABadRegex) {
  ExactMatchOptions o;
  o.regexes_to_ignore = {",", "(unclosed"};
  auto m = ExactMatcher::create(o);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().to_string().find("regexes_to_ignore[1]"), std::string::npos)
      << m.status().to_string();
  EXPECT_NE(m.status().to_string().find("(unclosed"), std::string::npos);
}

TEST(Metrics, TokenEditDistanceMatchesReference) {
  LM_EVAL_REFERENCE(ref);
  for (const auto& c : ref["edit_distance"]) {
    const auto a = c["a"].get<std::vector<int>>(), b = c["b"].get<std::vector<int>>();
    EXPECT_EQ(token_edit_distance(a, b), c["expected"].get<int64_t>()) << c.dump();
    EXPECT_EQ(token_edit_distance(b, a), c["expected"].get<int64_t>()) << c.dump();
  }
}

TEST(Metrics, MeansAndStderrMatchReference) {
  LM_EVAL_REFERENCE(ref);
  for (const auto& c : ref["mean"]) {
    const auto v = nums(c["values"]);
    EXPECT_TRUE(near12(mean(v), num(c["mean"])));
    EXPECT_TRUE(near12(mean_stderr(v), num(c["stderr"])));
  }
  for (const auto& c : ref["perplexity"])
    EXPECT_TRUE(near12(perplexity_of_lls(nums(c["lls"])), num(c["expected"])));
  for (const auto& c : ref["weighted"]) {
    std::vector<Weighted> w;
    for (const auto& it : c["items"]) w.push_back({num(it[0]), num(it[1])});
    EXPECT_TRUE(near12(weighted_perplexity(w), num(c["perplexity"])));
    EXPECT_TRUE(near12(bits_per_byte(w), num(c["bits_per_byte"])));
  }
  for (const auto& c : ref["words"])
    EXPECT_EQ(count_words(c["doc"].get<std::string>()), c["expected"].get<int64_t>()) << c["doc"];
}

TEST(Metrics, PyRandomIsCPythonsMersenneTwister) {
  LM_EVAL_REFERENCE(ref);
  for (const auto& c : ref["py_random"]) {
    PyRandom r(c["seed"].get<uint64_t>());
    for (const auto& want : c["expected"]) EXPECT_EQ(r.random(), num(want)) << c["seed"];
  }
}

TEST(Metrics, BootstrapMatchesTheHarnessLoop) {
  LM_EVAL_REFERENCE(ref);
  const std::function<double(std::span<const double>)> f_mean = [](std::span<const double> v) {
    return mean(v);
  };
  const std::function<double(std::span<const double>)> f_ppl = [](std::span<const double> v) {
    return perplexity_of_lls(v);
  };
  const std::function<double(std::span<const Weighted>)> f_wppl = [](std::span<const Weighted> v) {
    return weighted_perplexity(v);
  };
  const std::function<double(std::span<const Weighted>)> f_bpb = [](std::span<const Weighted> v) {
    return bits_per_byte(v);
  };
  for (const auto& c : ref["bootstrap"]) {
    const std::string agg = c["agg"];
    const int iters = c["iters"];
    const uint64_t seed = c["seed"];
    double got;
    if (agg == "mean" || agg == "perplexity") {
      const auto v = nums(c["items"]);
      got = bootstrap_stderr<double>(v, agg == "mean" ? f_mean : f_ppl, iters, seed);
    } else {
      std::vector<Weighted> w;
      for (const auto& it : c["items"]) w.push_back({num(it[0]), num(it[1])});
      got = bootstrap_stderr<Weighted>(w, agg == "bits_per_byte" ? f_bpb : f_wppl, iters, seed);
    }
    EXPECT_TRUE(near12(got, num(c["expected"]))) << agg << " seed " << seed;
  }
}

// The bootstrap standard error of a mean of n draws is sd * sqrt((n-1)/n) / sqrt(n) in
// expectation (the plug-in variance); with 20000 replicates it lands within a few percent, and
// the replicates centre on the sample mean. Seeds give different but close answers.
TEST(Metrics, BootstrapSpreadMatchesTheory) {
  Rng rng(99);
  std::vector<double> xs(400);
  for (auto& x : xs) x = 3.0 + 2.0 * rng.normal();
  const double n = static_cast<double>(xs.size());
  double mu = mean(xs), ss = 0;
  for (double x : xs) ss += (x - mu) * (x - mu);
  const double theory = std::sqrt(ss / n) / std::sqrt(n);
  const std::function<double(std::span<const double>)> f = [](std::span<const double> v) {
    return mean(v);
  };
  const double a = bootstrap_stderr<double>(xs, f, 20000, 1);
  const double b = bootstrap_stderr<double>(xs, f, 20000, 2);
  EXPECT_NEAR(a / theory, 1.0, 0.03);
  EXPECT_NEAR(b / theory, 1.0, 0.03);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, bootstrap_stderr<double>(xs, f, 20000, 1));  // deterministic in the seed
  // close to mean_stderr (Bessel) too, the harness's stderr for means
  EXPECT_NEAR(a / mean_stderr(xs), 1.0, 0.03);
  // nothing to resample
  EXPECT_TRUE(std::isnan(bootstrap_stderr<double>(std::span<const double>(), f, 100, 0)));
  EXPECT_TRUE(std::isnan(bootstrap_stderr<double>(xs, f, 0, 0)));
}

TEST(Metrics, MeanStderrOfOneIsZero) {
  const std::vector<double> one = {0.7};
  EXPECT_EQ(mean_stderr(one), 0.0);
  EXPECT_EQ(mean(one), 0.7);
}

}  // namespace
}  // namespace lm::eval
