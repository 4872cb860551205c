// fasttext_test.cc: the langid module without the sample corpus: CLD2 on clear sentences, the
// prefix it looks at, and fastText models (train, predict, save/load, bad files named).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "langid/fasttext_model.h"
#include "langid/langid.h"
#include "uni/utf8.h"

namespace lm::langid {
namespace {

TEST(LangId, Cld2DetectsClearSentences) {
  auto id = make_language_identifier({});
  ASSERT_TRUE(id.ok());
  struct Case {
    const char* text;
    const char* lang;
  } cases[] = {
      {"The quick brown fox jumps over the lazy dog while the children watch from the window.",
       "en"},
      {"Der schnelle braune Fuchs springt über den faulen Hund, während die Kinder zusehen.", "de"},
      {"El rápido zorro marrón salta sobre el perro perezoso mientras los niños miran.", "es"},
      {"La volpe veloce salta sopra il cane pigro mentre i bambini guardano dalla finestra.", "it"},
      {"Быстрая коричневая лиса прыгает через ленивую собаку, пока дети смотрят в окно.", "ru"},
      {"敏捷的棕色狐狸跳过了懒狗，孩子们在窗前看着。这是一个关于动物的故事。", "zh"},
  };
  for (const auto& c : cases) EXPECT_EQ((*id)->predict(c.text).lang, c.lang) << c.text;
  EXPECT_EQ((*id)->predict("").lang, "un");
}

TEST(LangId, PrefixCutsOnCodePointBoundary) {
  EXPECT_EQ(uni::utf8_prefix("héllo", 2), "h");
  EXPECT_EQ(uni::utf8_prefix("héllo", 3), "hé");
  EXPECT_EQ(uni::utf8_prefix("abc", 0), "abc");
}

TEST(FastText, MissingAndWrongModelFilesAreNamed) {
  auto missing = FastTextModel::load("/nonexistent/lid.176.bin");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/lid.176.bin"), std::string::npos);
  std::string bad = testing::TempDir() + "/not_a_model.bin";
  std::ofstream(bad) << "this is not a fastText model\n";
  auto wrong = FastTextModel::load(bad);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find(bad), std::string::npos);
  auto id = make_language_identifier({"fasttext", bad, 0});
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find(bad), std::string::npos);
  EXPECT_FALSE(make_language_identifier({"fasttext", "", 0}).ok());
  EXPECT_FALSE(make_language_identifier({"cld3", "", 0}).ok());
}

TEST(FastText, TrainsAndPredicts) {
  std::string dir = testing::TempDir();
  std::string train = dir + "/ft_train.txt";
  {
    std::ofstream f(train);
    for (int i = 0; i < 200; ++i) {
      f << fasttext_line(
               "sport", "the team won the football match with a late goal " + std::to_string(i % 7))
        << "\n";
      f << fasttext_line("food", "the soup was hot and the bread was fresh from the oven " +
                                     std::to_string(i % 5))
        << "\n";
    }
  }
  FastTextTrainOptions o;
  o.input = train;
  o.epoch = 5;
  auto m = FastTextModel::train(o);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  auto p = (*m)->predict("a late goal won the match", 2);
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p[0].label, "sport");
  std::string path = dir + "/ft_model.bin";
  ASSERT_TRUE((*m)->save(path).ok());
  auto loaded = FastTextModel::load(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ((*loaded)->predict("fresh bread and hot soup", 1)[0].label, "food");
  auto labels = (*loaded)->labels();
  EXPECT_EQ(labels.size(), 2u);
  EXPECT_FALSE(FastTextModel::train({.input = dir + "/none.txt"}).ok());
}

}  // namespace
}  // namespace lm::langid
