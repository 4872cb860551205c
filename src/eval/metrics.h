// metrics.h: per-document scores and their aggregation, with lm-evaluation-harness's
// definitions (lm_eval/api/metrics.py, task.py): multiple-choice acc / acc_norm (characters =
// Unicode code points) / acc_bytes / acc_mutual_info / brier_score, exact_match with its
// options, perplexities and bits per byte (corpus-weighted), token edit distance, and standard
// errors (sample std / sqrt(n) for means, seeded bootstrap for the rest). Pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace lm::eval {

// Index of the first maximal value (numpy/torch argmax). Requires a non-empty span.
int argmax_first(std::span<const double> values);

// Multiple choice, one document: `lls[c]` = log-likelihood of choice c; `gold` = the gold
// indices (usually one; several = any counts, as the harness does with a list target).
double mc_acc(std::span<const double> lls, std::span<const int> gold);
double mc_acc_norm(std::span<const double> lls, std::span<const std::string> choices,
                   std::span<const int> gold);  // ll / code points of the choice (UTF-8 input)
double mc_acc_bytes(std::span<const double> lls, std::span<const std::string> choices,
                    std::span<const int> gold);  // ll / UTF-8 bytes of the choice
double mc_acc_mutual_info(std::span<const double> lls, std::span<const double> unconditional,
                          std::span<const int> gold);       // argmax ll(c|ctx) - ll(c|"")
double brier_score(std::span<const double> lls, int gold);  // sum_c (softmax(lls)_c - 1[c=gold])^2
int64_t utf8_code_points(std::string_view s);

struct ExactMatchOptions {
  bool ignore_case = false;
  bool ignore_punctuation = false;             // Python string.punctuation
  bool ignore_numbers = false;                 // digits
  std::vector<std::string> regexes_to_ignore;  // PCRE2, removed from both sides first
};
// Compiled once; score() applies: regexes_to_ignore (re.sub -> ""), lower-case, strip
// punctuation, strip digits, then compares the strings (1 or 0).
class ExactMatcher {
 public:
  static Result<ExactMatcher> create(const ExactMatchOptions& options);  // a bad regex: error
  double score(std::string_view prediction, std::string_view reference) const;
  // Any of several references (a list target).
  double score_any(std::string_view prediction, std::span<const std::string> references) const;
  ExactMatcher(ExactMatcher&&) noexcept;
  ~ExactMatcher();

 private:
  ExactMatcher() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Levenshtein distance (substitutions + insertions + deletions) between token sequences.
int64_t token_edit_distance(std::span<const int> a, std::span<const int> b);

// Aggregations. Means and their standard error (sample std with Bessel's correction / sqrt n;
// 0 when n < 2).
double mean(std::span<const double> values);
double mean_stderr(std::span<const double> values);
// Corpus-weighted aggregations of (log-likelihood, weight) pairs, the harness's weighted_mean.
struct Weighted {
  double ll = 0;
  double weight = 0;  // tokens, words or bytes
};
double perplexity_of_lls(std::span<const double> lls);        // exp(-mean ll)  (loglikelihood)
double weighted_perplexity(std::span<const Weighted> items);  // exp(-sum ll / sum weight)
double bits_per_byte(std::span<const Weighted> items);        // -sum ll / (sum bytes * ln 2)
int64_t count_words(std::string_view doc);  // len(re.split(r"\s+", doc)), the harness's words

// Bootstrap standard error of `aggregate` over `items` (resampled with replacement `iters`
// times, seeded; the harness's bootstrap_stderr). Deterministic in the seed. As the harness:
// chunks of min(1000, iters) replicates; chunk i draws with Python's random.Random(seed + i)
// (eval/py_compat.h), so seed 0 gives the harness's own number. NaN when items is empty or
// iters < 1 (the harness reports N/A).
template <typename T>
double bootstrap_stderr(std::span<const T> items,
                        const std::function<double(std::span<const T>)>& aggregate, int iters,
                        uint64_t seed);

}  // namespace lm::eval
