// langid_test.cc: language id accuracy per language on held-out fortunes of the sample corpus
// (en, de, es, it, ru, zh), documents over 200 characters: CLD2 and a fastText model trained
// here from the other fortunes (small: a capped number of documents per language).
#include "langid/langid.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "langid/classifier.h"
#include "test_util.h"

namespace lm::langid {
namespace {

LabelledData fortunes() {
  LabelledData d;
  d.inputs = {LMFORGE_SAMPLE_DIR};
  d.source_prefix = "fortunes";
  d.holdout = 0.1;
  return d;
}

void expect_accuracy(const EvalReport& r, double min) {
  EXPECT_EQ(r.per_label.size(), 6u) << r.table();
  for (const auto& [lang, row] : r.per_label) {
    EXPECT_GE(row.docs, 10u) << lang;
    EXPECT_GE(row.accuracy(), min) << lang << "\n" << r.table();
  }
  std::printf("%s", r.table().c_str());
}

TEST(LangIdSample, Cld2HeldOutFortunes) {
  if (!std::filesystem::exists(LMFORGE_SAMPLE_DIR)) LM_SKIP_OR_FAIL_IN_CI("no sample corpus");
  auto id = langid::make_language_identifier({});
  ASSERT_TRUE(id.ok());
  auto r = evaluate_langid(**id, fortunes(), 200, true);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  expect_accuracy(*r, 0.95);
}

TEST(LangIdSample, FastTextTrainedOnFortunes) {
  if (!std::filesystem::exists(LMFORGE_SAMPLE_DIR)) LM_SKIP_OR_FAIL_IN_CI("no sample corpus");
  LabelledData d = fortunes();
  d.max_per_label = 3000;
  d.max_bytes = 512;
  langid::FastTextTrainOptions ft;  // dim 16, char 2-4-grams, 10 epochs, 1M buckets, 1 thread
  TrainReport rep;
  std::string work = testing::TempDir() + "/langid_train.txt";
  auto model = train_classifier(d, ft, work, &rep);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  EXPECT_EQ(rep.train_docs.size(), 6u);
  std::string path = testing::TempDir() + "/langid_fortunes.bin";
  ASSERT_TRUE((*model)->save(path).ok());
  auto id = langid::make_language_identifier({"fasttext", path, 2048});
  ASSERT_TRUE(id.ok()) << id.status().to_string();
  auto r = evaluate_langid(**id, d, 200, true);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  expect_accuracy(*r, 0.95);
}

}  // namespace
}  // namespace lm::langid
