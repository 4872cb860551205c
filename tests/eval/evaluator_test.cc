// evaluator_test.cc: the evaluator against a closed-form bigram model (fake_lm.h): per-document
// metrics equal a recomputation by hand, filters and self-consistency vote as the harness does,
// zero-shot CoT builds Kojima's two stages, results.json has the harness's layout and is
// byte-identical run to run (date and timing aside), and bad input fails before any scoring with
// nothing written in OUT.
#include "eval/evaluator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/file_util.h"
#include "eval/eval_tasks.h"
#include "fake_lm.h"
#include "test_util.h"

namespace lm::eval {
namespace {

namespace fs = std::filesystem;
using testing::FakeLm;
using testing::scratch;
using testing::write_text;

Result<TaskResult> run_yaml(const std::string& path, FakeLm& lm, EvalTaskOptions o = {}) {
  LM_ASSIGN_OR_RETURN(TaskConfig c, load_task_config(path));
  StrategyPlan plan;
  plan.strategy = "direct";
  plan.name = c.task;
  plan.config = c;
  LM_ASSIGN_OR_RETURN(PreparedTaskPtr p, prepare_task(plan, o));
  return run_task(lm, *p, o);
}

const MetricValue* find(const TaskResult& r, const std::string& metric,
                        const std::string& filter = "none") {
  for (const auto& m : r.metrics)
    if (m.metric == metric && m.filter == filter) return &m;
  return nullptr;
}

TEST(EvaluatorTest, MultipleChoiceMetricsEqualTheClosedForm) {
  std::string d = scratch("evaluator_mc");
  write_text(d + "/mc.jsonl",
             "{\"q\": \"the c\", \"ch\": [\"at\", \"ow\", \"\\u00e9t\\u00e9s\"], \"y\": 0}\n"
             "{\"q\": \"on th\", \"ch\": [\"e mat\", \"x\"], \"y\": 1}\n"
             "{\"q\": \"1+1=\", \"ch\": [\"2\", \"4\", \"22\"], \"y\": 2}\n");
  write_text(d + "/mc.yaml",
             "task: mc\ndataset_path: mc.jsonl\ntest_split: test\ndoc_to_text: q\n"
             "doc_to_target: y\ndoc_to_choice: ch\ntarget_delimiter: \"\"\n"
             "output_type: multiple_choice\nmetric_list:\n  - metric: acc\n"
             "  - metric: acc_norm\n  - metric: acc_bytes\n  - metric: acc_mutual_info\n"
             "  - metric: brier_score\n  - metric: exact_match\n");
  FakeLm lm;
  auto r = run_yaml(d + "/mc.yaml", lm);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  struct Doc {
    std::string q;
    std::vector<std::string> ch;
    int y;
  } docs[] = {{"the c", {"at", "ow", "\xc3\xa9t\xc3\xa9s"}, 0},
              {"on th", {"e mat", "x"}, 1},
              {"1+1=", {"2", "4", "22"}, 2}};
  double acc = 0, norm = 0, bytes = 0, mi = 0, brier = 0, em = 0;
  for (const auto& doc : docs) {
    std::vector<double> ll, un, cps;
    for (const auto& c : doc.ch) {
      ll.push_back(lm.score(doc.q, c).logprob);
      un.push_back(lm.score("", c).logprob);
      size_t n = 0;
      for (unsigned char b : c) n += (b & 0xC0) != 0x80;
      cps.push_back((double)n);
    }
    auto best = [&](auto f) {
      int b = 0;
      for (int i = 1; i < (int)ll.size(); i++)
        if (f(i) > f(b)) b = i;
      return b;
    };
    acc += best([&](int i) { return ll[i]; }) == doc.y;
    norm += best([&](int i) { return ll[i] / cps[i]; }) == doc.y;
    bytes += best([&](int i) { return ll[i] / (double)doc.ch[i].size(); }) == doc.y;
    mi += best([&](int i) { return ll[i] - un[i]; }) == doc.y;
    double mx = *std::max_element(ll.begin(), ll.end()), z = 0;
    for (double x : ll) z += std::exp(x - mx);
    for (int i = 0; i < (int)ll.size(); i++) {
      double p = std::exp(ll[i] - mx) / z;
      brier += (p - (i == doc.y)) * (p - (i == doc.y));
    }
    em += lm.score(doc.q, doc.ch[doc.y]).is_greedy;
  }
  EXPECT_DOUBLE_EQ(find(*r, "acc")->value, acc / 3);
  EXPECT_DOUBLE_EQ(find(*r, "acc_norm")->value, norm / 3);
  EXPECT_DOUBLE_EQ(find(*r, "acc_bytes")->value, bytes / 3);
  EXPECT_DOUBLE_EQ(find(*r, "acc_mutual_info")->value, mi / 3);
  EXPECT_NEAR(find(*r, "brier_score")->value, brier / 3, 1e-12);
  EXPECT_DOUBLE_EQ(find(*r, "exact_match")->value, em / 3);
  EXPECT_FALSE(find(*r, "brier_score")->higher_is_better);
  // 3 choices + 2 + 3, each asked conditioned and (acc_mutual_info) unconditioned
  EXPECT_EQ(lm.ll_log.size(), 16u);
  EXPECT_EQ(lm.ll_log[3].context, "");
  EXPECT_EQ(lm.ll_log[3].continuation, "at");
}

TEST(EvaluatorTest, LoglikelihoodRollingAndGenerationTokenMetrics) {
  std::string d = scratch("evaluator_ll");
  write_text(d + "/w.jsonl",
             "{\"text\": \"the cat sat\", \"last\": \"sat\"}\n{\"text\": \"on the mat.\", "
             "\"last\": \"mat.\"}\n");
  write_text(d + "/ll.yaml",
             "task: ll\ndataset_path: w.jsonl\ntest_split: test\ndoc_to_text: \"{{text}}\"\n"
             "doc_to_target: last\noutput_type: loglikelihood\nmetric_list:\n"
             "  - metric: perplexity\n  - metric: acc\n  - metric: target_logprob\n");
  write_text(d + "/roll.yaml",
             "task: roll\ndataset_path: w.jsonl\ntest_split: test\ndoc_to_text: \"\"\n"
             "doc_to_target: text\noutput_type: loglikelihood_rolling\n");
  FakeLm lm;
  auto r = run_yaml(d + "/ll.yaml", lm);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  double l0 = lm.score("the cat sat", " sat").logprob,
         l1 = lm.score("on the mat.", " mat.").logprob;
  EXPECT_NEAR(find(*r, "perplexity")->value, std::exp(-(l0 + l1) / 2), 1e-12);
  EXPECT_NEAR(find(*r, "target_logprob")->value, (l0 / 4 + l1 / 5) / 2, 1e-12);
  ASSERT_TRUE(find(*r, "perplexity")->stderr_value.has_value());  // bootstrap
  auto rr = run_yaml(d + "/roll.yaml", lm);
  ASSERT_TRUE(rr.ok()) << rr.status().to_string();
  double a = 0, b = 0;
  for (std::string s : {"the cat sat", "on the mat."}) {
    int prev = FakeLm::kEot;
    for (unsigned char c : s) a += lm.logp(prev, c), prev = c;
  }
  b = 11 + 11;
  EXPECT_NEAR(find(*rr, "word_perplexity")->value, std::exp(-a / 6), 1e-9);
  EXPECT_NEAR(find(*rr, "byte_perplexity")->value, std::exp(-a / b), 1e-9);
  EXPECT_NEAR(find(*rr, "bits_per_byte")->value, -a / (b * std::log(2.0)), 1e-9);
}

TEST(EvaluatorTest, FiltersAndMajorityVoteAsTheHarness) {
  std::string d = scratch("evaluator_sc");
  write_text(
      d + "/g.jsonl",
      "{\"q\": \"a\", \"y\": \"5\"}\n{\"q\": \"b\", \"y\": \"7\"}\n{\"q\": \"c\", \"y\": \"9\"}\n");
  write_text(d + "/g.yaml", R"Y(task: g
dataset_path: g.jsonl
test_split: test
doc_to_text: "Q: {{q}}\nA:"
doc_to_target: y
output_type: generate_until
repeats: 4
generation_kwargs: {until: ["\n\n"], do_sample: true, temperature: 0.7}
filter_list:
  - name: score-first
    filter: [{function: regex, regex_pattern: "The answer is (\\d+)"}, {function: take_first}]
  - name: maj@4
    filter: [{function: regex, regex_pattern: "The answer is (\\d+)"}, {function: majority_vote}, {function: take_first}]
metric_list:
  - metric: exact_match
  - metric: token_edit_distance
)Y");
  FakeLm lm;
  // doc a: 3, 5, 5, 3 -> tie, first seen (3) wins; doc b: invalid, invalid, 7 -> "[invalid]";
  // doc c: 9 first then 1, 9 -> 9.
  std::map<std::string, std::vector<std::string>> answers = {
      {"Q: a\nA:",
       {"The answer is 3.", "The answer is 5.", "The answer is 5.", "The answer is 3."}},
      {"Q: b\nA:", {"no idea", "hmm", "The answer is 7.", "?"}},
      {"Q: c\nA:", {"The answer is 9.", "The answer is 1.", "The answer is 9.", "x"}}};
  lm.script = [&](const GenerationRequest& q, int j) { return answers[q.context][j]; };
  EvalTaskOptions o;
  o.log_samples = true;
  auto r = run_yaml(d + "/g.yaml", lm, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_DOUBLE_EQ(find(*r, "exact_match", "score-first")->value, 1.0 / 3);  // 3 != 5, invalid, 9
  EXPECT_DOUBLE_EQ(find(*r, "exact_match", "maj@4")->value, 1.0 / 3);        // 3, [invalid], 9
  EXPECT_FALSE(find(*r, "token_edit_distance", "maj@4")->higher_is_better);
  // edit distance of "3" vs "5" = 1, "[invalid]" vs "7" = 9, "9" vs "9" = 0
  EXPECT_DOUBLE_EQ(find(*r, "token_edit_distance", "maj@4")->value, 10.0 / 3);
  ASSERT_EQ(lm.gen_log.size(), 3u);
  EXPECT_EQ(lm.gen_log[0].samples, 4);
  EXPECT_TRUE(lm.gen_log[0].kwargs.do_sample);
  ASSERT_EQ(r->samples.size(), 6u);  // 3 documents x 2 filters
  Json s = Json::parse(r->samples[3]);
  EXPECT_EQ(s["filter"], "maj@4");
  EXPECT_EQ(s["filtered_resps"], Json::array({"[invalid]"}));
  EXPECT_EQ(s["resps"][0].size(), 4u);
  EXPECT_EQ(s["exact_match"], 0.0);
  EXPECT_EQ(s["doc_hash"].get<std::string>().size(), 64u);
}

TEST(EvaluatorTest, ZeroShotCotTwoStagesAndFirstNumber) {
  EXPECT_EQ(first_number("so 1,234.5 apples, then 7"), "1234.5");
  EXPECT_EQ(first_number(" -12."), "-12");
  EXPECT_EQ(first_number("none"), "[invalid]");
  std::string d = scratch("evaluator_zs");
  write_text(d + "/g.jsonl", "{\"q\": \"2+3\", \"y\": \"5\"}\n");
  write_text(
      d + "/g.yaml",
      "task: add\ndataset_path: g.jsonl\ntest_split: test\ndoc_to_text: \"Q: {{q}}\\nA:\"\n"
      "doc_to_target: y\noutput_type: generate_until\ngeneration_kwargs: {until: [\"\\n\"]}\n");
  auto c = load_task_config(d + "/g.yaml");
  ASSERT_TRUE(c.ok());
  StrategyOptions so;
  auto none = [](const std::string&) -> Result<std::optional<TaskConfig>> {
    return std::optional<TaskConfig>();
  };
  auto plan = plan_strategy(*c, "zs-cot", so, none);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  EXPECT_EQ(plan->name, "add@zs-cot");
  EvalTaskOptions o;
  auto p = prepare_task(*plan, o);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  FakeLm lm;
  lm.script = [](const GenerationRequest& q, int) {
    return q.kwargs.max_gen_toks == 128 ? std::string(" 2 plus 3 makes 5.") : std::string(" 5.");
  };
  auto r = run_task(lm, **p, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(lm.gen_log.size(), 2u);
  EXPECT_EQ(lm.gen_log[0].context, "Q: 2+3\nA: Let's think step by step.");
  EXPECT_EQ(lm.gen_log[0].kwargs.max_gen_toks, 128);
  EXPECT_EQ(lm.gen_log[0].kwargs.until, std::vector<std::string>{"\n\n"});  // "\n" dropped
  EXPECT_EQ(lm.gen_log[1].context,
            "Q: 2+3\nA: Let's think step by step. 2 plus 3 makes 5.\nTherefore, the answer (arabic "
            "numerals) is");
  EXPECT_EQ(lm.gen_log[1].kwargs.max_gen_toks, 32);
  EXPECT_DOUBLE_EQ(find(*r, "exact_match", "first-number")->value, 1.0);
  // a multiple-choice task refuses generative strategies before scoring
  TaskConfig mc = *c;
  mc.output_type = "multiple_choice";
  EXPECT_FALSE(plan_strategy(mc, "cot", so, none).ok());
}

// A task folder with a direct task and its _cot sibling, for run_eval_tasks.
std::string task_folder(const std::string& d) {
  write_text(d + "/tasks/data/add/test.jsonl",
             "{\"q\": \"2+3\", \"y\": \"5\", \"why\": \"5\"}\n"
             "{\"q\": \"1+1\", \"y\": \"2\", \"why\": \"2\"}\n");
  write_text(d + "/tasks/data/add/train.jsonl",
             "{\"q\": \"1+2\", \"y\": \"3\", \"why\": \"1 plus 2 is 3. The answer is 3.\"}\n"
             "{\"q\": \"2+2\", \"y\": \"4\", \"why\": \"2 plus 2 is 4. The answer is 4.\"}\n");
  write_text(d + "/tasks/add/add.yaml",
             "task: add\ndataset_path: add\ntraining_split: train\ntest_split: test\n"
             "doc_to_text: \"Q: {{q}}\\nA:\"\ndoc_to_target: y\nnum_fewshot: 1\n"
             "output_type: generate_until\ngeneration_kwargs: {until: [\"\\n\"]}\n"
             "metadata: {version: 1.0}\n");
  write_text(d + "/tasks/add/add_cot.yaml",
             "include: add.yaml\ntask: add_cot\ndoc_to_target: \"{{why}}\"\n"
             "filter_list:\n  - name: get-answer\n    filter:\n"
             "      - {function: regex, regex_pattern: \"The answer is (\\\\d+)\"}\n"
             "      - {function: take_first}\n");
  return d + "/tasks";
}

TEST(EvalTasksTest, StrategiesInOneRunAndByteIdenticalResults) {
  std::string d = scratch("eval_tasks");
  EvalTasksOptions o;
  o.checkpoint = "fake";
  o.tasks = {"add"};
  o.tasks_dir = task_folder(d);
  o.task_data_dir = d + "/tasks/data";
  o.strategies = {"direct", "cot", "zs-cot", "sc"};
  o.log_samples = true;
  o.strategy.sc_samples = 3;
  auto opener = [](const ModelOptions&) -> Result<std::unique_ptr<LanguageModel>> {
    return std::unique_ptr<LanguageModel>(new FakeLm());
  };
  std::string texts[2], samples[2];
  for (int run = 0; run < 2; run++) {
    o.output = d + "/out" + std::to_string(run);
    auto rep = run_eval_tasks(o, opener);
    ASSERT_TRUE(rep.ok()) << rep.status().to_string();
    ASSERT_EQ(rep->results.size(), 4u);
    EXPECT_EQ(rep->results[1].name, "add@cot");
    EXPECT_EQ(rep->results[1].task, "add_cot");  // the sibling task
    EXPECT_EQ(rep->results[3].filters, (std::vector<std::string>{"score-first", "maj@3"}));
    Json j = Json::parse(*read_file(o.output + "/results.json"));
    for (const char* k :
         {"results", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better",
          "n-samples", "config", "lmforge_version", "date", "total_evaluation_time_seconds"})
      EXPECT_TRUE(j.contains(k)) << k;
    EXPECT_TRUE(j["results"]["add"].contains("exact_match,none"));
    EXPECT_TRUE(j["results"]["add"].contains("exact_match_stderr,none"));
    EXPECT_EQ(j["versions"]["add"], 1.0);
    EXPECT_EQ(j["n-shot"]["add"], 1);
    EXPECT_EQ(j["n-shot"]["add@zs-cot"], 0);
    EXPECT_EQ(j["n-samples"]["add"]["original"], 2);
    EXPECT_EQ(j["config"]["fewshot_seed"], 1234);
    EXPECT_EQ(j["configs"]["add@sc"]["repeats"], 3);
    j.erase("date");
    j.erase("total_evaluation_time_seconds");
    texts[run] = j.dump();
    samples[run] = *read_file(o.output + "/samples_add@sc.jsonl");
    EXPECT_NE(rep->table.find("|add@sc"), std::string::npos) << rep->table;
  }
  EXPECT_EQ(texts[0], texts[1]);
  EXPECT_EQ(samples[0], samples[1]);
  EXPECT_FALSE(samples[0].empty());
}

TEST(EvalTasksTest, BadInputFailsBeforeScoringAndWritesNothing) {
  std::string d = scratch("eval_tasks_bad");
  std::string tasks = task_folder(d);
  write_text(d + "/docs.jsonl",
             "{\"q\": \"x\", \"ch\": [\"a\", \"b\"], \"y\": 5, \"empty\": []}\n");
  std::string head = "dataset_path: docs.jsonl\ntest_split: test\ndoc_to_text: q\n";
  struct Case {
    std::string name, yaml, want;
  } cases[] = {
      {"field", head + "task: f\ndoc_to_target: \"{{answer}}\"\n", "doc 0: "},
      {"range",
       head + "task: r\ndoc_to_target: y\ndoc_to_choice: ch\noutput_type: multiple_choice\n",
       "choice index 5 is out of range (2 choices)"},
      {"empty",
       head + "task: e\ndoc_to_target: 0\ndoc_to_choice: empty\noutput_type: multiple_choice\n",
       "the choice list is empty"},
      {"regex",
       head + "task: x\ndoc_to_target: q\nfilter_list:\n  - name: bad\n    filter: [{function: "
              "regex, regex_pattern: \"(unclosed\"}]\n",
       "(unclosed"},
      {"emregex",
       head + "task: m\ndoc_to_target: q\nmetric_list:\n  - metric: exact_match\n    "
              "regexes_to_ignore: [\"[a-\"]\n",
       "[a-"},
      {"nodata",
       "dataset_path: missing.jsonl\ntest_split: test\ndoc_to_text: q\ntask: n\ndoc_to_target: q\n",
       "no data file for split 'test'"},
      {"metric", head + "task: k\ndoc_to_target: q\nmetric_list:\n  - metric: acc_norm\n",
       "does not apply to output_type generate_until"},
  };
  int opened = 0;
  auto opener = [&](const ModelOptions&) -> Result<std::unique_ptr<LanguageModel>> {
    opened++;
    return std::unique_ptr<LanguageModel>(new FakeLm());
  };
  for (const auto& c : cases) {
    write_text(d + "/" + c.name + ".yaml", c.yaml);
    EvalTasksOptions o;
    o.checkpoint = "fake";
    o.tasks = {"add", d + "/" + c.name + ".yaml"};  // a good task first: nothing of it is written
    o.tasks_dir = tasks;
    o.task_data_dir = d + "/tasks/data";
    o.output = d + "/out_" + c.name;
    auto rep = run_eval_tasks(o, opener);
    ASSERT_FALSE(rep.ok()) << c.name;
    EXPECT_NE(rep.status().to_string().find(c.want), std::string::npos)
        << c.name << ": " << rep.status().to_string();
    EXPECT_NE(rep.status().to_string().find(c.name + ".yaml"), std::string::npos)
        << rep.status().to_string();
    EXPECT_FALSE(fs::exists(o.output)) << c.name;
  }
  EXPECT_EQ(opened, 0);  // every error came before the model was opened
  // A model that cannot be opened: nothing written either.
  EvalTasksOptions o;
  o.checkpoint = d + "/no-model";
  o.tasks = {"add"};
  o.tasks_dir = tasks;
  o.task_data_dir = d + "/tasks/data";
  o.output = d + "/out_model";
  auto rep =
      run_eval_tasks(o, [&](const ModelOptions& mo) -> Result<std::unique_ptr<LanguageModel>> {
        return not_found("{}: no tokenizer", mo.path);
      });
  ASSERT_FALSE(rep.ok());
  EXPECT_FALSE(fs::exists(o.output));
  // A model error while scoring (an empty continuation): nothing written.
  write_text(d + "/space.jsonl", "{\"q\": \"x\", \"y\": \"\"}\n");
  write_text(
      d + "/space.yaml",
      "task: s\ndataset_path: space.jsonl\ntest_split: test\ndoc_to_text: q\ndoc_to_target: y\n"
      "doc_to_choice: [\"\"]\noutput_type: multiple_choice\ntarget_delimiter: \"\"\n");
  o.tasks = {"add", d + "/space.yaml"};
  o.output = d + "/out_space";
  rep = run_eval_tasks(o, opener);
  ASSERT_FALSE(rep.ok());
  EXPECT_NE(rep.status().to_string().find("task s, doc 0, choice 0"), std::string::npos)
      << rep.status().to_string();
  EXPECT_FALSE(fs::exists(o.output));
  // A write that fails (results.json cannot replace a folder): the samples written before it are
  // removed again, so OUT holds no part of the run.
  o.tasks = {"add"};
  o.output = d + "/out_write";
  o.log_samples = true;
  fs::create_directories(o.output + "/results.json/x");
  rep = run_eval_tasks(o, opener);
  ASSERT_FALSE(rep.ok());
  EXPECT_FALSE(fs::exists(o.output + "/samples_add.jsonl"));
}

}  // namespace
}  // namespace lm::eval
