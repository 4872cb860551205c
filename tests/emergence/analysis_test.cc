// analysis_test.cc: the emergence study's arithmetic (p^L, the smooth logit fit, the mirage
// verdict, Olsson's ICL score on a constructed loss curve), its plan (evenly spaced checkpoints,
// the budget rule) and the config errors that must come before any training.
#include "emergence/analysis.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "emergence/config.h"
#include "emergence/mixture.h"
#include "emergence/study.h"
#include "emergence/tasks.h"
#include "model/config.h"

namespace lm::emergence {
namespace {

TEST(EmergenceAnalysis, PredictedExactMatchIsPToTheL) {
  std::vector<int> l4 = {4, 4, 4};
  EXPECT_NEAR(predicted_exact_match(0.9, l4), std::pow(0.9, 4), 1e-12);
  std::vector<int> mixed = {2, 4};
  EXPECT_NEAR(predicted_exact_match(0.5, mixed), (0.25 + 0.0625) / 2, 1e-12);
  EXPECT_DOUBLE_EQ(predicted_exact_match(1.0, l4), 1.0);
  EXPECT_DOUBLE_EQ(predicted_exact_match(0.0, l4), 0.0);
  EXPECT_TRUE(std::isnan(predicted_exact_match(0.5, std::vector<int>{})));
}

TEST(EmergenceAnalysis, LogitFitRecoversALogisticInLogN) {
  const double a = -6, b = 1.5;
  std::vector<double> n, y;
  for (double x = 3; x <= 6.01; x += 0.5) {
    n.push_back(std::pow(10, x));
    y.push_back(1 / (1 + std::exp(-(a + b * x))));
  }
  auto f = fit_logit_vs_log_n(n, y);
  ASSERT_TRUE(f);
  EXPECT_NEAR(f->a, a, 1e-9);
  EXPECT_NEAR(f->b, b, 1e-9);
  EXPECT_LT(f->rmse, 1e-9);
  EXPECT_NEAR((*f)(1e4), 1 / (1 + std::exp(-(a + b * 4))), 1e-9);
  EXPECT_FALSE(fit_logit_vs_log_n(std::vector<double>{10}, std::vector<double>{0.5}));
  EXPECT_FALSE(fit_logit_vs_log_n(std::vector<double>{10, 10}, std::vector<double>{0.2, 0.5}));
}

std::vector<MirageRow> smooth_rows(bool jump) {
  // token accuracy on a logistic in log N; exact match = p^4 (a mirage) or a step (a real jump)
  std::vector<MirageRow> rows;
  for (double x = 3; x <= 6.01; x += 0.5) {
    MirageRow r;
    r.n = std::pow(10, x);
    r.token_accuracy = 1 / (1 + std::exp(-(-6 + 1.5 * x)));
    r.exact_match = jump ? (x >= 5 ? 0.9 : 0.0) : std::pow(r.token_accuracy, 4);
    r.exact_match_stderr = 0.01;
    r.documents = 400;
    rows.push_back(r);
  }
  return rows;
}

TEST(EmergenceAnalysis, MirageTestTellsAMetricArtefactFromAJump) {
  std::vector<int> l4(400, 4);
  MirageResult smooth = mirage_test(smooth_rows(false), l4);
  EXPECT_FALSE(smooth.departs) << smooth.verdict;
  EXPECT_LT(std::fabs(smooth.max_departure), 1e-6);
  for (const auto& r : smooth.rows) EXPECT_NEAR(r.predicted_pL, r.exact_match, 1e-12);
  // the exact-match curve is steeper than the per-token one it is made of
  EXPECT_GT(smooth.steepest_em_step, 0);
  MirageResult jump = mirage_test(smooth_rows(true), l4);
  EXPECT_TRUE(jump.departs) << jump.verdict;
  EXPECT_NE(jump.verdict.find("departs"), std::string::npos);
  EXPECT_NE(jump.verdict.find("a jump"), std::string::npos) << jump.verdict;
  // exact match far below p^L at every size (the same answers wrong on every token): it departs,
  // but downwards, which is no jump
  auto low = smooth_rows(false);
  for (auto& r : low) r.exact_match = 0.3 * std::pow(r.token_accuracy, 4);
  MirageResult below = mirage_test(low, l4);
  EXPECT_TRUE(below.departs) << below.verdict;
  EXPECT_LT(below.max_departure, 0);
  EXPECT_EQ(below.verdict.find("a jump"), std::string::npos) << below.verdict;
  EXPECT_NE(below.verdict.find("below it"), std::string::npos) << below.verdict;
  // rows come back sorted by N whatever the input order
  auto rows = smooth_rows(false);
  std::reverse(rows.begin(), rows.end());
  MirageResult sorted = mirage_test(rows, l4);
  for (size_t i = 1; i < sorted.rows.size(); ++i) EXPECT_LT(sorted.rows[i - 1].n, sorted.rows[i].n);
}

TEST(EmergenceAnalysis, SteepestStep) {
  std::vector<double> y = {0, 0.1, 0.15, 0.6, 0.7};
  EXPECT_NEAR(steepest_step(y), 0.45, 1e-12);
  EXPECT_EQ(steepest_step(std::vector<double>{0.3}), 0);
}

TEST(EmergenceAnalysis, IclScoreOnAConstructedLossCurve) {
  // loss falls as 3 + 2 / sqrt(t): token 500 minus token 50
  std::vector<double> at(512, NAN);
  for (int t = 1; t < 512; ++t) at[t] = 3 + 2 / std::sqrt(static_cast<double>(t));
  EXPECT_NEAR(icl_score(at), 2 / std::sqrt(499.0) - 2 / std::sqrt(49.0), 1e-12);
  EXPECT_LT(icl_score(at), 0);  // the context helps: negative, as Olsson et al. define it
  std::vector<double> flat(600, 2.5);
  EXPECT_DOUBLE_EQ(icl_score(flat), 0);
  EXPECT_TRUE(std::isnan(icl_score(std::vector<double>(300, 1.0))));
}

std::string write_config(const std::string& name, const std::string& body) {
  const std::string dir = testing::TempDir() + "/emergence_cfg";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + name;
  std::ofstream(path) << body;
  return path;
}

const char* kLadder3 =
    "[[ladder]]\nn_layer = 1\nn_head = 1\nn_embd = 8\n"
    "[[ladder]]\nn_layer = 2\nn_head = 2\nn_embd = 16\n"
    "[[ladder]]\nn_layer = 2\nn_head = 2\nn_embd = 32\n";

TEST(EmergenceAnalysis, PairedDifferenceOverTheSameDocuments) {
  // b - a per document: {1, 2, 3} (+NaN skipped) -> mean 2, stderr sqrt(1/3)
  std::vector<double> a = {0.5, -1.0, 2.0, NAN}, b = {1.5, 1.0, 5.0, 7.0};
  PairedDifference d = paired_difference(a, b);
  EXPECT_EQ(d.n, 3);
  EXPECT_NEAR(d.mean, 2.0, 1e-12);
  EXPECT_NEAR(d.stderr_value, std::sqrt(1.0 / 3.0), 1e-12);
  // a shared per-document offset cancels: the paired error is far below the unpaired one
  std::vector<double> x, y;
  for (int i = 0; i < 100; ++i) {
    const double doc = std::sin(i * 1.7) * 3;  // documents differ a lot
    x.push_back(doc);
    y.push_back(doc - 0.3 + 0.01 * std::cos(i * 2.3));
  }
  d = paired_difference(y, x);
  EXPECT_NEAR(d.mean, 0.3, 2e-3);
  EXPECT_LT(d.stderr_value, 0.002);
  EXPECT_EQ(paired_difference(std::vector<double>{}, std::vector<double>{}).n, 0);
}

TEST(EmergenceTasks, ArithmeticFormatsOfTrainingAndPrompts) {
  EXPECT_EQ(arithmetic_prompt("question", "12", "34") + arithmetic_delimiter("question") +
                arithmetic_target("question", "46"),
            "Question: What is 12 plus 34?\nAnswer: 46");
  EXPECT_EQ(arithmetic_prompt("compact", "123", "456") + arithmetic_delimiter("compact") +
                arithmetic_target("compact", "579"),
            "123+456=579");
  EXPECT_EQ(arithmetic_prompt("reversed", "123", "989") + arithmetic_delimiter("reversed") +
                arithmetic_target("reversed", "1112"),
            "123+989=2111");
  EXPECT_EQ(arithmetic_target_field("reversed"), "answer_reversed");
  EXPECT_EQ(arithmetic_target_field("compact"), "answer");
  EXPECT_FALSE(is_arithmetic_format("words"));
  const std::string dir = testing::TempDir() + "/emergence_yaml_formats";
  ASSERT_TRUE(write_task_yamls(dir, {"arithmetic_add_2"}, "reversed").ok());
  std::ifstream f(dir + "/arithmetic_add_2.yaml");
  std::string y((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(y.find("doc_to_text: \"{{a}}+{{b}}=\"\n"), std::string::npos) << y;
  EXPECT_NE(y.find("doc_to_target: \"{{answer_reversed}}\"\n"), std::string::npos) << y;
  EXPECT_NE(y.find("target_delimiter: \"\"\n"), std::string::npos) << y;
  ASSERT_TRUE(write_task_yamls(dir, {"arithmetic_add_2"}, "question").ok());
  std::ifstream g(dir + "/arithmetic_add_2.yaml");
  std::string q((std::istreambuf_iterator<char>(g)), std::istreambuf_iterator<char>());
  EXPECT_NE(q.find("doc_to_text: \"Question: What is {{a}} plus {{b}}?\\nAnswer:\"\n"),
            std::string::npos)
      << q;
}

// Issue 13: in the reversed format the direct answer after "=" is reversed, but the worked-steps
// instances ended "The answer is 110." in the normal order, and the cot task's teacher-forced
// target for a held-out document was the normal-order answer right after "=", a string the model
// is never trained to write there. Worked steps now end in the answer as the format writes it.
TEST(EmergenceTasks, WorkedStepsEndInTheAnswerAsTheFormatWritesIt) {
  EXPECT_EQ(arithmetic_rationale("reversed", "56", "54"),
            "Ones: 6 + 4 + 0 = 10, write 0, carry 1. Tens: 5 + 5 + 1 = 11, write 1, carry 1. "
            "The carry 1 is the leading digit. The answer is 011.");
  EXPECT_EQ(arithmetic_rationale("reversed", "22", "32"),
            "Ones: 2 + 2 + 0 = 4, write 4, carry 0. Tens: 2 + 3 + 0 = 5, write 5, carry 0. "
            "The answer is 45.");
  for (const char* f : {"question", "compact"})
    EXPECT_EQ(arithmetic_rationale(f, "56", "54"),
              "Ones: 6 + 4 + 0 = 10, write 0, carry 1. Tens: 5 + 5 + 1 = 11, write 1, carry 1. "
              "The carry 1 is the leading digit. The answer is 110.");
  EXPECT_EQ(arithmetic_cot_field("reversed"), "cot_target_reversed");
  EXPECT_EQ(arithmetic_cot_field("question"), "cot_target");
  const std::string dir = testing::TempDir() + "/emergence_yaml_cot";
  ASSERT_TRUE(write_task_yamls(dir, {"arithmetic_add_2"}, "reversed").ok());
  std::ifstream f(dir + "/arithmetic_add_2_cot.yaml");
  std::string y((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(y.find("doc_to_target: \"{{cot_target_reversed}}\"\n"), std::string::npos) << y;
}

// The mixture and the task data it writes agree: every worked-steps training instance and every
// few-shot exemplar ends in the reversed sum, and a held-out document's cot target is the
// reversed answer (what the direct instances write after "=").
TEST(EmergenceMixture, ReversedWorkedStepsInTrainingAndTaskData) {
  const std::string out = testing::TempDir() + "/emergence_mix_reversed";
  std::filesystem::remove_all(out);
  auto path =
      write_config("mix.toml", "out = \"" + out + "\"\nthreads = 1\n" + std::string(kLadder3) +
                                   "[mixture]\narithmetic_digits = [2]\n"
                                   "arithmetic_train = 300\narithmetic_format = "
                                   "\"reversed\"\nworked_steps_fraction = 0.5\n"
                                   "induction_train = 0\nicl_fraction = 0\n"
                                   "[eval]\ntasks = [\"arithmetic_add_2\"]\n"
                                   "strategies = [\"zero-shot\", \"cot\"]\n");
  auto c = load_emergence_config(path);
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto st = build_mixture(*c);
  ASSERT_TRUE(st.ok()) << st.status().message();
  ASSERT_GT(st->worked_steps_instances, 50);
  auto reversed = [](std::string s) { return std::string(s.rbegin(), s.rend()); };
  // training instances "a+b=..." in OUT/data/mixture.jsonl
  std::ifstream mix(out + "/data/mixture.jsonl");
  std::string line;
  int worked = 0, direct = 0;
  while (std::getline(mix, line)) {
    std::string text = nlohmann::json::parse(line)["text"];
    size_t pos = 0;
    while (pos < text.size()) {
      size_t e = text.find("\n\n", pos);
      if (e == std::string::npos) e = text.size();
      const std::string inst = text.substr(pos, e - pos);
      pos = e + 2;
      const size_t plus = inst.find('+'), eq = inst.find('=');
      ASSERT_TRUE(plus != std::string::npos && eq != std::string::npos) << inst;
      const std::string sum = std::to_string(std::stoi(inst.substr(0, plus)) +
                                             std::stoi(inst.substr(plus + 1, eq - plus - 1)));
      const std::string rest = inst.substr(eq + 1);
      if (rest.starts_with("Ones:")) {
        EXPECT_TRUE(rest.ends_with("The answer is " + reversed(sum) + ".")) << inst;
        ++worked;
      } else {
        EXPECT_EQ(rest, reversed(sum)) << inst;
        ++direct;
      }
    }
  }
  EXPECT_EQ(worked, st->worked_steps_instances);
  EXPECT_EQ(worked + direct, st->arithmetic_instances);
  for (const char* split : {"train", "test"}) {
    std::ifstream docs(out + "/tasks/arithmetic_add_2/" + split + ".jsonl");
    int n = 0;
    while (std::getline(docs, line)) {
      auto j = nlohmann::json::parse(line);
      const std::string rev = reversed(j["answer"].get<std::string>());
      EXPECT_EQ(j["answer_reversed"], rev);
      const std::string cot = j["cot_target_reversed"];
      if (std::string(split) == "train")
        EXPECT_TRUE(cot.ends_with("The answer is " + rev + ".")) << cot;
      else
        EXPECT_EQ(cot, rev);
      ++n;
    }
    EXPECT_GT(n, 0) << split;
  }
}

TEST(EmergenceMixture, InductionLengthsVaryTheCopyOffset) {
  const std::string out = testing::TempDir() + "/emergence_mix_induction_lengths";
  std::filesystem::remove_all(out);
  auto config = [&](const std::string& lengths) {
    return write_config("ind.toml", "out = \"" + out + "\"\nthreads = 1\n" + std::string(kLadder3) +
                                        "[mixture]\narithmetic_digits = [1]\n"
                                        "arithmetic_train = 10\ninduction_train = 2000\n" +
                                        lengths +
                                        "examples_per_document = 1\nicl_fraction = 0\n"
                                        "[eval]\ntasks = [\"induction_copy\"]\n"
                                        "strategies = [\"zero-shot\"]\n");
  };
  auto c = load_emergence_config(config("induction_lengths = [8, 40]\n"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto st = build_mixture(*c);
  ASSERT_TRUE(st.ok()) << st.status().message();
  // each induction document is "s\ns" with s of 8..40 space-separated letters; the generated
  // ones (after the task's own 16-letter training sequences) take every length in the range
  std::ifstream mix(out + "/data/mixture.jsonl");
  std::string line;
  std::set<size_t> lengths;
  while (std::getline(mix, line)) {
    const std::string text = nlohmann::json::parse(line)["text"];
    const size_t nl = text.find('\n');
    // only induction documents are lower-case letters, spaces and the one newline
    if (nl == std::string::npos ||
        text.find_first_not_of("abcdefghijklmnopqrstuvwxyz \n") != std::string::npos)
      continue;
    const std::string first = text.substr(0, nl);
    EXPECT_EQ(text, first + "\n" + first);
    const size_t letters = (first.size() + 1) / 2;
    EXPECT_GE(letters, 8u) << first;
    EXPECT_LE(letters, 40u) << first;
    lengths.insert(letters);
  }
  EXPECT_EQ(lengths.size(), 33u);  // 8..40, 2,000 draws
  for (const char* bad : {"induction_lengths = [9, 4]\n", "induction_lengths = [8]\n",
                          "induction_lengths = [0, 8]\n"}) {
    auto b = load_emergence_config(config(bad));
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_NE(b.status().message().find("mixture.induction_lengths"), std::string::npos)
        << b.status().message();
  }
}

TEST(EmergenceMixture, ContiguousCopiesAndTheShiftedPrompt) {
  for (const std::string sep : {"", " "}) {
    const std::string out =
        testing::TempDir() + "/emergence_mix_contiguous" + (sep.empty() ? "" : "_spaced");
    std::filesystem::remove_all(out);
    auto c = load_emergence_config(write_config(
        "contig.toml", "out = \"" + out + "\"\nthreads = 1\n" + std::string(kLadder3) +
                           "[mixture]\narithmetic_digits = [1]\narithmetic_train = 10\n"
                           "induction_train = 300\ninduction_separator = \"" +
                           sep +
                           "\"\n"
                           "examples_per_document = 1\nicl_fraction = 0\n[eval]\n"
                           "tasks = [\"induction_copy\", \"induction_copy_shifted\"]\n"
                           "strategies = [\"zero-shot\"]\n"));
    ASSERT_TRUE(c.ok()) << c.status().message();
    ASSERT_TRUE(build_mixture(*c).ok());
    // the training copies: "s\ns", s the letters `sep` apart
    std::ifstream mix(out + "/data/mixture.jsonl");
    std::string line;
    int copies = 0;
    while (std::getline(mix, line)) {
      const std::string text = nlohmann::json::parse(line)["text"];
      if (text.find_first_not_of("abcdefghijklmnopqrstuvwxyz \n") != std::string::npos) continue;
      const std::string first = text.substr(0, text.find('\n'));
      EXPECT_EQ(text, first + "\n" + first);
      EXPECT_EQ(first.size(), sep.empty() ? 16u : 31u) << first;
      ++copies;
    }
    EXPECT_EQ(copies, 300);
    // the task data's fields, and the prompts built from them
    std::ifstream test(out + "/tasks/induction_copy/test.jsonl");
    ASSERT_TRUE(std::getline(test, line));
    auto d = nlohmann::json::parse(line);
    std::string letters = d["sequence"];
    std::erase(letters, ' ');
    // both forms, whichever the mixture trains: the spaced ones and "_contiguous"
    auto with_spaces = [&](const std::string& x) {
      std::string o;
      for (char ch : x) o += (o.empty() ? "" : " ") + std::string(1, ch);
      return o;
    };
    EXPECT_EQ(d["shifted_prefix"], with_spaces(letters.substr(4, 4)));
    EXPECT_EQ(d["shifted_continuation"], with_spaces(letters.substr(8)));
    EXPECT_EQ(d["sequence_contiguous"], letters);
    EXPECT_EQ(d["prefix_contiguous"], letters.substr(0, 4));
    EXPECT_EQ(d["continuation_contiguous"], letters.substr(4));
    EXPECT_EQ(d["shifted_prefix_contiguous"], letters.substr(4, 4));
    EXPECT_EQ(d["shifted_continuation_contiguous"], letters.substr(8));
    const std::string dir = out + "/eval-tasks";
    ASSERT_TRUE(write_task_yamls(dir, c->eval.tasks, "question", sep).ok());
    auto read = [](const std::string& p) {
      std::ifstream f(p);
      return std::string(std::istreambuf_iterator<char>(f), {});
    };
    const std::string f = sep.empty() ? "_contiguous" : "";
    const std::string copy = read(dir + "/induction_copy.yaml");
    const std::string shifted = read(dir + "/induction_copy_shifted.yaml");
    EXPECT_NE(copy.find("doc_to_text: \"{{sequence" + f + "}}\\n{{prefix" + f + "}}\""),
              std::string::npos)
        << copy;
    EXPECT_NE(copy.find("doc_to_target: \"{{continuation" + f + "}}\""), std::string::npos);
    EXPECT_NE(shifted.find("doc_to_text: \"{{sequence" + f + "}}\\n{{shifted_prefix" + f + "}}\""),
              std::string::npos)
        << shifted;
    EXPECT_NE(shifted.find("doc_to_target: \"{{shifted_continuation" + f + "}}\""),
              std::string::npos);
    EXPECT_NE(shifted.find("target_delimiter: \"" + sep + "\""), std::string::npos);
    EXPECT_NE(shifted.find("task: induction_copy_shifted\ndataset_path: induction_copy"),
              std::string::npos);
  }
}

TEST(EmergenceMixture, RepeatedHalvesTrainedAndHeldOut) {
  const std::string out = testing::TempDir() + "/emergence_mix_repeat";
  std::filesystem::remove_all(out);
  auto config = [&](const std::string& body) {
    return write_config("rep.toml", "out = \"" + out + "\"\nthreads = 1\n" + std::string(kLadder3) +
                                        "[mixture]\narithmetic_digits = [1]\n"
                                        "arithmetic_train = 10\ninduction_train = 0\n"
                                        "icl_fraction = 0\n" +
                                        body +
                                        "[eval]\ntasks = [\"arithmetic_add_1\"]\n"
                                        "strategies = [\"zero-shot\"]\n");
  };
  auto c = load_emergence_config(
      config("repeat_train = 400\nrepeat_lengths = [256, 300]\nrepeat_alphabet = 2\n"
             "repeat_documents = 6\n"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto st = build_mixture(*c);
  ASSERT_TRUE(st.ok()) << st.status().message();
  EXPECT_EQ(st->repeat_instances, 400);
  // held out: drawn from data_seed, the same on every call, none of them trained on
  const auto held = heldout_repeat_documents(*c);
  ASSERT_EQ(held.size(), 6u);
  EXPECT_EQ(held, heldout_repeat_documents(*c));
  const std::set<std::string> held_set(held.begin(), held.end());
  EXPECT_EQ(held_set.size(), 6u);
  EmergenceConfig other = *c;
  other.data_seed += 1;
  EXPECT_NE(heldout_repeat_documents(other), held);
  // training documents: L symbols of the first repeat_alphabet ("ab") then the same L again
  std::ifstream mix(out + "/data/mixture.jsonl");
  std::string line;
  int repeats = 0;
  std::set<size_t> lengths;
  while (std::getline(mix, line)) {
    const std::string text = nlohmann::json::parse(line)["text"];
    if (text.find_first_not_of("ab") != std::string::npos) continue;
    ASSERT_EQ(text.size() % 2, 0u);
    const size_t half = text.size() / 2;
    EXPECT_EQ(text.substr(0, half), text.substr(half));
    EXPECT_GE(half, 256u);
    EXPECT_LE(half, 300u);
    EXPECT_EQ(held_set.count(text), 0u);
    lengths.insert(half);
    ++repeats;
  }
  EXPECT_EQ(repeats, 400);
  EXPECT_GT(lengths.size(), 30u);  // L uniform in [256, 300]
  // the held-out ones as the ICL score reads them: OUT/data/icl-repeat.jsonl, cut to 512 tokens
  auto docs = load_repeat_documents(*c, 512);
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  ASSERT_EQ(docs->size(), 6u);
  std::ifstream f(out + "/data/icl-repeat.jsonl");
  for (size_t i = 0; i < held.size(); ++i) {
    ASSERT_TRUE(std::getline(f, line));
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["text"], held[i]);
    ASSERT_EQ((*docs)[i].size(), 512u);
    for (size_t t = 0; t < 512; ++t)
      EXPECT_EQ((*docs)[i][t], static_cast<unsigned char>(held[i][t]));  // bytes tokenizer
  }
  // the exclusion at work: with halves of 1 symbol of 2 there are 2 possible documents; the one
  // held out never trains, and when both are held out the build fails instead of spinning
  {
    EmergenceConfig tiny = *c;
    std::filesystem::remove_all(out + "-tiny");
    std::filesystem::remove_all(out + "-tiny2");
    tiny.out = out + "-tiny";
    tiny.mixture.repeat_lengths = {1, 1};
    tiny.mixture.repeat_documents = 1;
    tiny.mixture.repeat_train = 50;
    const auto h = heldout_repeat_documents(tiny);
    ASSERT_EQ(h.size(), 1u);
    ASSERT_TRUE(build_mixture(tiny).ok());
    std::ifstream tm(tiny.out + "/data/mixture.jsonl");
    int kept = 0;
    while (std::getline(tm, line)) {
      const std::string text = nlohmann::json::parse(line)["text"];
      if (text != "aa" && text != "bb") continue;
      EXPECT_NE(text, h[0]);
      ++kept;
    }
    EXPECT_EQ(kept, 50);
    tiny.out = out + "-tiny2";
    tiny.mixture.repeat_documents = 40;  // both "aa" and "bb" (40 draws of 2)
    auto all = build_mixture(tiny);
    ASSERT_FALSE(all.ok());
    EXPECT_NE(all.status().message().find("every repeated-halves document drawn is a held-out"),
              std::string::npos)
        << all.status().message();
  }
  // off by default: no training documents, none held out, the fingerprint unchanged
  auto plain = load_emergence_config(config(""));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->mixture.repeat_train, 0);
  EXPECT_TRUE(heldout_repeat_documents(*plain).empty());
  EXPECT_EQ(mixture_fingerprint(*plain, plain->mixture).find("repeat"), std::string::npos);
  EXPECT_NE(mixture_fingerprint(*c, c->mixture).find("repeat"), std::string::npos);
  for (const auto& [bad, want] : std::vector<std::pair<std::string, std::string>>{
           {"repeat_lengths = [300, 256]\n", "mixture.repeat_lengths: [min, max]"},
           {"repeat_lengths = [256]\n", "mixture.repeat_lengths: [min, max]"},
           {"repeat_lengths = [0, 8]\n", "mixture.repeat_lengths: symbol counts must be 1..4096"},
           {"repeat_lengths = 8\n", "mixture.repeat_lengths: must be an array"},
           {"repeat_alphabet = 1\n", "mixture.repeat_alphabet: must be 2..90"},
           {"repeat_alphabet = 91\n", "mixture.repeat_alphabet: must be 2..90"},
           {"repeat_train = -1\n", "mixture.repeat_train: repeat_train and repeat_documents"},
           // a held-out document must reach token 500 with token 50 in its first half
           {"repeat_documents = 4\nrepeat_lengths = [100, 120]\n",
            "mixture.repeat_lengths: [100, 120] with repeat_documents"},
           {"repeat_documents = 4\nrepeat_lengths = [256, 600]\n",
            "mixture.repeat_lengths: [256, 600] with repeat_documents"}}) {
    auto b = load_emergence_config(config(bad));
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_NE(b.status().message().find(want), std::string::npos) << b.status().message();
  }
}

TEST(EmergenceConfigErrors, LadderOfFewerThanThreeSizes) {
  auto path =
      write_config("two.toml",
                   "out = \"x\"\n[[ladder]]\nn_layer = 1\nn_head = 1\nn_embd = 8\n"
                   "[[ladder]]\nn_layer = 2\nn_head = 2\nn_embd = 16\n"
                   "[eval]\ntasks = [\"arithmetic_add_1\"]\nstrategies = [\"zero-shot\"]\n");
  auto c = load_emergence_config(path);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(path + ": ladder: has 2 sizes"), std::string::npos)
      << c.status().message();
  EXPECT_FALSE(c.status().hint().empty());
}

TEST(EmergenceConfigErrors, TaskMissingFromTheHeldOutSet) {
  auto path = write_config(
      "task.toml", std::string("out = \"x\"\n") + kLadder3 +
                       "[mixture]\narithmetic_digits = [1, 2]\n"
                       "[eval]\ntasks = [\"arithmetic_add_3\"]\nstrategies = [\"zero-shot\"]\n");
  auto c = load_emergence_config(path);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("eval.tasks"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("not in the mixture's held-out set"), std::string::npos);
  EXPECT_NE(c.status().hint().find("arithmetic_digits"), std::string::npos);
  // a corpus task without the sample corpus
  auto p2 = write_config("kjv.toml",
                         std::string("out = \"x\"\n") + kLadder3 +
                             "[eval]\ntasks = [\"kjv_cloze\"]\nstrategies = [\"zero-shot\"]\n");
  auto c2 = load_emergence_config(p2);
  ASSERT_FALSE(c2.ok());
  EXPECT_NE(c2.status().hint().find("mixture.sample"), std::string::npos);
}

TEST(EmergenceConfigErrors, UnknownKeysStrategiesAndTypes) {
  for (const auto& [body, want] : std::vector<std::pair<std::string, std::string>>{
           {"out = \"x\"\nbogus = 1\n", "bogus: unknown key"},
           {std::string("out = \"x\"\n") + kLadder3 +
                "[eval]\ntasks = [\"arithmetic_add_1\"]\nstrategies = [\"greedy\"]\n",
            "'greedy' is not zero-shot"},
           {std::string("out = \"x\"\nseq_len = \"long\"\n") + kLadder3, "seq_len: has the wrong"},
           {std::string("out = \"x\"\n") + kLadder3 +
                "[mixture]\narithmetic_format = \"words\"\n"
                "[eval]\ntasks = [\"arithmetic_add_1\"]\nstrategies = [\"zero-shot\"]\n",
            "mixture.arithmetic_format: 'words' is not question, compact or reversed"},
           {std::string("out = \"x\"\n") + kLadder3 +
                "[mixture]\narithmetic_epochs = 0\n"
                "[eval]\ntasks = [\"arithmetic_add_1\"]\nstrategies = [\"zero-shot\"]\n",
            "mixture.arithmetic_epochs: must be 1..1000"},
           {std::string("out = \"x\"\nseq_len = 256\n") + kLadder3 +
                "[eval]\ntasks = [\"arithmetic_add_1\"]\nstrategies = [\"zero-shot\"]\n",
            "eval.icl_context"}}) {
    auto c = load_emergence_config(write_config("bad.toml", body));
    ASSERT_FALSE(c.ok()) << body;
    EXPECT_NE(c.status().message().find(want), std::string::npos) << c.status().message();
  }
}

TEST(EmergenceConfig, IclMixtureInheritsMixtureAndKeepsTheHeldOutSets) {
  const std::string icl = "[[icl_models]]\nn_layer = 1\nn_head = 2\nn_embd = 16\n";
  const std::string eval = "[eval]\ntasks = [\"induction_copy\"]\nstrategies = [\"zero-shot\"]\n";
  auto c = load_emergence_config(write_config(
      "iclmix.toml", std::string("out = \"x\"\n") + kLadder3 + icl +
                         "[mixture]\ntext_fraction = 0.01\ninduction_train = 50\n"
                         "induction_separator = \"\"\narithmetic_digits = [1, 2]\n"
                         "[icl_mixture]\ntext_fraction = 0.2\ninduction_lengths = [8, 64]\n"
                         "[budget]\nicl_tokens = 12e6\n" +
                         eval));
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE(c->icl_mixture.has_value());
  EXPECT_EQ(c->icl_mixture->text_fraction, 0.2);       // set
  EXPECT_EQ(c->icl_mixture->induction_train, 50);      // [mixture]'s
  EXPECT_EQ(c->icl_mixture->induction_separator, "");  // [mixture]'s
  auto own = load_emergence_config(
      write_config("iclmix2.toml", std::string("out = \"x\"\n") + kLadder3 + icl +
                                       "[icl_mixture]\ninduction_separator = \"\"\n" + eval));
  ASSERT_TRUE(own.ok()) << own.status().message();
  EXPECT_EQ(own->mixture.induction_separator, " ");
  EXPECT_EQ(own->icl_mixture->induction_separator, "");
  EXPECT_EQ(c->icl_mixture->arithmetic_digits, (std::vector<int>{1, 2}));  // [mixture]'s
  EXPECT_EQ(c->icl_mixture->induction_lengths, (std::vector<int>{8, 64}));
  EXPECT_TRUE(c->mixture.induction_lengths.empty());
  // the ICL models' steps come from budget.icl_tokens, the ladder's from the rule
  for (const auto& m : plan_models(*c, 257))
    EXPECT_NEAR(m.tokens, m.role == "icl" ? 12e6 : 1e6, 4 * 8 * 512) << m.name;  // K steps
  // budget.icl_batch_size: the ICL models take more, smaller steps for the same tokens
  auto small = load_emergence_config(write_config(
      "iclbatch.toml", std::string("out = \"x\"\n") + kLadder3 + icl +
                           "[budget]\nicl_tokens = 12e6\nicl_batch_size = 2\n" + eval));
  ASSERT_TRUE(small.ok()) << small.status().message();
  for (const auto& m : plan_models(*small, 257)) {
    EXPECT_EQ(m.batch_size, m.role == "icl" ? 2 : 8) << m.name;
    EXPECT_EQ(m.tokens, static_cast<double>(m.steps) * m.batch_size * 512) << m.name;
    if (m.role == "icl") EXPECT_EQ(m.steps, 11720) << m.name;  // ceil(12e6 / 1024), to K = 4
  }
  for (const auto& [body, want] : std::vector<std::pair<std::string, std::string>>{
           {icl + "[icl_mixture]\nicl_fraction = 0.2\n", "icl_mixture.icl_fraction: is set in"},
           {icl + "[icl_mixture]\ninduction_separator = \"+\"\n",
            "icl_mixture.induction_separator: \" \" (spaced letters) or \"\""},
           {icl + "[icl_mixture]\narithmetic_format = \"compact\"\n",
            "icl_mixture.arithmetic_format: is set in"},
           {icl + "[icl_mixture]\nrepeat_documents = 8\n",
            "icl_mixture.repeat_documents: is set in"},
           {icl + "[icl_mixture]\nrepeat_alphabet = 8\n", "icl_mixture.repeat_alphabet: is set in"},
           {icl + "[icl_mixture]\ntext_fraction = 0\n", "icl_mixture.text_fraction: must be in"},
           {"[icl_mixture]\ntext_fraction = 0.5\n", "icl_mixture: is given but no [[icl_models]]"},
           {icl + "icl_mixture = 3\n", "icl_mixture: must be a table"},
           {icl + "[mixture]\ninduction_separator = \"-\"\n",
            "mixture.induction_separator: \" \" (spaced letters) or \"\""},
           {icl + "[budget]\nicl_tokens = -1\n", "budget.icl_tokens: must be >= 0"},
           {icl + "[budget]\nicl_batch_size = -2\n", "budget.icl_batch_size: must be >= 0"}}) {
    // "icl_mixture = 3" must come before any table to be a top-level key
    const std::string text = body.starts_with(icl + "icl_mixture")
                                 ? "icl_mixture = 3\nout = \"x\"\n" + std::string(kLadder3) + icl
                                 : std::string("out = \"x\"\n") + kLadder3 + body;
    auto b = load_emergence_config(write_config("badiclmix.toml", text + eval));
    ASSERT_FALSE(b.ok()) << body;
    EXPECT_NE(b.status().message().find(want), std::string::npos) << b.status().message();
  }
}

TEST(EmergencePlan, CheckpointsEvenlySpacedAndBudgetRules) {
  auto path = write_config(
      "plan.toml", std::string("out = \"x\"\nbatch_size = 4\nseq_len = 512\nmin_steps = 1\n") +
                       kLadder3 +
                       "[budget]\nrule = \"fixed\"\ntokens = 100000\ncheckpoints = 4\n"
                       "[eval]\ntasks = [\"arithmetic_add_1\"]\nstrategies = [\"zero-shot\"]\n");
  auto c = load_emergence_config(path);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  auto models = plan_models(*c, 257);
  ASSERT_EQ(models.size(), 3u);
  for (const auto& m : models) {
    EXPECT_EQ(m.steps % 4, 0);
    EXPECT_GE(m.tokens, 100000);
    ASSERT_EQ(m.checkpoint_steps.size(), 4u);
    EXPECT_EQ(m.checkpoint_steps.back(), m.steps);
    EXPECT_EQ(m.checkpoint_steps[0] * 4, m.steps);
  }
  EXPECT_NEAR(models[1].non_embedding_params, 2 * (12 * 256 + 13 * 16) + 2 * 16, 1e-9);
  c->budget.rule = "tokens_per_param";
  c->budget.tokens_per_param = 20;
  models = plan_models(*c, 257);
  EXPECT_LT(models[0].tokens, models[2].tokens);  // D grows with N
  EXPECT_GE(models[2].tokens, 20 * models[2].non_embedding_params);
}

TEST(EmergenceTasks, YamlForEveryTask) {
  const std::string dir = testing::TempDir() + "/emergence_yaml";
  ASSERT_TRUE(
      write_task_yamls(dir, {"arithmetic_add_3", "induction_copy", "kjv_cloze", "gcide_define"})
          .ok());
  for (const char* f :
       {"arithmetic_add_3", "arithmetic_add_3_cot", "induction_copy", "kjv_cloze", "gcide_define"})
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + f + ".yaml")) << f;
  EXPECT_FALSE(task_info("arithmetic_add_6"));
  EXPECT_TRUE(task_info("arithmetic_add_5")->has_cot);
}

}  // namespace
}  // namespace lm::emergence

namespace lm::emergence {
namespace {

// [[icl_models]] / [[ladder]] shapes with mlp = false: attention-only models reach the plan
// (names ending in -attn, N without the zero MLP: 4 L h^2 + 6 L h + 2 h, GptConfig's count) and
// the trainer's config; a misspelt or mistyped shape key is an error. The committed probe config
// (examples/probes/emergence-icl-attn.toml) loads with its ICL pair attention-only.
TEST(EmergenceConfig, AttentionOnlyShapesReachThePlan) {
  const std::string icl =
      "[[icl_models]]\nn_layer = 1\nn_head = 4\nn_embd = 64\nmlp = false\n"
      "[[icl_models]]\nn_layer = 2\nn_head = 4\nn_embd = 64\nmlp = false\n";
  const std::string eval = "[eval]\ntasks = [\"induction_copy\"]\nstrategies = [\"zero-shot\"]\n";
  auto c = load_emergence_config(
      write_config("attn.toml", std::string("out = \"x\"\n") + kLadder3 + icl + eval));
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->models.size(), 5u);
  for (size_t i = 0; i < 5; i++) EXPECT_EQ(c->models[i].shape.mlp, i < 3) << i;
  const auto plan = plan_models(*c, 257);
  ASSERT_EQ(plan.size(), 5u);
  EXPECT_EQ(plan[0].name, "ladder-l1-h1-e8");
  EXPECT_EQ(plan[3].name, "icl-l1-h4-e64-attn");
  EXPECT_EQ(plan[4].name, "icl-l2-h4-e64-attn");
  for (const auto& m : plan) {
    model::GptConfig g{.vocab_size = 257,
                       .n_ctx = 512,
                       .n_layer = m.shape.n_layer,
                       .n_head = m.shape.n_head,
                       .n_embd = m.shape.n_embd,
                       .mlp = m.shape.mlp};
    EXPECT_DOUBLE_EQ(m.non_embedding_params,
                     (double)(g.num_params_no_position() - 257 * m.shape.n_embd))
        << m.name;
    EXPECT_DOUBLE_EQ(m.params, (double)g.num_params()) << m.name;
  }
  EXPECT_DOUBLE_EQ(plan[4].non_embedding_params, 2 * (4 * 64 * 64 + 6 * 64) + 2 * 64);
  for (const auto& [shape, want] : std::vector<std::pair<std::string, std::string>>{
           {"mlp = 0\n", "icl_models[0].mlp: has the wrong type"},
           {"mpl = false\n", "icl_models[0].mpl: is not a shape key"}}) {
    auto b = load_emergence_config(
        write_config("attnbad.toml", std::string("out = \"x\"\n") + kLadder3 +
                                         "[[icl_models]]\nn_layer = 1\nn_head = 4\nn_embd = 64\n" +
                                         shape + eval));
    ASSERT_FALSE(b.ok()) << shape;
    EXPECT_NE(b.status().message().find(want), std::string::npos) << b.status().message();
  }
  auto probe = load_emergence_config(std::string(LMFORGE_SOURCE_DIR) +
                                     "/examples/probes/emergence-icl-attn.toml");
  ASSERT_TRUE(probe.ok()) << probe.status().message();
  int attn = 0;
  for (const auto& m : probe->models) attn += m.role == "icl" && !m.shape.mlp;
  EXPECT_EQ(attn, 2);
  EXPECT_EQ(probe->budget.icl_tokens, 12e6);
  // the repeated-halves probe (docs/emergence.md): the same pair on repeated random halves
  auto rep = load_emergence_config(std::string(LMFORGE_SOURCE_DIR) +
                                   "/examples/probes/emergence-icl-repeat.toml");
  ASSERT_TRUE(rep.ok()) << rep.status().message();
  ASSERT_TRUE(rep->icl_mixture.has_value());
  EXPECT_EQ(rep->icl_mixture->repeat_train, 30000);
  EXPECT_EQ(rep->icl_mixture->induction_train, 0);
  EXPECT_EQ(rep->mixture.repeat_documents, 100);
  EXPECT_EQ(rep->budget.icl_tokens, 16e6);
  EXPECT_EQ(rep->icl_mixture->repeat_lengths, (std::vector<int>{16, 320}));
  EXPECT_EQ(rep->mixture.repeat_lengths, (std::vector<int>{256, 320}));
}

// [icl_mixture] may train on repeated halves of other lengths than the held-out ones: its own
// documents have its lengths, the held-out set keeps [mixture]'s
TEST(EmergenceMixture, IclMixtureTrainsOnItsOwnRepeatLengths) {
  const std::string out = testing::TempDir() + "/emergence_mix_repeat_icl";
  std::filesystem::remove_all(out);
  auto c = load_emergence_config(write_config(
      "repicl.toml", "out = \"" + out + "\"\nthreads = 1\n" + std::string(kLadder3) +
                         "[[icl_models]]\nn_layer = 1\nn_head = 2\nn_embd = 16\n"
                         "[mixture]\narithmetic_digits = [1]\narithmetic_train = 10\n"
                         "induction_train = 0\nicl_fraction = 0\nrepeat_documents = 5\n"
                         "[icl_mixture]\nrepeat_train = 300\nrepeat_lengths = [4, 40]\n"
                         "[eval]\ntasks = [\"arithmetic_add_1\"]\nstrategies = [\"zero-shot\"]\n"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE(c->icl_mixture.has_value());
  EXPECT_EQ(c->icl_mixture->repeat_lengths, (std::vector<int>{4, 40}));
  EXPECT_EQ(c->mixture.repeat_lengths, (std::vector<int>{256, 320}));
  EXPECT_NE(mixture_fingerprint(*c, *c->icl_mixture).find("[4,40]"), std::string::npos);
  ASSERT_TRUE(build_mixture(*c).ok());
  auto st = build_icl_mixture(*c);
  ASSERT_TRUE(st.ok()) << st.status().message();
  EXPECT_EQ(st->repeat_instances, 300);
  std::ifstream mix(out + "/data-icl/mixture.jsonl");
  std::string line;
  int repeats = 0;
  size_t longest = 0;
  while (std::getline(mix, line)) {
    const std::string text = nlohmann::json::parse(line)["text"];
    if (text.size() < 8 || text.size() % 2 ||
        text.substr(0, text.size() / 2) != text.substr(text.size() / 2) ||
        text.find_first_not_of(kRepeatSymbols.substr(0, 64)) != std::string::npos)
      continue;
    ++repeats;
    longest = std::max(longest, text.size() / 2);
    EXPECT_LE(text.size() / 2, 40u);
  }
  EXPECT_GE(repeats, 295);  // (an arithmetic document could pass the test by chance: none here)
  EXPECT_GE(longest, 30u);
  for (const auto& h : heldout_repeat_documents(*c)) {
    EXPECT_GE(h.size() / 2, 256u);
    EXPECT_LE(h.size() / 2, 320u);
  }
}

}  // namespace
}  // namespace lm::emergence
