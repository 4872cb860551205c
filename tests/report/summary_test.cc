// summary_test.cc: `lmforge summary OUT` on a small hand-written fixture of the files the main
// job's stages write (the figures are known, so every row is checked), a stage added later that
// only has a time, missing stages left out, and a corrupt file named in the error.
#include "report/summary.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/file_util.h"
#include "test_util.h"

namespace lm::report {
namespace {

std::string fixture(const std::string& name) {
  const std::string d =
      std::string(LMFORGE_BUILD_DIR) + "/test-tmp/summary-" + name + "-" + std::to_string(getpid());
  auto w = [&](const std::string& rel, const std::string& text) {
    const std::string path = d + "/" + rel;
    EXPECT_TRUE(make_dirs(path.substr(0, path.rfind('/'))).ok());
    EXPECT_TRUE(write_file_atomic(path, text).ok());
  };
  w("sample/manifest.json",
    R"({"documents": 300, "sources": {"a/en": {"bytes": 2000000, "documents": 200},
       "b/de": {"bytes": 1000000, "documents": 100}}})");
  w("clean/stats.json", R"({"input": {"documents": 300, "bytes": 3000000},
       "kept": {"documents": 270, "bytes": 2400000},
       "by_lang": {"de": {"kept": {"documents": 90}}, "en": {"kept": {"documents": 180}}}})");
  w("dedup/stats.json", R"({"documents_in": 300, "documents_kept": 296, "lines_removed": 1200})");
  w("tokenizer.json", R"({"added_tokens": [{"id": 5, "content": "<|endoftext|>"}],
       "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4}}})");
  // 270 documents, 1,000,270 tokens with their EOTs: 2.4 MB / 1e6 = 2.4 bytes per token.
  w("pack/corpus.meta.json", R"({"train": {"documents": 265, "tokens": 980265},
       "val": {"documents": 5, "tokens": 20005}})");
  w("run/run.json", R"({"params": 5500000})");
  w("run/metrics.jsonl",
    "{\"step\": 1, \"tokens\": 2048, \"loss\": 9.0, \"tokens_per_sec\": 100}\n"
    "{\"event\": \"checkpoint\"}\n"
    "{\"step\": 2, \"tokens\": 4096, \"loss\": 8.0, \"tokens_per_sec\": 6000}\n"
    "{\"step\": 3, \"tokens\": 6144, \"loss\": 7.0, \"tokens_per_sec\": 6200, \"val_loss\": "
    "4.5}\n");
  w("run/generate.txt", "In the beginning\n");
  w("run/eval/results.json", R"({"results": {
       "arithmetic_add_1": {"alias": "arithmetic_add_1", "exact_match,none": 0.25,
         "exact_match_stderr,none": 0.1, "token_edit_distance,none": 1.5}}})");
  w("run/eval/kjv/results.json", R"({"results": {
       "kjv_cloze": {"alias": "kjv_cloze", "perplexity,none": 900.0, "acc,none": 0.125}}})");
  w("run/report.html", "<html></html>");
  w("sweep-tiny/sweep.json", R"({"runs": 9, "holdout_predicted_loss": 5.5,
       "holdout_actual_loss": 5.0, "holdout_error": 0.5,
       "fit": {"E": 0.01, "alpha": 0.3, "beta": 0.25, "E_identified": false}})");
  w("sft/eval_base/results.json", R"({"results": {"sft_add": {"exact_match,none": 0.0},
       "sft_parity": {"exact_match,none": 0.1}}})");
  w("sft/eval_sft/results.json", R"({"results": {"sft_add": {"exact_match,none": 0.5},
       "sft_parity": {"exact_match,none": 0.9}}})");
  w("times.tsv", "Collect\t1.5\nClean\t20\nPlan\t0.5\nSFT\t4\nLater\t26\n");
  return d;
}

const StageRow* row(const PipelineSummary& s, const std::string& stage) {
  for (const auto& r : s.rows)
    if (r.stage == stage) return &r;
  return nullptr;
}

