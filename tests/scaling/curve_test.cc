// curve_test.cc: metrics.jsonl parsing, loss-curve extrapolation (fit on the first half, predict
// the end) and the monitor (spikes, non-finite losses and divergence flagged; a clean noisy curve
// raises nothing), on curves generated from a known law.
#include "scaling/curve.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/rng.h"

namespace lm::scaling {
namespace {

std::string make_metrics(int steps, double noise, int spike_at = -1, int nan_at = -1,
                         int diverge_from = -1) {
  Rng rng(5);
  std::string out = "{\"event\":\"start\"}\n";
  for (int s = 1; s <= steps; ++s) {
    double tokens = s * 4096.0;
    double loss = 2.0 + std::pow(1e6 / tokens, 0.3);
    loss *= std::exp(noise * rng.normal());
    if (s == spike_at) loss *= 1.6;
    if (diverge_from > 0 && s >= diverge_from) loss *= 1.0 + 0.05 * (s - diverge_from + 1);
    std::string l = s == nan_at ? "null" : fmt::format("{:.6f}", loss);
    out += fmt::format("{{\"step\":{},\"tokens\":{},\"loss\":{},\"lr\":0.001,\"grad_norm\":1.0}}\n",
                       s, tokens, l);
  }
  out += fmt::format("{{\"step\":{},\"tokens\":{},\"val_loss\":2.5}}\n", steps, steps * 4096.0);
  return out;
}

TEST(Metrics, ParsesAndRejectsGarbage) {
  auto m = parse_metrics(make_metrics(10, 0), "m.jsonl");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->points.size(), 10u);
  ASSERT_EQ(m->val.size(), 1u);
  EXPECT_DOUBLE_EQ(m->val[0].val_loss, 2.5);
  auto bad =
      parse_metrics("{\"step\":1,\"loss\":2}\nnot json\n{\"step\":2,\"loss\":2}\n", "m.jsonl");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("m.jsonl:2"), std::string::npos);
  // A half-written last line (a live run) is tolerated.
  EXPECT_TRUE(parse_metrics("{\"step\":1,\"loss\":2}\n{\"step\":2,\"lo", "m.jsonl").ok());
  EXPECT_FALSE(parse_metrics("{\"event\":1}\n", "m.jsonl").ok());
}

TEST(Extrapolate, PredictsFinalLossFromFirstHalf) {
  auto m = parse_metrics(make_metrics(2000, 0.003), "m.jsonl");
  ASSERT_TRUE(m.ok());
  auto e = extrapolate(*m, 0.5);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  double truth = 2.0 + std::pow(1e6 / (2000 * 4096.0), 0.3);
  EXPECT_NEAR(e->predicted, truth, 0.01 * truth);
  EXPECT_NEAR(e->rel_error, 0.0, 0.01);
  EXPECT_FALSE(extrapolate(*m, 0.0).ok());
}

TEST(Monitor, CleanRunRaisesNothing) {
  auto m = parse_metrics(make_metrics(600, 0.004), "m.jsonl");
  auto a = monitor(*m, {});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->empty()) << a->size() << " alerts, first at step " << (*a)[0].step;
}

TEST(Monitor, FlagsSpikeNanAndDivergence) {
  auto m = parse_metrics(make_metrics(600, 0.004, 300, 400, 550), "m.jsonl");
  auto a = monitor(*m, {});
  ASSERT_TRUE(a.ok());
  bool spike = false, nan = false, diverge = false;
  for (const auto& x : *a) {
    if (x.step == 300 && x.kind == "spike") spike = true;
    if (x.step == 400 && x.kind == "non-finite") nan = true;
    if (x.step >= 550 && x.kind == "divergence") diverge = true;
    EXPECT_TRUE(x.step == 300 || x.step == 400 || x.step >= 550) << "false alarm at " << x.step;
  }
  EXPECT_TRUE(spike);
  EXPECT_TRUE(nan);
  EXPECT_TRUE(diverge);
}

}  // namespace
}  // namespace lm::scaling
