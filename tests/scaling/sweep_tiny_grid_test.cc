// sweep_tiny_grid_test.cc: the tiny sweep `make run` runs (examples/sweep-tiny.toml) plans the
// grid docs/sample-pipeline.md describes ("The tiny sweep"): budgets, shapes, N counting every
// parameter, the runs chosen per budget and their steps, and the held-out run's size. Planned
// only (plan_sweep), nothing is trained; a change to the grid must change the doc with it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scaling/sweep.h"

namespace lm::scaling {
namespace {

struct Expected {
  double budget;
  int n_layer, n_embd;
  double params;  // N (total)
  int64_t steps;
};

TEST(SweepTinyGrid, IsTheGridTheDocsDescribe) {
  auto c = load_sweep_config(std::string(LMFORGE_SOURCE_DIR) + "/examples/sweep-tiny.toml");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->budgets, (std::vector<double>{1e11, 2e11, 4e11}));
  EXPECT_EQ(c->holdout_budget, 8e11);
  EXPECT_TRUE(c->count_embeddings);
  EXPECT_EQ(c->vocab, 512);
  EXPECT_EQ(c->points_per_budget, 3);
  EXPECT_EQ(c->batch_size, 8);
  EXPECT_EQ(c->seq_len, 64);
  EXPECT_DOUBLE_EQ(c->lr, 3e-3);
  EXPECT_EQ(c->seed, 1u);
  // The doc's table: val loss per (budget, shape) with these step counts.
  const std::vector<Expected> want = {
      {1e11, 6, 8, 9856, 3303},   {1e11, 4, 12, 14472, 2249}, {1e11, 2, 32, 43904, 741},
      {2e11, 6, 8, 9856, 6606},   {2e11, 2, 24, 28320, 2299}, {2e11, 2, 48, 84288, 772},
      {4e11, 4, 12, 14472, 8997}, {4e11, 2, 24, 28320, 4598}, {4e11, 2, 48, 84288, 1545}};
  auto plan = plan_sweep(*c);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  ASSERT_EQ(plan->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const PlannedRun& r = (*plan)[i];
    EXPECT_EQ(r.budget, want[i].budget) << i;
    EXPECT_EQ(r.shape.n_layer, want[i].n_layer) << i;
    EXPECT_EQ(r.shape.n_embd, want[i].n_embd) << i;
    EXPECT_EQ(r.params, want[i].params) << i;
    EXPECT_EQ(r.steps, want[i].steps) << i;
    // Issue 16: every run is mostly layers, not embedding.
    EXPECT_GE(param_split(c->vocab, c->seq_len, r.shape).share(), 0.5) << i;
  }
  // Non-embedding shares 53%, 52%, 51%, 58%, 67% (the doc's table); every listed shape is used.
  EXPECT_NEAR(param_split(512, 64, {6, 1, 8}).share(), 0.53, 0.005);
  EXPECT_NEAR(param_split(512, 64, {4, 2, 12}).share(), 0.52, 0.005);
  EXPECT_NEAR(param_split(512, 64, {2, 3, 24}).share(), 0.51, 0.005);
  EXPECT_NEAR(param_split(512, 64, {2, 4, 32}).share(), 0.58, 0.005);
  EXPECT_NEAR(param_split(512, 64, {2, 6, 48}).share(), 0.67, 0.005);
  ASSERT_EQ(c->shapes.size(), 5u);
  for (const auto& sh : c->shapes) {
    bool used = false;
    for (const auto& r : *plan)
      used |= r.shape.n_layer == sh.n_layer && r.shape.n_embd == sh.n_embd;
    EXPECT_TRUE(used) << sh.n_layer << " x " << sh.n_embd;
  }
  // The held-out run the fit chose in the doc (2 x 32 at 8e11): 5,932 steps, 3.04 M tokens.
  PlannedRun held = plan_run(*c, {2, 4, 32}, c->holdout_budget);
  EXPECT_EQ(held.steps, 5932);
  EXPECT_NEAR(held.tokens / 1e6, 3.04, 0.005);
}

}  // namespace
}  // namespace lm::scaling
