// eval_cli_test.cc: `lmforge eval tasks` through the CLI on a model trained here by the real
// trainer (tokenizer train, pack, train: seconds): built-in arithmetic tasks under direct, cot
// and sc in one run exit 0 with results.json in the harness's layout and one table; the same
// command and seed rerun gives byte-identical results.json (date and timing aside) and samples;
// the few-shot prompts equal CPython's random.Random(seed).sample as the harness's
// ContextSampler draws them (tests/eval/fewshot_reference.py, python3 stdlib); docs/eval.md's
// worked example runs as written; and each bad input exits 1 with a message naming the file /
// document / key, before any scoring, with nothing written in OUT.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

#include "../test_util.h"
#include "core/file_util.h"
#include "eval/template.h"
#include "test_util.h"

namespace lm::eval {
namespace {

namespace fs = std::filesystem;
using testing::write_text;
using testing_util::run_lmforge;

class EvalCli : public ::testing::Test {
 protected:
  // One trained model and one set of built-in task documents for the whole suite.
  // CTest runs each test in its own process: the model is trained once into a shared folder
  // (under a lock, marked done when complete) and every process reuses it.
  static void SetUpTestSuite() {
    dir_ = fs::absolute("test_out/eval_cli-" + std::to_string(::getpid())).string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    model_ = fs::absolute("test_out/eval_cli_model").string();
    fs::create_directories(model_);
    int lock = ::open((model_ + ".lock").c_str(), O_CREAT | O_RDWR, 0644);
    ASSERT_GE(lock, 0);
    ::flock(lock, LOCK_EX);
    if (!fs::exists(model_ + "/done")) train(model_);
    ::close(lock);  // releases the lock
    ASSERT_TRUE(fs::exists(model_ + "/done"));
    fs::create_directory_symlink(model_ + "/run", dir_ + "/run");
    fs::create_directory_symlink(model_ + "/taskdata", dir_ + "/taskdata");
  }
  static void train(const std::string& m) {
    std::string corpus;
    for (int i = 0; i < 600; i++) {
      int a = (i * 37) % 100, b = (i * 61 + 7) % 100;
      corpus += fmt::format(
          "{{\"id\": \"d{}\", \"text\": \"Question: What is {} plus {}?\\nAnswer: {}\"}}\n", i, a,
          b, a + b);
    }
    fs::remove_all(m);
    write_text(m + "/corpus.jsonl", corpus);
    const std::string q = " --no-progress ";
    std::vector<std::string> steps = {
        q + "tokenizer train -i " + m + "/corpus.jsonl -o " + m + "/tok.json --vocab-size 300",
        q + "pack --in " + m + "/corpus.jsonl --tokenizer " + m + "/tok.json --out " + m +
            "/data --val-fraction 0.1",
        q + "train --data " + m +
            "/data --n-layer 2 --n-head 2 --n-embd 32 --seq-len 128 --batch-size 8 "
            "--max-steps 120 --warmup-steps 4 --lr 1e-2 --eval-interval 120 --eval-steps 1 "
            "--peak-flops 1e11 --seed 3 --threads 2 --out " +
            m + "/run",
        q + "eval make-data --out " + m + "/taskdata --seed 7"};
    for (const auto& s : steps) {
      auto r = run_lmforge(s);
      ASSERT_EQ(r.code, 0) << s << "\n" << r.out;
    }
    write_text(m + "/done", "");
  }
  static std::string tasks_args(const std::string& out) {
    return " --no-progress eval tasks --checkpoint " + dir_ + "/run --task-data " + dir_ +
           "/taskdata --output " + out + " --threads 2";
  }
  static inline std::string dir_, model_;
};

std::string without_timing(const std::string& text) {
  Json j = Json::parse(text);
  j.erase("date");
  j.erase("total_evaluation_time_seconds");
  return j.dump();
}

TEST_F(EvalCli, StrategiesOnATrainedModelAndByteIdenticalRerun) {
  const std::string tasks = "arithmetic_add_1,arithmetic_add_2";
  std::string results[2], samples[2];
  for (int run = 0; run < 2; run++) {
    std::string out = dir_ + "/strategies" + std::to_string(run);
    auto r = run_lmforge(tasks_args(out) + " --tasks " + tasks +
                         " --strategies direct,cot,sc --sc-samples 3 --limit 3 --log-samples "
                         "--seed 11 --bootstrap-iters 50");
    ASSERT_EQ(r.code, 0) << r.out;
    for (const char* row : {"|arithmetic_add_1 ", "|arithmetic_add_1@cot", "|arithmetic_add_1@sc",
                            "|arithmetic_add_2@sc", "maj@3", "score-first", "strict-match"})
      EXPECT_NE(r.out.find(row), std::string::npos) << row << "\n" << r.out;
    auto text = read_file(out + "/results.json");
    ASSERT_TRUE(text.ok());
    Json j = Json::parse(*text);
    for (const char* k :
         {"results", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better",
          "n-samples", "config", "lmforge_version", "date", "total_evaluation_time_seconds"})
      EXPECT_TRUE(j.contains(k)) << k;
    for (const char* t : {"arithmetic_add_1", "arithmetic_add_1@cot", "arithmetic_add_1@sc",
                          "arithmetic_add_2", "arithmetic_add_2@cot", "arithmetic_add_2@sc"}) {
      ASSERT_TRUE(j["results"].contains(t)) << t;
      EXPECT_EQ(j["n-samples"][t]["effective"], 3) << t;
      EXPECT_TRUE(j["configs"].contains(t)) << t;
      EXPECT_EQ(j["versions"][t], 1.0) << t;
      EXPECT_TRUE(fs::exists(out + "/samples_" + std::string(t) + ".jsonl")) << t;
    }
    const Json& direct = j["results"]["arithmetic_add_2"];
    EXPECT_TRUE(direct.contains("exact_match,get-answer"));
    EXPECT_TRUE(direct.contains("exact_match_stderr,get-answer"));
    EXPECT_TRUE(direct.contains("token_edit_distance,get-answer"));
    EXPECT_TRUE(j["results"]["arithmetic_add_2@cot"].contains("exact_match,strict-match"));
    EXPECT_TRUE(j["results"]["arithmetic_add_2@sc"].contains("exact_match,maj@3"));
    EXPECT_EQ(j["n-shot"]["arithmetic_add_2"], 3);
    EXPECT_EQ(j["n-shot"]["arithmetic_add_2@cot"], 2);
    EXPECT_EQ(j["configs"]["arithmetic_add_2@sc"]["repeats"], 3);
    EXPECT_EQ(j["config"]["bootstrap_iters"], 50);
    EXPECT_EQ(j["config"]["fewshot_seed"], 11);
    EXPECT_EQ(j["config"]["limit"], 3);
    // Self-consistency: one line per document and filter, 3 sampled strings each.
    auto sc = read_file(out + "/samples_arithmetic_add_2@sc.jsonl");
    ASSERT_TRUE(sc.ok());
    Json first = Json::parse(sc->substr(0, sc->find('\n')));
    EXPECT_EQ(first["resps"][0].size(), 3u) << first.dump();
    EXPECT_EQ(first["arguments"][0][1]["do_sample"], true);
    for (const char* k : {"doc_id", "doc", "target", "arguments", "resps", "filtered_resps",
                          "filter", "metrics", "exact_match", "token_edit_distance"})
      EXPECT_TRUE(first.contains(k)) << k;
    results[run] = without_timing(*text);
    samples[run] = *sc + *read_file(out + "/samples_arithmetic_add_1.jsonl");
  }
  EXPECT_EQ(results[0], results[1]);
  EXPECT_EQ(samples[0], samples[1]);
  // --json prints the same results object.
  auto r = run_lmforge(tasks_args(dir_ + "/json") +
                       " --tasks arithmetic_add_1 --limit 3 --seed 11 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  Json j = Json::parse(r.out.substr(r.out.find('{')));
  EXPECT_TRUE(j["results"]["arithmetic_add_1"].contains("exact_match,get-answer")) << r.out;
}

TEST_F(EvalCli, ListShowsTheBuiltinTasks) {
  auto r = run_lmforge("eval tasks --list --task-data " + dir_ + "/taskdata");
  ASSERT_EQ(r.code, 0) << r.out;
  for (const char* t : {"kjv_cloze", "gcide_define", "arithmetic_add_3", "induction_copy"})
    EXPECT_NE(r.out.find(t), std::string::npos) << t;
}

// The few-shot draws against CPython's random.Random(seed).sample over the same documents: a
// training pool of 40 (Random.sample's set branch), the evaluated split as its own pool (10
// documents: the pool branch; k + 1 drawn, the document dropped) and first_n.
TEST_F(EvalCli, FewshotDrawsEqualCPythonsSampler) {
  const std::string python = "/usr/bin/python3";
  if (::access(python.c_str(), X_OK) != 0) LM_SKIP_OR_FAIL_IN_CI(python << " is missing");
  const std::string d = dir_ + "/fewshot";
  std::string train, test;
  for (int i = 0; i < 40; i++) train += fmt::format("{{\"q\": \"t{}\", \"a\": \"A{}\"}}\n", i, i);
  for (int i = 0; i < 10; i++) test += fmt::format("{{\"q\": \"e{}\", \"a\": \"B{}\"}}\n", i, i);
  write_text(d + "/train.jsonl", train);
  write_text(d + "/test.jsonl", test);
  struct Case {
    std::string name, yaml_extra, pool;
    int k;
    bool same_split;
    std::string sampler;
  } cases[] = {
      {"train_pool", "training_split: train\n", "train", 3, false, "default"},
      {"self_pool", "", "test", 4, true, "default"},
      {"first_n", "training_split: train\nfewshot_config: {sampler: first_n}\n", "train", 3, false,
       "first_n"},
  };
  for (const auto& c : cases) {
    write_text(d + "/" + c.name + ".yaml",
               "task: fs_" + c.name + "\ndataset_path: .\ntest_split: test\n" + c.yaml_extra +
                   "description: \"Answer.\\n\\n\"\noutput_type: loglikelihood\n"
                   "doc_to_text: \"Q: {{q}}\\nA:\"\ndoc_to_target: \"{{a}}\"\n"
                   "fewshot_delimiter: \"\\n##\\n\"\nnum_fewshot: " +
                   std::to_string(c.k) + "\n");
    const std::string out = d + "/out_" + c.name;
    auto r = run_lmforge(tasks_args(out) + " --tasks " + d + "/" + c.name +
                         ".yaml --log-samples --seed 4321");
    ASSERT_EQ(r.code, 0) << r.out;
    Json spec = {{"k", c.k},
                 {"seed", 4321},
                 {"sampler", c.sampler},
                 {"same_split", c.same_split},
                 {"text", "Q: {q}\nA:"},
                 {"target", "{a}"},
                 {"description", "Answer.\n\n"},
                 {"target_delimiter", " "},
                 {"fewshot_delimiter", "\n##\n"}};
    std::string cmd = python + " " + LMFORGE_SOURCE_DIR + "/tests/eval/fewshot_reference.py " +
                      out + "/samples_fs_" + c.name + ".jsonl " + d + "/test.jsonl " + d + "/" +
                      c.pool + ".jsonl '" + spec.dump() + "'";
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    std::string log;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof(buf), p)) log.append(buf, n);
    EXPECT_EQ(pclose(p), 0) << c.name << ": " << log;
    EXPECT_NE(log.find("10 prompts, 0 differ"), std::string::npos) << c.name << ": " << log;
  }
}

// docs/eval.md's worked example, exactly as the doc gives it: a task file pointing at a tiny
// hand-written local benchmark file (docs/examples/).
TEST_F(EvalCli, DocsWorkedExampleRuns) {
  const std::string ex = std::string(LMFORGE_SOURCE_DIR) + "/docs/examples";
  const std::string out = dir_ + "/docs_example";
  auto r = run_lmforge(" --no-progress eval tasks --checkpoint " + dir_ + "/run --tasks " + ex +
                       "/tiny_qa.yaml," + ex + "/tiny_mc.yaml --output " + out + " --log-samples");
  ASSERT_EQ(r.code, 0) << r.out;
  Json j = Json::parse(*read_file(out + "/results.json"));
  EXPECT_EQ(j["n-samples"]["tiny_qa"]["effective"], 4);
  EXPECT_EQ(j["n-samples"]["tiny_mc"]["effective"], 4);
  EXPECT_EQ(j["n-shot"]["tiny_qa"], 2);
  EXPECT_TRUE(j["results"]["tiny_qa"].contains("exact_match,strict-match"));
  EXPECT_TRUE(j["results"]["tiny_mc"].contains("acc_norm,none"));
  auto s = read_file(out + "/samples_tiny_mc.jsonl");
  ASSERT_TRUE(s.ok());
  Json first = Json::parse(s->substr(0, s->find('\n')));
  EXPECT_EQ(first["arguments"].size(), 4u);  // one request per choice
}

TEST_F(EvalCli, BadInputExitsNonZeroWithTheMessageAndWritesNothing) {
  const std::string d = dir_ + "/bad";
  write_text(d + "/docs.jsonl",
             "{\"q\": \"x\", \"ch\": [\"a\", \"b\"], \"y\": 5, \"empty\": []}\n");
  const std::string head = "dataset_path: docs.jsonl\ntest_split: test\ndoc_to_text: q\n";
  struct Case {
    std::string name, yaml, extra, want;
  } cases[] = {
      {"malformed", "task: m\ndoc_to_text: [unclosed\n", "", "malformed.yaml:"},
      {"unknown", head + "task: u\ndoc_to_target: q\nanswer_key: q\n", "",
       "unknown.yaml:6: unknown key 'answer_key'"},
      {"field", head + "task: f\ndoc_to_target: \"{{answer}}\"\n", "", "doc 0"},
      {"range",
       head + "task: r\ndoc_to_target: y\ndoc_to_choice: ch\noutput_type: multiple_choice\n", "",
       "choice index 5 is out of range (2 choices)"},
      {"emptychoices",
       head + "task: e\ndoc_to_target: 0\ndoc_to_choice: empty\noutput_type: multiple_choice\n", "",
       "the choice list is empty"},
      {"regex",
       head + "task: x\ndoc_to_target: q\nfilter_list:\n  - name: bad\n    filter: [{function: "
              "regex, regex_pattern: \"(unclosed\"}]\n",
       "", "(unclosed"},
      {"nodata",
       "dataset_path: missing.jsonl\ntest_split: test\ndoc_to_text: q\ntask: n\ndoc_to_target: q\n",
       "", "missing.jsonl"},
      {"strategy",
       head + "task: s\ndoc_to_target: y\ndoc_to_choice: ch\noutput_type: "
              "multiple_choice\n",
       " --strategies direct,cot", "needs a generate_until task"},
      {"badstrategy", head + "task: b\ndoc_to_target: q\n", " --strategies direct,tot",
       "'tot' is not a strategy"},
  };
  for (const auto& c : cases) {
    write_text(d + "/" + c.name + ".yaml", c.yaml);
    const std::string out = d + "/out_" + c.name;
    // A good built-in task first: nothing of it may be written either.
    auto r = run_lmforge(tasks_args(out) + " --tasks arithmetic_add_1," + d + "/" + c.name +
                         ".yaml --limit 2" + c.extra);
    EXPECT_EQ(r.code, 1) << c.name << ": " << r.out;
    EXPECT_NE(r.out.find(c.want), std::string::npos) << c.name << ": " << r.out;
    EXPECT_EQ(r.out.find("exact_match"), std::string::npos) << c.name << ": scored\n" << r.out;
    EXPECT_FALSE(fs::exists(out)) << c.name;
  }
  // An unknown task name, a missing checkpoint and a checkpoint without its tokenizer.
  auto r = run_lmforge(tasks_args(d + "/out_name") + " --tasks no_such_task");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("no task 'no_such_task'"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(d + "/out_name"));
  const std::string notok = d + "/run_without_tokenizer";
  fs::copy(dir_ + "/run/checkpoint", notok, fs::copy_options::recursive);
  for (const auto& f : fs::directory_iterator(notok))
    if (f.path().filename().string().find("tok") != std::string::npos) fs::remove(f.path());
  r = run_lmforge(" --no-progress eval tasks --checkpoint " + notok + " --task-data " + dir_ +
                  "/taskdata --tasks arithmetic_add_1 --limit 2 --output " + d + "/out_tok");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("tokenizer"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(d + "/out_tok"));
  r = run_lmforge(" --no-progress eval tasks --checkpoint " + d + "/nothing --task-data " + dir_ +
                  "/taskdata --tasks arithmetic_add_1 --output " + d + "/out_ckpt");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find(d + "/nothing"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(d + "/out_ckpt"));
  r = run_lmforge(" eval tasks --checkpoint " + dir_ + "/run");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("--tasks is required"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace lm::eval
