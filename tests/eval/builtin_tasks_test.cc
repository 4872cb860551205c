// builtin_tasks_test.cc: the built-in tasks' data and files: the same seed writes the same
// bytes (another seed, other documents); no test document is in train; arithmetic answers and
// every step of the chain-of-thought rationales are right; kjv_cloze targets are the verses'
// real last words with the real preceding verses; gcide_define's gold is the entry's own
// definition; every task YAML parses with python3-yaml and keeps to the supported keys; the
// `lmforge eval make-data` CLI writes the folders and refuses a bad sample folder cleanly.
#include "eval/builtin_tasks.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "core/file_util.h"
#include "eval/builtin_tasks_internal.h"
#include "eval/py_compat.h"
#include "io/document.h"

namespace lm::eval {
namespace {

namespace fs = std::filesystem;
using builtin::Doc;

std::string test_dir(const std::string& name) {
  const fs::path d = fs::path(LMFORGE_BUILD_DIR) / "test_out" /
                     ("builtin_tasks-" + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

int run(const std::string& cmd, std::string* out) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  out->clear();
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  const int rc = ::pclose(p);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::vector<Doc> read_split(const std::string& dir, const std::string& dataset,
                            const std::string& split) {
  auto text = read_file(dir + "/" + dataset + "/" + split + ".jsonl");
  EXPECT_TRUE(text.ok()) << dataset << "/" << split;
  std::vector<Doc> docs;
  if (!text.ok()) return docs;
  size_t start = 0;
  while (start < text->size()) {
    const size_t nl = text->find('\n', start);
    docs.push_back(Doc::parse(text->substr(start, nl - start)));
    start = nl + 1;
  }
  return docs;
}

// Writes the task data once (with the sample corpus) for the whole suite.
class BuiltinTasks : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(test_dir("data"));
    MakeDataOptions o;
    o.out_dir = *dir_;
    o.sample_dir = LMFORGE_SAMPLE_DIR;
    status_ = new Status(make_builtin_task_data(o, &written_));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete status_;
  }
  void SetUp() override { ASSERT_TRUE(status_->ok()) << status_->to_string(); }
  static std::string* dir_;
  static Status* status_;
  static std::vector<TaskDataSummary> written_;
};
std::string* BuiltinTasks::dir_ = nullptr;
Status* BuiltinTasks::status_ = nullptr;
std::vector<TaskDataSummary> BuiltinTasks::written_;

TEST_F(BuiltinTasks, WritesEveryDatasetWithModestSplits) {
  std::set<std::string> datasets;
  for (const auto& w : written_) {
    datasets.insert(w.dataset);
    EXPECT_GT(w.train, 0) << w.dataset;
    EXPECT_GT(w.validation, 0) << w.dataset;
    EXPECT_GE(w.test, w.dataset == "arithmetic_add_1" ? 50 : 200) << w.dataset;
    EXPECT_LE(w.test, 500) << w.dataset;
    EXPECT_EQ(static_cast<int64_t>(read_split(*dir_, w.dataset, "test").size()), w.test);
  }
  for (const auto& t : builtin_tasks(default_tasks_dir()))
    EXPECT_TRUE(datasets.count(t.dataset)) << t.name << " has no data (" << t.dataset << ")";
}

TEST_F(BuiltinTasks, SameSeedSameBytesOtherSeedOtherDocuments) {
  const std::string again = test_dir("again"), other = test_dir("other");
  MakeDataOptions o;
  o.out_dir = again;
  o.sample_dir = LMFORGE_SAMPLE_DIR;
  ASSERT_TRUE(make_builtin_task_data(o).ok());
  o.out_dir = other;
  o.seed = 99;
  ASSERT_TRUE(make_builtin_task_data(o).ok());
  int files = 0;
  for (const auto& w : written_) {
    for (const char* split : {"train", "validation", "test"}) {
      const std::string rel = "/" + w.dataset + "/" + split + ".jsonl";
      auto a = read_file(*dir_ + rel), b = read_file(again + rel), c = read_file(other + rel);
      ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << rel;
      EXPECT_TRUE(*a == *b) << rel << " differs between two runs with the same seed";
      EXPECT_TRUE(*a != *c) << rel << " is the same under another seed";
      ++files;
    }
  }
  EXPECT_EQ(files, 8 * 3);
}

// The identity of a document: what must not be shared between splits.
std::string key_of(const std::string& dataset, const Doc& d) {
  if (dataset.rfind("arithmetic_add_", 0) == 0)
    return d["a"].get<std::string>() + "+" + d["b"].get<std::string>();
  if (dataset == "induction_copy") return d["sequence"];
  if (dataset == "kjv_cloze") return d["chapter"];  // whole chapters stay in one split
  return d["word"];
}

TEST_F(BuiltinTasks, NoTestDocumentInTrainOrValidation) {
  for (const auto& w : written_) {
    std::map<std::string, std::set<std::string>> keys;
    for (const char* split : {"train", "validation", "test"})
      for (const auto& d : read_split(*dir_, w.dataset, split))
        keys[split].insert(key_of(w.dataset, d));
    for (const auto& k : keys["test"]) {
      EXPECT_FALSE(keys["train"].count(k)) << w.dataset << ": test " << k << " is in train";
      EXPECT_FALSE(keys["validation"].count(k)) << w.dataset << ": test " << k << " in validation";
    }
    for (const auto& k : keys["validation"])
      EXPECT_FALSE(keys["train"].count(k)) << w.dataset << ": validation " << k << " in train";
    // documents are distinct within a split too (kjv: a chapter may give two train verses)
    if (w.dataset != "kjv_cloze") {
      EXPECT_EQ(keys["train"].size(), read_split(*dir_, w.dataset, "train").size()) << w.dataset;
    }
  }
}

// Re-adds a, b column by column from the rationale's own words and checks every number.
void check_rationale(const std::string& a, const std::string& b, const std::string& r) {
  static const char* kCols[] = {"Ones", "Tens", "Hundreds", "Thousands", "Ten-thousands"};
  auto step = PyRegex::compile(
      "([A-Za-z-]+): ([0-9]) \\+ ([0-9]) \\+ ([01]) = ([0-9]+), write ([0-9]), carry ([01])\\.");
  ASSERT_TRUE(step.ok());
  const auto steps = step->findall(r);
  ASSERT_EQ(steps.size(), a.size()) << r;
  int carry = 0;
  std::string written;
  for (size_t i = 0; i < steps.size(); ++i) {
    const auto& m = steps[i];
    const int x = std::stoi(m[1]), y = std::stoi(m[2]), c = std::stoi(m[3]), s = std::stoi(m[4]);
    EXPECT_EQ(m[0], kCols[i]) << r;
    EXPECT_EQ(x, a[a.size() - 1 - i] - '0') << r;
    EXPECT_EQ(y, b[b.size() - 1 - i] - '0') << r;
    EXPECT_EQ(c, carry) << r;
    EXPECT_EQ(s, x + y + c) << r;
    EXPECT_EQ(std::stoi(m[5]), s % 10) << r;
    EXPECT_EQ(std::stoi(m[6]), s / 10) << r;
    carry = s / 10;
    written.insert(written.begin(), m[5][0]);
  }
  EXPECT_EQ(r.find("The carry 1 is the leading digit.") != std::string::npos, carry == 1) << r;
  if (carry) written.insert(written.begin(), '1');
  const long sum = std::stol(a) + std::stol(b);
  EXPECT_EQ(std::stol(written), sum) << r;
  const std::string tail = "The answer is " + std::to_string(sum) + ".";
  ASSERT_GE(r.size(), tail.size());
  EXPECT_EQ(r.substr(r.size() - tail.size()), tail) << r;
}

TEST_F(BuiltinTasks, ArithmeticAnswersAndRationalesAreRight) {
  for (int n = 1; n <= 5; ++n) {
    const std::string ds = "arithmetic_add_" + std::to_string(n);
    for (const char* split : {"train", "validation", "test"}) {
      for (const auto& d : read_split(*dir_, ds, split)) {
        const std::string a = d["a"], b = d["b"];
        ASSERT_EQ(a.size(), static_cast<size_t>(n)) << d.dump();
        ASSERT_EQ(b.size(), static_cast<size_t>(n)) << d.dump();
        EXPECT_EQ(d["answer"].get<std::string>(), std::to_string(std::stol(a) + std::stol(b)));
        check_rationale(a, b, d["rationale"]);
        // train: the exemplar's worked answer; elsewhere the bare number exact_match compares
        EXPECT_EQ(d["cot_target"], std::string(split) == "train" ? d["rationale"] : d["answer"]);
      }
    }
  }
  check_rationale("99999", "99999", builtin::addition_rationale("99999", "99999"));
  EXPECT_EQ(builtin::addition_rationale("0", "0"),
            "Ones: 0 + 0 + 0 = 0, write 0, carry 0. The answer is 0.");
  EXPECT_EQ(builtin::addition_rationale("47", "85"),
            "Ones: 7 + 5 + 0 = 12, write 2, carry 1. Tens: 4 + 8 + 1 = 13, write 3, carry 1. "
            "The carry 1 is the leading digit. The answer is 132.");
}

TEST_F(BuiltinTasks, InductionContinuesTheSequence) {
  for (const auto& d : read_split(*dir_, "induction_copy", "test")) {
    const std::string seq = d["sequence"], prefix = d["prefix"], rest = d["continuation"];
    EXPECT_EQ(seq, prefix + " " + rest);
    EXPECT_EQ(seq.size(), 2u * builtin::kInductionLength - 1);
    EXPECT_EQ(d["target"].get<std::string>(), " " + rest);
  }
}

// Calls fn(doc) for each document of the sample corpus from `source`, read straight from its files.
template <typename Fn>
void for_each_sample_document(const std::string& source, Fn fn) {
  auto reader = io::DocumentReader::open({std::string(LMFORGE_SAMPLE_DIR) + "/sample-*.jsonl.zst"});
  ASSERT_TRUE(reader.ok());
  io::Document doc;
  while (true) {
    auto more = (*reader)->next(&doc);
    ASSERT_TRUE(more.ok());
    if (!*more) break;
    if (doc.source == source) fn(doc);
  }
}

// Each KJV chapter's verse lines, read straight from the sample corpus.
std::map<std::string, std::vector<std::string>> kjv_chapters() {
  std::map<std::string, std::vector<std::string>> out;
  for_each_sample_document("bible-kjv", [&](const io::Document& doc) {
    auto& lines = out[doc.id];
    size_t start = 0;
    while (start < doc.text.size()) {
      size_t nl = doc.text.find('\n', start);
      if (nl == std::string::npos) nl = doc.text.size();
      if (nl > start) lines.push_back(doc.text.substr(start, nl - start));
      start = nl + 1;
    }
  });
  return out;
}

TEST_F(BuiltinTasks, KjvClozeTargetsAreTheVersesLastWords) {
  const auto chapters = kjv_chapters();
  ASSERT_GT(chapters.size(), 1000u);
  int checked = 0;
  for (const char* split : {"train", "validation", "test"}) {
    for (const auto& d : read_split(*dir_, "kjv_cloze", split)) {
      const auto it = chapters.find(d["chapter"]);
      ASSERT_NE(it, chapters.end()) << d.dump();
      const std::string word = d["word"], context = d["context"];
      EXPECT_EQ(d["target"].get<std::string>(), " " + word);
      // the verse line whose number is `verse`
      const std::string number = std::to_string(d["verse"].get<int64_t>()) + " ";
      const std::string* verse = nullptr;
      size_t index = 0;
      for (size_t i = 0; i < it->second.size(); ++i)
        if (it->second[i].rfind(number, 0) == 0) verse = &it->second[(index = i)];
      ASSERT_NE(verse, nullptr) << d.dump();
      // its last word, without the punctuation after it, is the target (some corpus lines end
      // in a space)
      std::string line = *verse;
      while (!line.empty() && line.back() == ' ') line.pop_back();
      verse = &line;
      std::string last = verse->substr(verse->rfind(' ') + 1);
      while (!last.empty() && std::ispunct(static_cast<unsigned char>(last.back())))
        last.pop_back();
      EXPECT_EQ(last, word) << *verse;
      // the context is whole preceding verses, then this verse up to the word
      const size_t nl = context.rfind('\n');
      ASSERT_NE(nl, std::string::npos) << context;
      const std::string partial = context.substr(nl + 1);
      EXPECT_EQ(verse->substr(0, partial.size() + 1 + word.size()), partial + " " + word);
      EXPECT_EQ(partial.size(), verse->rfind(' ')) << *verse;  // the word is the last one
      std::string before;
      size_t first = index;
      while (first > 0 && before.size() < nl + 1) before = it->second[--first] + "\n" + before;
      EXPECT_EQ(before, context.substr(0, nl + 1)) << d.dump();
      ++checked;
    }
  }
  EXPECT_GT(checked, 1500);
}

// The GCIDE text of each headword's entries, whitespace collapsed, markup braces removed.
std::map<std::string, std::string> gcide_texts() {
  std::map<std::string, std::string> out;
  for_each_sample_document("dict-gcide", [&](const io::Document& doc) {
    const size_t sp = doc.text.find(" \\");
    if (sp == std::string::npos) return;
    // braces and [tags] out ([ae] / [oe] are ligatures: kept as letters), spaces collapsed
    std::string flat;
    const std::string& t = doc.text;
    for (size_t i = 0; i < t.size(); ++i) {
      const char c = t[i];
      if (c == '{' || c == '}') continue;
      if (c == '[') {
        const size_t close = t.find(']', i);
        if (close == std::string::npos) break;
        const std::string inner = t.substr(i + 1, close - i - 1);
        if (inner == "ae" || inner == "oe" || inner == "AE" || inner == "OE") flat += inner;
        i = close;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        if (!flat.empty() && flat.back() != ' ') flat += ' ';
      } else {
        flat += c;
      }
    }
    out[doc.text.substr(0, sp)] += flat + "\n";
  });
  return out;
}

TEST_F(BuiltinTasks, GcideGoldIsTheEntrysOwnDefinition) {
  const auto texts = gcide_texts();
  int checked = 0;
  for (const char* split : {"train", "validation", "test"}) {
    for (const auto& d : read_split(*dir_, "gcide_define", split)) {
      const std::string word = d["word"];
      const auto choices = d["choices"].get<std::vector<std::string>>();
      const int gold = d["gold"];
      ASSERT_EQ(choices.size(), 4u);
      ASSERT_GE(gold, 0);
      ASSERT_LT(gold, 4);
      const auto it = texts.find(word);
      ASSERT_NE(it, texts.end()) << word;
      // the gold (less its final period) is in the word's own entry text; no distractor is
      std::string g = choices[gold];
      g.pop_back();
      EXPECT_NE(it->second.find(g), std::string::npos) << word << ": " << g;
      for (int c = 0; c < 4; ++c) {
        if (c == gold) continue;
        EXPECT_NE(choices[c], choices[gold]) << word;
        std::string x = choices[c];
        x.pop_back();
        EXPECT_EQ(it->second.find(x), std::string::npos) << word << " choice " << c << ": " << x;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 1700);
}

TEST(BuiltinTaskList, YamlFilesParseAndKeepToTheSupportedKeys) {
  const std::string python = "/usr/bin/python3";
  if (::access(python.c_str(), X_OK) != 0) {
    const char* ci = std::getenv("CI");
    if (ci && std::string(ci) == "true") FAIL() << python << " is missing";
    GTEST_SKIP() << python << " is missing";
  }
  const auto tasks = builtin_tasks(default_tasks_dir());
  std::string cmd =
      python + " " + LMFORGE_SOURCE_DIR + "/tests/eval/check_task_yaml.py " + default_tasks_dir();
  std::set<std::string> names;
  for (const auto& t : tasks) {
    EXPECT_TRUE(names.insert(t.name).second) << "duplicate " << t.name;
    EXPECT_FALSE(t.summary.empty());
    cmd += " " + t.name + "=" + t.yaml;
  }
  std::string out;
  const int rc = run(cmd, &out);
  if (rc == 77) {
    const char* ci = std::getenv("CI");
    if (ci && std::string(ci) == "true") FAIL() << out;
    GTEST_SKIP() << out;
  }
  EXPECT_EQ(rc, 0) << out;
  EXPECT_GE(tasks.size(), 20u);
  for (const char* n :
       {"kjv_cloze", "kjv_cloze_gen", "gcide_define", "arithmetic_add_1", "arithmetic_add_5",
        "arithmetic_add_3_cot", "arithmetic_add_2_cot_sc", "induction_copy", "induction_copy_ll"})
    EXPECT_TRUE(names.count(n)) << n;
  int group = 0;
  for (const auto& t : tasks) group += t.group == "arithmetic_add";
  EXPECT_EQ(group, 5);
}

TEST(BuiltinTaskCli, MakeDataWritesAndRefusesABadSampleFolder) {
  const std::string out = test_dir("cli"), bad = test_dir("cli_bad");
  std::string log;
  ASSERT_EQ(
      run(std::string(LMFORGE_BINARY) + " eval make-data --out " + out + " --seed 7 --json", &log),
      0)
      << log;
  EXPECT_NE(log.find("\"arithmetic_add_3\""), std::string::npos) << log;
  EXPECT_TRUE(file_exists(out + "/induction_copy/test.jsonl"));
  EXPECT_FALSE(file_exists(out + "/kjv_cloze/test.jsonl"));  // needs --sample
  const int rc = run(std::string(LMFORGE_BINARY) + " eval make-data --out " + bad +
                         "/data --sample " + bad + "/no_such_corpus",
                     &log);
  EXPECT_EQ(rc, 1) << log;
  EXPECT_NE(log.find("no_such_corpus"), std::string::npos) << log;
  EXPECT_NE(log.find("lmforge corpus sample"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(bad + "/data")) << "nothing is written when the corpus is bad";
  // eval itself still wants its options when no sub-subcommand is given
  EXPECT_EQ(run(std::string(LMFORGE_BINARY) + " eval", &log), 1) << log;
  EXPECT_NE(log.find("--checkpoint"), std::string::npos) << log;
}

}  // namespace
}  // namespace lm::eval
