// runs_test.cc: runs.csv parsing and its bad-input errors (missing columns, non-positive sizes,
// NaN losses, ragged rows): each names the file, the line and the column.
#include "scaling/runs.h"

#include <gtest/gtest.h>

namespace lm::scaling {
namespace {

TEST(RunsCsv, ParsesAndKeepsExtraColumns) {
  auto t = parse_runs_csv(
      "name,params,tokens,loss,lr\nr1,1e8,2e9,3.1,0.001\n\"r,2\",2e8,4e9,2.9,0.002\n", "runs.csv");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  ASSERT_EQ(t->runs.size(), 2u);
  EXPECT_EQ(t->runs[1].name, "r,2");
  EXPECT_DOUBLE_EQ(t->runs[0].flops, 6 * 1e8 * 2e9);
  ASSERT_EQ(t->extra_columns, std::vector<std::string>{"lr"});
  EXPECT_EQ(t->runs[1].extra[0], "0.002");
}

TEST(RunsCsv, TokensFromFlops) {
  auto t = parse_runs_csv("params,flops,loss\n1e8,1.2e18,3\n", "x.csv");
  ASSERT_TRUE(t.ok());
  EXPECT_DOUBLE_EQ(t->runs[0].tokens, 2e9);
}

void expect_error(const std::string& csv, const std::string& needle) {
  auto t = parse_runs_csv(csv, "runs.csv");
  ASSERT_FALSE(t.ok()) << csv;
  EXPECT_NE(t.status().message().find(needle), std::string::npos) << t.status().message();
}

TEST(RunsCsv, BadInputNamesTheRow) {
  expect_error("params,loss\n1,2\n", "runs.csv:1: missing column(s): tokens");
  expect_error("params,tokens\n1,2\n", "missing column(s): loss");
  expect_error("params,tokens,loss\n1e8,1e9,3\n-5,1e9,3\n",
               "runs.csv:3: column 'params' must be > 0");
  expect_error("params,tokens,loss\n1e8,0,3\n", "runs.csv:2: column 'tokens' must be > 0");
  expect_error("params,tokens,loss\n1e8,1e9,nan\n",
               "runs.csv:2: column 'loss' is nan (not finite)");
  expect_error("params,tokens,loss\n1e8,1e9,abc\n", "runs.csv:2: column 'loss' is not a number");
  expect_error("params,tokens,loss\n1e8,1e9\n", "runs.csv:2: 2 fields, the header has 3");
  expect_error("", "empty file");
}

TEST(RunsCsv, DropHighestLosses) {
  RunsTable t;
  for (double l : {3.0, 5.0, 2.0, 4.0, 1.0}) t.runs.push_back(scaling::Run{1, 1, l, 6, "", {}});
  RunsTable d = drop_highest_losses(t, 2);
  ASSERT_EQ(d.runs.size(), 3u);
  for (auto& r : d.runs) EXPECT_LT(r.loss, 4.0);
}

}  // namespace
}  // namespace lm::scaling
