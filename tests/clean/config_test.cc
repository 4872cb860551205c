// config_test.cc: the TOML recipe: examples/clean.toml equals the built-in default; unknown
// tables/keys and bad values are errors naming the file, line and key.
#include "clean/config.h"

#include <gtest/gtest.h>

#include "core/file_util.h"

namespace lm::clean {
namespace {

TEST(Config, ExampleFileIsTheDefault) {
  auto c = load_config(std::string(LMFORGE_SOURCE_DIR) + "/examples/clean.toml");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  CleanConfig d;
  EXPECT_EQ(c->language.langs, d.language.langs);
  EXPECT_EQ(c->language.min_score, d.language.min_score);
  EXPECT_EQ(c->gopher_quality.min_words, d.gopher_quality.min_words);
  EXPECT_EQ(c->gopher_quality.stop_words, d.gopher_quality.stop_words);
  EXPECT_EQ(c->gopher_repetition.max_dup_ngram, d.gopher_repetition.max_dup_ngram);
  EXPECT_EQ(c->gopher_repetition.max_top_ngram, d.gopher_repetition.max_top_ngram);
  EXPECT_EQ(c->c4.min_sentences, d.c4.min_sentences);
  EXPECT_EQ(c->c4.require_terminal_punct, d.c4.require_terminal_punct);
  EXPECT_EQ(c->fineweb.max_short_line_ratio, d.fineweb.max_short_line_ratio);
  EXPECT_EQ(c->boilerplate.phrases, d.boilerplate.phrases);
  EXPECT_EQ(c->gibberish.max_symbol_ratio, d.gibberish.max_symbol_ratio);
  EXPECT_EQ(c->dedup.preset, d.dedup.preset);
  EXPECT_EQ(c->pipeline.order, d.pipeline.order);
}

TEST(Config, PipelineOrder) {
  auto c = parse_config("[pipeline]\norder = [\"normalize\", \"language\"]\n", "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  auto order = stage_order(c->pipeline);
  ASSERT_EQ(order.size(), kDefaultOrder.size());
  EXPECT_EQ(order[0], "normalize");
  EXPECT_EQ(order[1], "language");
  EXPECT_EQ(order[2], "gopher_quality");  // the rest in the default order
  EXPECT_EQ(order.back(), "toxicity");
  EXPECT_EQ(stage_order(PipelineConfig{}), kDefaultOrder);
}

TEST(Config, ParsesValues) {
  auto c = parse_config(
      "[language]\nlangs = [\"en\", \"zh\"]\nmin_score = 0.5\n[c4]\nmin_sentences = 3\n"
      "[toxicity]\nword_files = { en = \"a.txt\" }\nscope = \"lines\"\n[dedup]\nenabled = false\n",
      "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->language.langs, (std::vector<std::string>{"en", "zh"}));
  EXPECT_EQ(c->language.min_score, 0.5);
  EXPECT_EQ(c->c4.min_sentences, 3);
  EXPECT_EQ(c->toxicity.word_files.at("en"), "a.txt");
  EXPECT_EQ(c->toxicity.scope, "lines");
  EXPECT_FALSE(c->dedup.enabled);
  EXPECT_EQ(c->gopher_quality.min_words, 50);  // untouched default
}

void expect_error(const std::string& toml, const std::string& needle) {
  auto c = parse_config(toml, "my.toml");
  ASSERT_FALSE(c.ok()) << toml;
  EXPECT_NE(c.status().message().find(needle), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("my.toml"), std::string::npos) << c.status().message();
}

TEST(Config, ErrorsNameTheKey) {
  expect_error("[gopher_quality]\nmin_wrds = 3\n", "[gopher_quality].min_wrds");
  expect_error("[gopher_quality]\n\nmin_words = \"many\"\n",
               "my.toml:3: [gopher_quality].min_words");
  expect_error("[gopher_quality]\nmin_words = -1\n", "[gopher_quality].min_words");
  expect_error("[fineweb]\nmin_line_punct_ratio = 1.5\n", "[fineweb].min_line_punct_ratio");
  expect_error("[language]\nbackend = \"cld3\"\n", "[language].backend");
  expect_error("[pipeline]\norder = [\"c4\", \"langid\"]\n",
               "my.toml:2: [pipeline].order: unknown stage \"langid\"");
  expect_error("[pipeline]\norder = [\"c4\", \"c4\"]\n", "[pipeline].order: repeated stage");
  expect_error("[pipeline]\nordr = []\n", "[pipeline].ordr");
  expect_error("[language]\nlangs = \"en\"\n", "[language].langs");
  expect_error("[gopher_repetition]\nmax_top_ngram = [0.2, 0.1]\n",
               "[gopher_repetition].max_top_ngram");
  expect_error("[toxicity]\nscope = \"page\"\n", "[toxicity].scope");
  expect_error("[dedup]\npreset = \"fast\"\n", "[dedup].preset");
  expect_error("[c4]\nenabled = 1\n", "[c4].enabled");
  expect_error("[quality]\nx = 1\n", "unknown key [quality]");
  expect_error("language = 3\n", "[language] must be a table");
  expect_error("[c4\n", "my.toml:1");
}

TEST(Config, MissingFileIsNamed) {
  auto c = load_config("/nonexistent/clean.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("/nonexistent/clean.toml"), std::string::npos);
}

}  // namespace
}  // namespace lm::clean
