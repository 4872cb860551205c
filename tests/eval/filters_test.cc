// filters_test.cc: eval/filters.h against metrics_reference.py (the harness's RegexFilter,
// take_first(_k), majority_vote via collections.Counter, lowercase/uppercase, str.strip) on
// hand-picked edge cases (group_select -1, tuples of groups, fallback, empty generations,
// "[invalid]" in the vote, first-seen ties) and 1,000 random response sets; PyRegex's findall
// and sub against Python's re; bad pipelines are errors naming the step.
#include "eval/filters.h"

#include <gtest/gtest.h>

#include "eval/py_compat.h"
#include "metrics_reference.h"

namespace lm::eval {
namespace {

std::vector<FilterStep> steps_of(const nlohmann::json& j) {
  std::vector<FilterStep> steps;
  for (const auto& s : j) {
    FilterStep f;
    f.function = s["function"];
    if (s.contains("regex_pattern")) f.regex_pattern = s["regex_pattern"];
    if (s.contains("group_select")) f.group_select = s["group_select"];
    if (s.contains("fallback")) f.fallback = s["fallback"];
    if (s.contains("ignore_case")) f.ignore_case = s["ignore_case"];
    if (s.contains("k")) f.k = s["k"];
    steps.push_back(f);
  }
  return steps;
}

TEST(Filters, PipelinesMatchTheHarness) {
  LM_EVAL_REFERENCE(ref);
  ASSERT_GE(ref["filters"].size(), 1000u);
  int named = 0;
  for (const auto& c : ref["filters"]) {
    auto p = FilterPipeline::create(c["name"], steps_of(c["steps"]), "test");
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    const auto resps = c["responses"].get<std::vector<std::string>>();
    EXPECT_EQ(p->apply(resps), c["expected"].get<std::vector<std::string>>()) << c.dump();
    if (c["name"].get<std::string>().rfind("random", 0) != 0) ++named;
  }
  EXPECT_EQ(named, 14);  // every hand-picked edge case was compared
}

TEST(Filters, MajorityVoteCountsInvalidAndFirstSeenWins) {
  FilterStep re;
  re.function = "regex";
  re.regex_pattern = "The answer is (\\-?[0-9]+)";
  FilterStep vote;
  vote.function = "majority_vote";
  auto p = FilterPipeline::create("maj", {re, vote}, "test");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->apply({"x", "The answer is 1", "y", "The answer is 1"}),
            std::vector<std::string>{"[invalid]"});  // 2 vs 2: [invalid] seen first
  EXPECT_EQ(p->apply({"The answer is 2", "x", "y", "The answer is 2", "The answer is 2"}),
            std::vector<std::string>{"2"});
  EXPECT_TRUE(p->apply({}).empty());
}

TEST(Filters, NoneIsTheIdentity) {
  auto p = FilterPipeline::create("none", {}, "test");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->name(), "none");
  EXPECT_EQ(p->apply({" a ", "b"}), (std::vector<std::string>{" a ", "b"}));
}

TEST(Filters, GroupSelectPastTheMatchesGivesTheFallback) {
  FilterStep re;
  re.function = "regex";
  re.regex_pattern = "[0-9]+";
  re.group_select = 3;
  auto p = FilterPipeline::create("g", {re}, "test");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->apply({"1 2"}), std::vector<std::string>{"[invalid]"});
  re.group_select = -2;
  auto q = FilterPipeline::create("g", {re}, "test");
  EXPECT_EQ(q->apply({"1 2 3"}), std::vector<std::string>{"2"});
}

TEST(Filters, BadStepsAreErrorsNamingTheStep) {
  FilterStep bad;
  bad.function = "regex";
  bad.regex_pattern = "(\\d+";
  auto p = FilterPipeline::create("strict", {bad}, "tasks/x.yaml: filter_list[0]");
  ASSERT_FALSE(p.ok());
  const std::string m = p.status().to_string();
  EXPECT_NE(m.find("tasks/x.yaml: filter_list[0]"), std::string::npos) << m;
  EXPECT_NE(m.find("(\\d+"), std::string::npos) << m;
  FilterStep unknown;
  unknown.function = "multi_choice_regex";
  auto q = FilterPipeline::create("f", {unknown}, "y.yaml");
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().to_string().find("multi_choice_regex"), std::string::npos);
  FilterStep k0;
  k0.function = "take_first_k";
  k0.k = 0;
  EXPECT_FALSE(FilterPipeline::create("f", {k0}, "y.yaml").ok());
}

TEST(PyRegex, FindallMatchesPython) {
  LM_EVAL_REFERENCE(ref);
  for (const auto& c : ref["findall"]) {
    auto r = PyRegex::compile(c["pattern"]);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->findall(c["text"].get<std::string>()),
              c["expected"].get<std::vector<std::vector<std::string>>>())
        << c.dump();
  }
}

TEST(PyRegex, SubMatchesPython) {
  LM_EVAL_REFERENCE(ref);
  for (const auto& c : ref["remove_all"]) {
    auto r = PyRegex::compile(c["pattern"]);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->remove_all(c["text"].get<std::string>()), c["expected"].get<std::string>())
        << c.dump();
  }
}

TEST(PyCompat, StripLowerUpper) {
  EXPECT_EQ(py_strip("\u3000 a b\u00a0\n"), "a b");
  EXPECT_EQ(py_strip("   "), "");
  EXPECT_EQ(py_strip(""), "");
  EXPECT_EQ(py_lower("ΣΑΣ ÉCOLE"), "σας école");
  EXPECT_EQ(py_upper("straße"), "STRASSE");
  EXPECT_EQ(py_lower("ABC"), "abc");
}

}  // namespace
}  // namespace lm::eval
