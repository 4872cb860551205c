// metrics.cc: lm-evaluation-harness's per-document scores (task.py process_results) and
// aggregations (api/metrics.py), written in the harness's order of operations so that the
// numbers agree with it to rounding: argmax with numpy's rules, softmax as utils.softmax,
// exact_match as HF evaluate's, sums left to right as Python's sum(), and bootstrap_stderr
// drawing with CPython's random.Random(i).choices per chunk of 1000 as the harness does.
#include "eval/metrics.h"

#include <algorithm>
#include <cmath>

#include "eval/py_compat.h"
#include "uni/utf8.h"

namespace lm::eval {

// numpy.argmax: the first maximal value; a NaN counts as the maximum (the first NaN wins).
int argmax_first(std::span<const double> values) {
  int best = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) return static_cast<int>(i);
    if (values[i] > values[best]) best = static_cast<int>(i);
  }
  return best;
}

int64_t utf8_code_points(std::string_view s) { return static_cast<int64_t>(uni::utf8_length(s)); }

namespace {

double in_gold(int pred, std::span<const int> gold) {
  return std::find(gold.begin(), gold.end(), pred) != gold.end() ? 1.0 : 0.0;
}

// argmax of lls[i] / length(choice i) (numpy float division: x / 0 is +-inf or NaN).
template <typename LengthFn>
int argmax_normalised(std::span<const double> lls, std::span<const std::string> choices,
                      LengthFn length) {
  std::vector<double> v(lls.size());
  for (size_t i = 0; i < lls.size(); ++i)
    v[i] = lls[i] / static_cast<double>(i < choices.size() ? length(choices[i]) : 0);
  return argmax_first(v);
}

}  // namespace

double mc_acc(std::span<const double> lls, std::span<const int> gold) {
  if (lls.empty()) return 0.0;
  return in_gold(argmax_first(lls), gold);
}

double mc_acc_norm(std::span<const double> lls, std::span<const std::string> choices,
                   std::span<const int> gold) {
  if (lls.empty()) return 0.0;
  return in_gold(argmax_normalised(
                     lls, choices,
                     [](const std::string& c) { return static_cast<double>(uni::utf8_length(c)); }),
                 gold);
}

double mc_acc_bytes(std::span<const double> lls, std::span<const std::string> choices,
                    std::span<const int> gold) {
  if (lls.empty()) return 0.0;
  return in_gold(
      argmax_normalised(lls, choices,
                        [](const std::string& c) { return static_cast<double>(c.size()); }),
      gold);
}

double mc_acc_mutual_info(std::span<const double> lls, std::span<const double> unconditional,
                          std::span<const int> gold) {
  if (lls.empty()) return 0.0;
  std::vector<double> v(lls.size());
  for (size_t i = 0; i < lls.size(); ++i)
    v[i] = lls[i] - (i < unconditional.size() ? unconditional[i] : 0.0);
  return in_gold(argmax_first(v), gold);
}

// utils.softmax: e = exp(x - max(x)); e / e.sum(); then the brier aggregation's
// sum((p - onehot)^2) for this row. A gold outside the choices has no one-hot entry.
double brier_score(std::span<const double> lls, int gold) {
  if (lls.empty()) return 0.0;
  double mx = lls[0];
  for (double x : lls)
    if (x > mx || std::isnan(x)) mx = x;
  std::vector<double> e(lls.size());
  double sum = 0;
  for (size_t i = 0; i < lls.size(); ++i) {
    e[i] = std::exp(lls[i] - mx);
    sum += e[i];
  }
  double total = 0;
  for (size_t i = 0; i < lls.size(); ++i) {
    const double d = e[i] / sum - (static_cast<int>(i) == gold ? 1.0 : 0.0);
    total += d * d;
  }
  return total;
}

struct ExactMatcher::Impl {
  ExactMatchOptions options;
  std::vector<PyRegex> ignore;
  std::string normalise(std::string_view s) const {
    std::string t(s);
    for (const auto& r : ignore) t = r.remove_all(t);
    if (options.ignore_case) t = py_lower(t);
    if (options.ignore_punctuation || options.ignore_numbers) {
      static constexpr std::string_view kPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
      std::string kept;
      kept.reserve(t.size());
      for (char c : t) {
        if (options.ignore_punctuation && kPunctuation.find(c) != std::string_view::npos) continue;
        kept += c;
      }
      t = std::move(kept);
      if (options.ignore_numbers) {
        kept.clear();
        for (char c : t)
          if (c < '0' || c > '9') kept += c;
        t = std::move(kept);
      }
    }
    return t;
  }
};

ExactMatcher::ExactMatcher(ExactMatcher&&) noexcept = default;
ExactMatcher::~ExactMatcher() = default;

