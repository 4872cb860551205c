// approaches_test.cc: Approaches 1 and 2 and the KM power-law fits on runs generated from a known
// Chinchilla law (IsoFLOP slices), where the true compute-optimal exponent is beta/(alpha+beta).
#include "scaling/approaches.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/rng.h"
#include "scaling/laws.h"

namespace lm::scaling {
namespace {

RunsTable isoflop_runs(const ChinchillaParams& p, double noise) {
  Rng rng(11);
  RunsTable t;
  for (double c : {1e18, 3e18, 1e19, 3e19, 1e20, 3e20}) {
    Allocation al = chinchilla_allocation(p, c);
    for (double f = 0.25; f <= 4.01; f *= 1.41421356) {  // sizes around the optimum
      scaling::Run r;
      r.params = al.n_opt * f;
      r.tokens = c / (6 * r.params);
      r.flops = c;
      r.loss = p.loss(r.params, r.tokens) * std::exp(noise * rng.normal());
      t.runs.push_back(r);
    }
  }
  return t;
}

TEST(Approach2, RecoversTheAllocationExponent) {
  ChinchillaParams p = chinchilla_unrounded();
  std::vector<IsoFlopGroup> groups;
  auto f = fit_approach2(isoflop_runs(p, 0.0), &groups);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(groups.size(), 6u);
  EXPECT_EQ(f->points, 6);
  // The parabola in log N is an approximation of the true curve: a within 0.02.
  EXPECT_NEAR(f->a, 0.456526, 0.02);
  EXPECT_NEAR(f->a + f->b, 1.0, 1e-9);  // D = C / (6N)
  for (auto& g : groups) EXPECT_TRUE(g.inside);
}

TEST(Approach1, FinalLossEnvelopeAndCurves) {
  ChinchillaParams p = chinchilla_unrounded();
  auto f = fit_approach1(isoflop_runs(p, 0.0));
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_NEAR(f->a, 0.4565, 0.08);  // coarse: the best of ~9 sizes per budget
  // Curves: each model's loss at 20 checkpoints; the envelope gives N_opt ~ C^a.
  RunsTable t;
  for (double n = 1e7; n <= 1e10; n *= 2) {
    for (int k = 1; k <= 20; ++k) {
      scaling::Run r;
      r.params = n;
      r.tokens = n * 200 * k / 20.0;
      r.flops = 6 * r.params * r.tokens;
      r.loss = p.loss(r.params, r.tokens);
      r.name = fmt::format("n{}", n);
      t.runs.push_back(r);
    }
  }
  auto c = fit_approach1(t);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(c->note.find("envelope"), std::string::npos);
  EXPECT_NEAR(c->a, 0.4565, 0.05);
}

TEST(Approach2, TooFewSizesIsAClearError) {
  RunsTable t;
  t.runs.push_back(scaling::Run{1e8, 1e9, 3, 6e17, "", {}});
  t.runs.push_back(scaling::Run{2e8, 5e8, 3, 6e17, "", {}});
  auto f = fit_approach2(t, nullptr);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("IsoFLOP"), std::string::npos);
}

TEST(PowerLaw, RecoversIrreducibleForm) {
  PowerLaw truth{1.7, 5e7, 0.35};
  std::vector<double> x, y;
  for (double v = 1e6; v < 1e11; v *= 3) {
    x.push_back(v);
    y.push_back(truth(v));
  }
  auto f = fit_power_law(x, y);
  ASSERT_TRUE(f.ok());
  EXPECT_NEAR(f->law.l_inf, 1.7, 1e-4);
  EXPECT_NEAR(f->law.alpha, 0.35, 1e-4);
  EXPECT_NEAR(f->law.x0 / 5e7, 1, 1e-3);
  EXPECT_FALSE(fit_power_law({1, 2}, {3, 2}).ok());
}

TEST(Parabola, ExactOnAParabola) {
  auto p = fit_parabola({1, 2, 3, 4}, {2 - 3 + 0.5, 2 - 6 + 2, 2 - 9 + 4.5, 2 - 12 + 8});
  ASSERT_TRUE(p.ok());
  EXPECT_NEAR((*p)[0], 2, 1e-9);
  EXPECT_NEAR((*p)[1], -3, 1e-9);
  EXPECT_NEAR((*p)[2], 0.5, 1e-9);
}

}  // namespace
}  // namespace lm::scaling
