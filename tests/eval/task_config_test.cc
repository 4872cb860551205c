// task_config_test.cc: the task-file subset: every listed key parses, include resolves relative
// to the including file with overrides, and bad files (malformed YAML, unknown keys, !function,
// wrong types) fail naming the file, the line and the key.
#include "eval/task_config.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace lm::eval {
namespace {

using testing::scratch;
using testing::write_text;

TEST(TaskConfigTest, EveryKeyOfTheSubsetParses) {
  std::string d = scratch("task_config");
  write_text(d + "/t.yaml", R"Y(task: full
tag: [math]
dataset_path: data
dataset_name: sub
training_split: train
validation_split: validation
test_split: test
fewshot_split: train
description: "Solve.\n\n"
doc_to_text: "Q: {{q}}\nA:"
doc_to_target: "{{a}}"
target_delimiter: ""
fewshot_delimiter: "\n"
num_fewshot: 3
fewshot_config:
  sampler: first_n
  samples:
    - {q: "1+1", a: "2"}
output_type: generate_until
generation_kwargs:
  until: ["Q:", "\n\n"]
  max_gen_toks: 64
  do_sample: true
  temperature: 0.2
  top_k: 40
  top_p: 0.9
repeats: 4
filter_list:
  - name: maj
    filter:
      - function: regex
        regex_pattern: "The answer is (\\-?[0-9]+)"
        group_select: -1
        fallback: "[none]"
      - function: majority_vote
      - function: take_first
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
    ignore_case: true
    ignore_punctuation: true
    regexes_to_ignore: [",", "\\$"]
metadata:
  version: 3.0
should_decontaminate: false
)Y");
  auto c = load_task_config(d + "/t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->task, "full");
  EXPECT_EQ(c->tag, std::vector<std::string>{"math"});
  EXPECT_EQ(c->dataset_name, "sub");
  EXPECT_EQ(c->description, "Solve.\n\n");
  EXPECT_EQ(c->target_delimiter, "");
  EXPECT_EQ(c->fewshot_delimiter, "\n");
  EXPECT_EQ(c->num_fewshot.value_or(-1), 3);
  EXPECT_EQ(c->fewshot_sampler, "first_n");
  ASSERT_EQ(c->fewshot_samples.size(), 1u);
  EXPECT_EQ(c->fewshot_samples[0]["a"], "2");
  EXPECT_EQ(c->generation_kwargs.until, (std::vector<std::string>{"Q:", "\n\n"}));
  EXPECT_EQ(c->generation_kwargs.max_gen_toks, 64);
  EXPECT_TRUE(c->generation_kwargs.do_sample);
  EXPECT_DOUBLE_EQ(c->generation_kwargs.temperature, 0.2);
  EXPECT_EQ(c->generation_kwargs.top_k, 40);
  EXPECT_DOUBLE_EQ(c->generation_kwargs.top_p, 0.9);
  EXPECT_EQ(c->repeats, 4);
  ASSERT_EQ(c->filter_list.size(), 1u);
  ASSERT_EQ(c->filter_list[0].steps.size(), 3u);
  EXPECT_EQ(c->filter_list[0].steps[0].regex_pattern, "The answer is (\\-?[0-9]+)");
  EXPECT_EQ(c->filter_list[0].steps[0].group_select, -1);
  EXPECT_EQ(c->filter_list[0].steps[0].fallback, "[none]");
  ASSERT_EQ(c->metric_list.size(), 1u);
  EXPECT_TRUE(c->metric_list[0].exact_match.ignore_case);
  EXPECT_TRUE(c->metric_list[0].exact_match.ignore_punctuation);
  EXPECT_EQ(c->metric_list[0].exact_match.regexes_to_ignore.size(), 2u);
  EXPECT_EQ(task_version(*c), Json(3.0));
  EXPECT_EQ(c->raw["num_fewshot"], 3);
  EXPECT_EQ(c->raw["doc_to_text"], "Q: {{q}}\nA:");
}

TEST(TaskConfigTest, IncludeIsRelativeToTheIncludingFileAndOverridden) {
  std::string d = scratch("task_config_inc");
  write_text(d + "/base/_base.yaml",
             "dataset_path: data\ntest_split: test\ndoc_to_text: base\n"
             "doc_to_target: t\nnum_fewshot: 5\nmetadata: {version: 1}\n");
  write_text(d + "/base/child.yaml", "include: _base.yaml\ntask: child\nnum_fewshot: 1\n");
  auto c = load_task_config(d + "/base/child.yaml");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->num_fewshot.value_or(-1), 1);
  EXPECT_EQ(c->doc_to_text.text, "base");
  EXPECT_EQ(c->dataset_dir, d + "/base");
  EXPECT_EQ(task_version(*c), Json(1));
  EXPECT_FALSE(c->raw.contains("include"));
  write_text(d + "/base/bad.yaml", "task: x\ninclude: nowhere.yaml\n");
  auto bad = load_task_config(d + "/base/bad.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().to_string().find("bad.yaml:2: include"), std::string::npos)
      << bad.status().to_string();
}

std::string error_for(const std::string& yaml) {
  auto c = parse_task_config(yaml, "dir/task.yaml");
  return c.ok() ? "" : c.status().to_string();
}

TEST(TaskConfigTest, BadFilesNameFileLineAndKey) {
  const std::string ok =
      "task: t\ndataset_path: d\ntest_split: test\ndoc_to_text: x\ndoc_to_target: y\n";
  struct Case {
    std::string yaml, want;
  } cases[] = {
      {ok + "colour: red\n", "dir/task.yaml:6: unknown key 'colour'"},
      {ok + "doc_to_text: [unclosed\n", "dir/task.yaml:7"},
      {"task: t\n  bad indent: : :\n", "dir/task.yaml:2"},
      {ok + "process_docs: !function utils.process\n",
       "dir/task.yaml:6: process_docs: '!function'"},
      {ok + "doc_to_choice: !function utils.choices\n",
       "'!function' (Python code) is not supported"},
      {ok + "num_fewshot: many\n", "dir/task.yaml:6: num_fewshot: expected an integer"},
      {ok + "output_type: ranking\n", "'ranking' is not an output type"},
      {ok + "generation_kwargs:\n  until: [x]\n  beam: 4\n",
       "dir/task.yaml:8: unknown key 'beam' in generation_kwargs"},
      {ok + "metric_list:\n  - metric: acc\n    weight: 2\n",
       "dir/task.yaml:8: unknown key 'weight' in metric_list[0]"},
      {ok + "filter_list:\n  - name: f\n    filter:\n      - function: regex\n        pattern: x\n",
       "dir/task.yaml:10: unknown key 'pattern' in filter_list[0].filter[0]"},
      {ok + "fewshot_config:\n  sampler: random\n", "'random' is not a sampler"},
      {"dataset_path: d\ndoc_to_text: x\ndoc_to_target: y\n", "no 'task:' name"},
      {"- a\n- b\n", "must be a mapping"},
  };
  for (const auto& c : cases) {
    std::string e = error_for(c.yaml);
    EXPECT_NE(e.find(c.want), std::string::npos) << c.yaml << "\n-> " << e;
  }
}

TEST(TaskConfigTest, FunctionHintAndUnknownKeyHint) {
  auto c = parse_task_config("task: t\nprocess_docs: !function u.f\n", "x.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().hint().find("template"), std::string::npos);
}

}  // namespace
}  // namespace lm::eval
