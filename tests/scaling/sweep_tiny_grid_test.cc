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
      {1e11, 1, 16, 12528, 2598}, {1e11, 2, 24, 28320, 1149}, {1e11, 2, 32, 43904, 741},
      {2e11, 1, 16, 12528, 5197}, {2e11, 2, 24, 28320, 2299}, {2e11, 2, 48, 84288, 772},
      {4e11, 2, 24, 28320, 4598}, {4e11, 2, 32, 43904, 2966}, {4e11, 2, 48, 84288, 1545}};
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
  }
  // Non-embedding shares 26%, 51%, 58%, 67%; the 1 x 8 shape is over max_tokens_per_param at
  // every budget (the doc lists it as unused).
  EXPECT_NEAR(param_split(512, 64, {1, 2, 16}).share(), 0.26, 0.005);
  EXPECT_NEAR(param_split(512, 64, {2, 3, 24}).share(), 0.51, 0.005);
  EXPECT_NEAR(param_split(512, 64, {2, 4, 32}).share(), 0.58, 0.005);
  EXPECT_NEAR(param_split(512, 64, {2, 6, 48}).share(), 0.67, 0.005);
  for (double b : c->budgets) {
    PlannedRun tiny = plan_run(*c, {1, 1, 8}, b);
    EXPECT_GT(tiny.tokens / tiny.params, c->max_tokens_per_param) << b;
  }
  // The held-out run the fit chose in the doc (2 x 24 at 8e11): 9,196 steps, 4.71 M tokens.
  PlannedRun held = plan_run(*c, {2, 3, 24}, c->holdout_budget);
  EXPECT_EQ(held.steps, 9196);
  EXPECT_NEAR(held.tokens / 1e6, 4.71, 0.005);
}

}  // namespace
}  // namespace lm::scaling