Result<ExactMatcher> ExactMatcher::create(const ExactMatchOptions& options) {
  ExactMatcher m;
  m.impl_ = std::make_unique<Impl>();
  m.impl_->options = options;
  for (size_t i = 0; i < options.regexes_to_ignore.size(); ++i) {
    auto r = PyRegex::compile(options.regexes_to_ignore[i]);
    if (!r.ok())
      return r.status().with_context(fmt::format("exact_match regexes_to_ignore[{}]", i));
    m.impl_->ignore.push_back(std::move(r).value());
  }
  return m;
}

double ExactMatcher::score(std::string_view prediction, std::string_view reference) const {
  return impl_->normalise(prediction) == impl_->normalise(reference) ? 1.0 : 0.0;
}

double ExactMatcher::score_any(std::string_view prediction,
                               std::span<const std::string> references) const {
  const std::string p = impl_->normalise(prediction);
  for (const auto& r : references)
    if (impl_->normalise(r) == p) return 1.0;
  return 0.0;
}

int64_t token_edit_distance(std::span<const int> a, std::span<const int> b) {
  std::vector<int64_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int64_t>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int64_t>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const int64_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({sub, prev[j] + 1, cur[j - 1] + 1});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// metrics.mean: sum(arr) / len(arr).
double mean(std::span<const double> values) {
  if (values.empty()) return std::nan("");
  double s = 0;
  for (double v : values) s += v;
  return s / static_cast<double>(values.size());
}

// metrics.mean_stderr: sample_stddev(arr) / sqrt(len(arr)), Bessel-corrected.
double mean_stderr(std::span<const double> values) {
  if (values.size() < 2) return 0.0;
  const double mu = mean(values);
  double ss = 0;
  for (double v : values) ss += (v - mu) * (v - mu);
  const double sd = std::sqrt(ss / static_cast<double>(values.size() - 1));
  return sd / std::sqrt(static_cast<double>(values.size()));
}

double perplexity_of_lls(std::span<const double> lls) { return std::exp(-mean(lls)); }

namespace {

// metrics.weighted_mean: a, b = zip(*items); sum(a) / sum(b).
double weighted_mean(std::span<const Weighted> items) {
  double a = 0, b = 0;
  for (const auto& w : items) a += w.ll;
  for (const auto& w : items) b += w.weight;
  return a / b;
}

}  // namespace

double weighted_perplexity(std::span<const Weighted> items) {
  return std::exp(-weighted_mean(items));
}

double bits_per_byte(std::span<const Weighted> items) {
  return -weighted_mean(items) / std::log(2.0);
}

// len(re.split(r"\s+", doc)): one more than the number of maximal runs of white space.
int64_t count_words(std::string_view doc) {
  int64_t runs = 0;
  bool in_space = false;
  for (size_t p = 0; p < doc.size();) {
    const bool space = py_isspace(uni::utf8_decode(doc, &p));
    if (space && !in_space) ++runs;
    in_space = space;
  }
  return runs + 1;
}

// The harness's bootstrap_stderr: chunks of min(1000, iters) replicates, iters / chunk chunks
// (a remainder is dropped, as there); chunk i draws with random.Random(i).choices(xs, k=len(xs)).
// Here chunk i uses Random(seed + i), so seed 0 reproduces the harness's replicates exactly.
// Returns the replicates' sample standard deviation; NaN when there is nothing to resample.
template <typename T>
double bootstrap_stderr(std::span<const T> items,
                        const std::function<double(std::span<const T>)>& aggregate, int iters,
                        uint64_t seed) {
  if (items.empty() || iters < 1) return std::nan("");
  const int chunk = std::min(1000, iters);
  const int chunks = iters / chunk;
  std::vector<double> replicates;
  replicates.reserve(static_cast<size_t>(chunks) * chunk);
  std::vector<T> draw(items.size());
  for (int c = 0; c < chunks; ++c) {
    PyRandom rnd(seed + static_cast<uint64_t>(c));
    for (int r = 0; r < chunk; ++r) {
      for (auto& d : draw) d = items[rnd.choice_index(items.size())];
      replicates.push_back(aggregate(std::span<const T>(draw)));
    }
  }
  if (replicates.size() < 2) return std::nan("");
  const double mu = mean(replicates);
  double ss = 0;
  for (double v : replicates) ss += (v - mu) * (v - mu);
  return std::sqrt(ss / static_cast<double>(replicates.size() - 1));
}

template double bootstrap_stderr<double>(std::span<const double>,
                                         const std::function<double(std::span<const double>)>&, int,
                                         uint64_t);
template double bootstrap_stderr<Weighted>(std::span<const Weighted>,
                                           const std::function<double(std::span<const Weighted>)>&,
                                           int, uint64_t);

}  // namespace lm::eval
