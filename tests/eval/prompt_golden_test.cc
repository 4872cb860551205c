// prompt_golden_test.cc: the prompts and requests built for the hand-written tasks of
// tests/golden/eval/ equal the strings in prompts.golden.json, which were written by hand from
// the harness's rules (zero-shot, k-shot first_n, description, delimiters, multiple choice,
// mutual-information requests, the template subset). Requests are read back from what a fake
// model was asked (the samples' "arguments").
#include <gtest/gtest.h>

#include "core/file_util.h"
#include "eval/evaluator.h"
#include "fake_lm.h"
#include "test_util.h"

namespace lm::eval {
namespace {

TEST(PromptGoldenTest, HandWrittenPromptsAndRequests) {
  auto text = read_file(testing::golden_dir() + "/prompts.golden.json");
  ASSERT_TRUE(text.ok());
  Json golden = Json::parse(*text);
  for (const auto& c : golden["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    auto config = load_task_config(testing::golden_dir() + "/" + c["task"].get<std::string>());
    ASSERT_TRUE(config.ok()) << config.status().to_string();
    EvalTaskOptions o;
    if (!c["num_fewshot"].is_null()) o.num_fewshot = c["num_fewshot"].get<int>();
    o.log_samples = true;
    StrategyPlan plan;
    plan.strategy = "direct";
    plan.name = config->task;
    plan.config = *config;
    auto prepared = prepare_task(plan, o);
    ASSERT_TRUE(prepared.ok()) << prepared.status().to_string();
    std::vector<std::string> want;
    for (const auto& s : c["contexts"]) want.push_back(s.get<std::string>());
    EXPECT_EQ(prepared_contexts(**prepared), want);
    testing::FakeLm lm;
    auto r = run_task(lm, **prepared, o);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    if (c.contains("arguments")) {
      ASSERT_EQ(r->samples.size(), c["arguments"].size());
      for (size_t i = 0; i < r->samples.size(); i++) {
        Json s = Json::parse(r->samples[i]);
        EXPECT_EQ(s["arguments"], c["arguments"][i]) << "doc " << i;
        EXPECT_EQ(s["doc_id"], i);
        if (c.contains("targets")) {
          EXPECT_EQ(s["target"], c["targets"][i]);
        }
      }
    }
  }
}

}  // namespace
}  // namespace lm::eval
