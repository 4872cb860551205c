// laws_test.cc: published laws and allocations against the reference numbers in the scaling
// notes (../shared/reference/scaling/reference_numbers.json, copied here as literals).
#include "scaling/laws.h"

#include <gtest/gtest.h>

#include <cmath>

namespace lm::scaling {
namespace {

TEST(Chinchilla, PointChecks) {
  EXPECT_NEAR(chinchilla_rounded().loss(70e9, 1.4e12), 1.93665, 5e-6);
  EXPECT_NEAR(chinchilla_rounded().loss(280e9, 300e9), 1.99326, 5e-6);
}

struct AllocCase {
  ChinchillaParams p;
  double c, n, d, ratio, loss;
};

TEST(Chinchilla, AllocationTable) {
  const AllocCase cases[] = {
      {chinchilla_rounded(), 1e21, 1.8242e9, 9.1363e10, 50.08, 2.32888},
      {chinchilla_rounded(), 5.76e23, 3.2190e10, 2.9823e12, 92.65, 1.93075},
      {chinchilla_rounded(), 1e25, 1.1682e11, 1.4267e13, 122.12, 1.84532},
      {chinchilla_unrounded(), 1e21, 2.2170e9, 7.5178e10, 33.91, 2.29549},
      {chinchilla_unrounded(), 5.76e23, 4.0361e10, 2.3785e12, 58.93, 1.91841},
      {chinchilla_unrounded(), 1e25, 1.4855e11, 1.1220e13, 75.53, 1.83802},
      {epoch_2024(), 1e21, 2.7821e9, 5.9906e10, 21.53, 2.30480},
      {epoch_2024(), 5.76e23, 7.2356e10, 1.3268e12, 18.34, 1.97396},
      {epoch_2024(), 1e25, 3.1256e11, 5.3323e12, 17.06, 1.91130},
  };
  for (const auto& k : cases) {
    Allocation a = chinchilla_allocation(k.p, k.c);
    EXPECT_NEAR(a.n_opt / k.n, 1, 1e-4) << k.c;
    EXPECT_NEAR(a.d_opt / k.d, 1, 1e-4) << k.c;
    EXPECT_NEAR(a.tokens_per_param(), k.ratio, 0.01) << k.c;
    EXPECT_NEAR(a.loss, k.loss, 1e-5) << k.c;
    EXPECT_NEAR(6 * a.n_opt * a.d_opt / k.c, 1, 1e-12);  // C = 6 N D
  }
  Allocation r = chinchilla_allocation(chinchilla_rounded(), 1e21);
  EXPECT_NEAR(r.G, 1.344711, 1e-6);
  EXPECT_NEAR(r.a, 0.451613, 1e-6);
  Allocation u = chinchilla_allocation(chinchilla_unrounded(), 1e21);
  EXPECT_NEAR(u.G, 1.300046, 1e-6);
  EXPECT_NEAR(u.a, 0.456526, 1e-6);
}

TEST(Kaplan, ReferenceValues) {  // K1-K3
  EXPECT_NEAR(km_loss_n(1e9), 2.37564, 5e-6);
  EXPECT_NEAR(km_loss_n(1e10), 1.99425, 5e-6);
  EXPECT_NEAR(km_loss_cmin(1), 2.65808, 5e-6);
  EXPECT_NEAR(km_loss_cmin(1e3), 1.88178, 5e-6);
  EXPECT_NEAR(km_loss_nd(1e9, 1e10), 2.41965, 5e-6);
  Allocation a = km_allocation(kPfDay);  // 1 PF-day: N = 1.3e9
  EXPECT_NEAR(a.n_opt, 1.3e9, 1);
  EXPECT_NEAR(a.a, 0.73, 0);
  EXPECT_NEAR(a.G * std::pow(kPfDay / 6, a.a), 1.3e9, 1e3);
}

// Kaplan et al. 2020 eqs. 1.6, 5.1, 5.4, 5.5 with the notes' constants.
TEST(Kaplan, StepsAndCriticalBatch) {
  // With unlimited steps L(N, S) is L(N) (K1); at S_min = S_c the step term is exactly 1.
  EXPECT_NEAR(km_loss_ns(1e9, 1e30), 2.37564, 5e-6);
  EXPECT_NEAR(km_loss_ns(1e9, 2.1e3), 2.37564 + 1, 5e-6);
  // B_crit = 2e8 tokens at L = 1 nat, and doubles when L falls by 2^-0.21.
  EXPECT_DOUBLE_EQ(km_b_crit(1.0), 2e8);
  EXPECT_NEAR(km_b_crit(3.0 * std::pow(2.0, -0.21)) / km_b_crit(3.0), 2.0, 1e-9);
  // Training at B = B_crit takes twice the minimum steps and twice the minimum compute (5.4/5.5).
  const double b = km_b_crit(2.5);
  EXPECT_NEAR(km_s_min(1e5, b, 2.5), 0.5e5, 1e-6);
  EXPECT_NEAR(km_c_min(1e20, b, 2.5), 0.5e20, 1e6);
  // At a finite batch the loss after S steps is higher than with S minimal steps, and it solves
  // its own fixed point.
  double l = km_loss_ns_at_batch(1e9, 1e5, 1e6);
  EXPECT_GT(l, km_loss_ns(1e9, 1e5));
  EXPECT_NEAR(l, km_loss_ns(1e9, km_s_min(1e5, 1e6, l)), 1e-9);
}

TEST(DataConstrained, PublishedChecks) {
  EXPECT_NEAR(data_constrained_loss(6.34e9, 242e9, 25e9).loss, 2.2256440889984477, 1e-9);
  EXPECT_NEAR(data_constrained_loss(8.67e9, 178e9, 25e9).loss, 2.2269634075087867, 1e-9);
  // 4 epochs keep 93.1% of the value of unique data; the cap is 16.39 U.
  DataConstrained four = data_constrained_loss(1e9, 4e10, 1e10);
  EXPECT_NEAR(four.d_eff / 4e10, 0.931, 1e-3);
  EXPECT_NEAR(data_constrained_loss(1e9, 1e15, 1e10).d_eff / 1e10, 16.39, 0.01);
  // No repetition: the same as unique data.
  EXPECT_DOUBLE_EQ(data_constrained_loss(1e9, 1e10, 1e10).d_eff, 1e10);
}

TEST(Laws, PowerLawFormAndValidation) {
  PowerLaw p{1.5, 1e8, 0.3};
  EXPECT_NEAR(p(1e8), 2.5, 1e-12);
  EXPECT_FALSE(check_positive("params", -1).ok());
  EXPECT_FALSE(check_positive("params", NAN).ok());
  EXPECT_TRUE(check_positive("params", 3).ok());
}

}  // namespace
}  // namespace lm::scaling
