// sample_corpus_test.cc: pack on the real sample corpus (LMFORGE_SAMPLE_DIR, built by the
// corpus_sample fixture) with GPT-2's r50k_base: meta.json, the Megatron shards and the llm.c
// export agree; every token is inside the vocabulary; and the padding report shows what each
// loader mode wastes (concatenate none, pad a lot, bucketing less once trimmed).
#include <gtest/gtest.h>

#include <filesystem>

#include "../tokenizer/oracles/vocab_fixture.h"
#include "dataset/info.h"
#include "dataset/packer.h"
#include "dataset_test_util.h"
#include "test_util.h"

namespace lm::dataset {
namespace {

TEST(SampleCorpus, PackInfoAndPadding) {
  const std::string sample = LMFORGE_SAMPLE_DIR;
  if (!std::filesystem::exists(sample)) LM_SKIP_OR_FAIL_IN_CI("no sample corpus at " << sample);
  const std::string vocab = tok::testing::vocab_dir();
  if (vocab.empty()) LM_SKIP_OR_FAIL_IN_CI("tests/oracles/node_modules absent");
  auto enc = load_encoder(vocab + "/r50k_base.tiktoken");
  if (!enc.ok() && enc.status().code() == Code::kUnimplemented)
    LM_SKIP_OR_FAIL_IN_CI("no tokenizer");
  ASSERT_TRUE(enc.ok()) << enc.status().to_string();
  PackOptions o;
  o.inputs = {sample};
  o.out = testing::temp_dir("sample") + "/sample";
  o.formats = {Format::kMegatron, Format::kLlmc};
  o.val_fraction = 0.01;
  auto st = pack(o, *enc);
  ASSERT_TRUE(st.ok()) << st.status().to_string();
  EXPECT_GT(st->documents, 1000u);
  auto info = pack_info(o.out, /*verify=*/true);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  for (const char* split : {"train", "val"}) {
    const auto& s = (*info)["splits"][split];
    EXPECT_EQ(s["megatron"]["documents"], s["documents"]) << split;
    EXPECT_EQ(s["megatron"]["tokens"], s["tokens"]) << split;
    EXPECT_EQ(s["llmc"]["tokens"], s["tokens"]) << split;
  }
  EXPECT_GT((*info)["splits"]["val"]["documents"].get<uint64_t>(), 0u);
  auto pad = padding_report(o.out, 8, 256);
  ASSERT_TRUE(pad.ok()) << pad.status().to_string();
  const auto& m = (*pad)["modes"];
  EXPECT_EQ(m["concatenate"]["padding_fraction"], 0.0);
  EXPECT_EQ(m["docmask"]["padding_fraction"], 0.0);
  EXPECT_GT(m["docmask"]["loss_masked_fraction"].get<double>(), 0.0);
  EXPECT_GT(m["pad"]["padding_fraction"].get<double>(), 0.3);
  EXPECT_LT(m["pad_bucketed"]["padding_fraction_trimmed"].get<double>(),
            m["pad"]["padding_fraction_trimmed"].get<double>());
  std::filesystem::remove_all(std::filesystem::path(o.out).parent_path());
}

}  // namespace
}  // namespace lm::dataset