TEST(Summary, EveryStageFigureFromItsFiles) {
  const std::string dir = fixture("full");
  auto s = summarize_pipeline(dir);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  auto fig = [&](const std::string& stage) {
    const StageRow* r = row(*s, stage);
    EXPECT_NE(r, nullptr) << stage;
    return r ? r->figure : std::string();
  };
  EXPECT_EQ(fig("Collect"), "300 documents, 3.00 MB of text, 2 languages");
  EXPECT_EQ(fig("Clean"), "270 of 300 documents kept (90.0%), 2.40 MB\nde 90, en 180");
  EXPECT_EQ(fig("Dedup"), "4 of 300 documents removed as duplicates, 1,200 lines");
  EXPECT_EQ(fig("Tokenize"), "vocabulary 6 (BPE)");
  EXPECT_EQ(fig("Pack"), "0.98 M train + 0.02 M val tokens, 2.40 bytes/token");
  EXPECT_EQ(fig("Train"),
            "5.50 M params, 3 steps, 0.01 M tokens\nval loss 4.500 (perplexity 90.0), 6,000 "
            "tokens/s");  // the median speed
  EXPECT_EQ(fig("Generate"), "17 bytes of samples");
  EXPECT_EQ(fig("Evaluate"), "arithmetic_add_1: exact_match,none 0.250\nkjv_cloze: acc,none 0.125");
  EXPECT_EQ(fig("Scale"),
            "9 runs; held-out predicted 5.500, actual 5.000 (error +0.500, +10.0%)\n"
            "alpha 0.30, beta 0.25, E 0.01 (not identified)");
  EXPECT_EQ(fig("SFT"), "held-out exact match 5.0% (base) -> 70.0% (SFT), mean of 2 tasks");
  EXPECT_EQ(row(*s, "Evaluate")->path, "run/eval/**/results.json");
  EXPECT_EQ(row(*s, "Scale")->path, "sweep-tiny/");
  EXPECT_EQ(row(*s, "Watch")->path, "run/report.html");
  // Times: from times.tsv; a stage the library does not know (added to the script later) is
  // listed with its time; Plan writes nothing but ran.
  EXPECT_DOUBLE_EQ(row(*s, "Clean")->seconds, 20);
  EXPECT_LT(row(*s, "Train")->seconds, 0);
  EXPECT_DOUBLE_EQ(row(*s, "SFT")->seconds, 4);
  ASSERT_NE(row(*s, "Later"), nullptr);
  EXPECT_DOUBLE_EQ(row(*s, "Later")->seconds, 26);
  EXPECT_EQ(s->rows.back().stage, "Later");
  ASSERT_NE(row(*s, "Plan"), nullptr);
  EXPECT_DOUBLE_EQ(s->total_seconds, 52);
  auto j = summary_json(*s);
  EXPECT_DOUBLE_EQ(j["figures"]["Train"]["val_loss"].get<double>(), 4.5);
  EXPECT_DOUBLE_EQ(j["figures"]["Pack"]["bytes_per_token"].get<double>(), 2.4);
  EXPECT_DOUBLE_EQ(j["figures"]["Scale"]["holdout_error"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["figures"]["SFT"]["sft_exact_match"].get<double>(), 0.7);

  // The CLI prints the table, one line per stage plus continuation lines and the total.
  auto cli = testing_util::run_lmforge("summary " + dir);
  ASSERT_EQ(cli.code, 0) << cli.out;
  EXPECT_NE(cli.out.find("Clean        20.0  270 of 300 documents kept"), std::string::npos)
      << cli.out;
  EXPECT_NE(cli.out.find("total        52.0  (0.9 min)"), std::string::npos) << cli.out;
  auto js = testing_util::run_lmforge("summary --json " + dir);
  ASSERT_EQ(js.code, 0) << js.out;
  EXPECT_NE(js.out.find("\"val_loss\":4.5"), std::string::npos) << js.out;
}

TEST(Summary, MissingStagesLeftOutAndCorruptFilesNamed) {
  const std::string dir = fixture("partial");
  ASSERT_EQ(
      std::system(("rm -rf " + dir + "/sweep-tiny " + dir + "/run " + dir + "/dedup").c_str()), 0);
  auto s = summarize_pipeline(dir);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(row(*s, "Train"), nullptr);
  EXPECT_EQ(row(*s, "Scale"), nullptr);
  EXPECT_NE(row(*s, "Pack"), nullptr);

  ASSERT_TRUE(write_file_atomic(dir + "/clean/stats.json", "{\"input\": ").ok());
  auto bad = summarize_pipeline(dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("clean/stats.json"), std::string::npos);
  ASSERT_TRUE(write_file_atomic(dir + "/clean/stats.json", "{}").ok());
  ASSERT_TRUE(write_file_atomic(dir + "/times.tsv", "Collect 1.5\n").ok());
  auto bad_times = summarize_pipeline(dir);
  ASSERT_FALSE(bad_times.ok());
  EXPECT_NE(bad_times.status().message().find("times.tsv:1"), std::string::npos);

  auto none = testing_util::run_lmforge("summary " + dir + "/no-such-folder");
  EXPECT_EQ(none.code, 1);
  EXPECT_NE(none.out.find("no such folder"), std::string::npos) << none.out;
}

TEST(Summary, EmergenceRowFromItsStudy) {
  const std::string dir = fixture("emergence");
  ASSERT_TRUE(make_dirs(dir + "/emergence").ok());
  ASSERT_TRUE(write_file_atomic(
                  dir + "/emergence/emergence.json",
                  R"({"rows": [{}, {}], "analysis": {"mirage": {"arithmetic_add_3": {"zero-shot":
                  {"points": [{"exact_match": 0.05, "token_accuracy": 0.4},
                              {"exact_match": 0.6, "token_accuracy": 0.9}]}}}}})")
                  .ok());
  auto s = summarize_pipeline(dir);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  const StageRow* r = nullptr;
  for (const auto& x : s->rows)
    if (x.stage == "Emergence") r = &x;
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->figure, "2 checkpoints; arithmetic_add_3 EM 0.05 -> 0.60, token acc 0.40 -> 0.90");
  EXPECT_EQ(r->path, "emergence/");
}

TEST(Summary, WeightedPackShowsItsWeightsNotBytesPerToken) {
  // pack --weight writes some train documents several times: bytes/token from the cleaned text
  // would be wrong (48 MB over 20 M tokens read 2.39 for a 2.98 corpus), so the weights show.
  const std::string dir = fixture("weighted");
  ASSERT_TRUE(write_file_atomic(dir + "/pack/corpus.meta.json",
                                R"({"train": {"documents": 400, "tokens": 1500400},
                                    "val": {"documents": 5, "tokens": 20005},
                                    "source_weights": {"a": 3, "b": 0.5}})")
                  .ok());
  auto s = summarize_pipeline(dir);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  const StageRow* r = row(*s, "Pack");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->figure, "1.50 M train + 0.02 M val tokens (train weighted: a x3, b x0.5)");
  auto j = summary_json(*s);
  EXPECT_FALSE(j["figures"]["Pack"].contains("bytes_per_token"));
  EXPECT_EQ(j["figures"]["Pack"]["source_weights"]["a"].get<double>(), 3);
}

}  // namespace
}  // namespace lm::report
