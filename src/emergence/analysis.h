// analysis.h: the study's arithmetic, free of models and files so that tests pin it:
//   the mirage test (Schaeffer et al. 2023): exact match predicted from per-token accuracy p as
//     p^L for an L-token answer, and a smooth fit of the continuous metric against log N
//     (logit(p) = a + b log10 N, least squares) whose implied exact match p(N)^L is compared with
//     the measured one: exact match "departs" when it is further from the implied curve than
//     twice the larger of its standard error and the implied value's binomial error
//     sqrt(q(1-q)/n) (and 0.02) at some size;
//   Olsson et al.'s in-context-learning score: mean loss at token 500 minus mean loss at token 50
//     (negative: later tokens are predicted better, the context is used);
//   steps between adjacent sizes (the regression check's "smoother than").
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace lm::emergence {

// mean over answers of p^L_i (one L per answer); p^L when all answers have length L.
double predicted_exact_match(double p, std::span<const int> lengths);

struct LogitFit {
  double a = 0, b = 0;  // logit(y) = a + b log10(N)
  double rmse = 0;      // in y, over the fitted points
  int points = 0;
  double operator()(double n) const;
};
// Least squares in logit space; values are clipped to [eps, 1-eps] (eps = 1e-3). Needs >= 2
// distinct N.
std::optional<LogitFit> fit_logit_vs_log_n(std::span<const double> n, std::span<const double> y);

struct MirageRow {
  double n = 0;
  double token_accuracy = 0, exact_match = 0, exact_match_stderr = 0;
  int64_t documents = 0;      // scored (the binomial error of the implied exact match)
  double predicted_pL = 0;    // from the measured token accuracy
  double implied_by_fit = 0;  // from the smooth fit of token accuracy
  double departure = 0;       // exact_match - implied_by_fit
};
struct MirageResult {
  std::vector<MirageRow> rows;
  std::optional<LogitFit> fit;
  bool departs = false;            // exact match beyond what the smooth curve implies
  double max_departure = 0;        // signed, the largest in magnitude
  double steepest_em_step = 0;     // max |EM(i+1) - EM(i)| over adjacent sizes
  double steepest_token_step = 0;  // the same for token accuracy
  std::string verdict;             // one sentence
};
// Rows sorted by N. lengths: the answers' token counts (p^L's L).
MirageResult mirage_test(std::vector<MirageRow> rows, std::span<const int> lengths);

// Largest |y[i+1] - y[i]| (y in the order given).
double steepest_step(std::span<const double> y);

// Mean and standard error (Bessel) of b[i] - a[i] over the i where both are finite: a paired
// comparison of two models on the same documents.
struct PairedDifference {
  double mean = NAN, stderr_value = NAN;
  int n = 0;
};
PairedDifference paired_difference(std::span<const double> a, std::span<const double> b);

// loss_at[i]: mean loss of predicting token i (0-based; loss_at[0] unused). Token 500 is index
// 499, token 50 index 49. NaN when the curve is shorter than 500 tokens.
double icl_score(std::span<const double> loss_at);

}  // namespace lm::emergence
