// pack_tokenizer_test.cc: pack with real tokenizers (GPT-2 r50k_base: uint16 everywhere;
// cl100k_base: Megatron int32, llm.c uint32 with magic 20240801 v7): the numpy reader reads back
// exactly tokenizer.encode(document) + EOT for every document, and decoding gives the documents
// back. The vocabularies come from npm tiktoken (tests/tokenizer/oracles); skipped without it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../tokenizer/oracles/vocab_fixture.h"
#include "dataset/formats.h"
#include "dataset/packer.h"
#include "dataset_test_util.h"
#include "io/document.h"
#include "test_util.h"
#include "tokenizer/tokenizer.h"

namespace lm::dataset {
namespace {

nlohmann::json python_read(const std::string& args) {
  std::string out, err;
  const std::string reader = std::string(LMFORGE_SOURCE_DIR) + "/tests/dataset/read_shards.py";
  const int rc = testing::run_command("/usr/bin/python3 " + reader + " " + args, &out, &err);
  EXPECT_EQ(rc, 0) << err;
  return rc == 0 ? nlohmann::json::parse(out) : nlohmann::json();
}

void check_tokenizer(const std::string& vocab_file, const char* megatron_dtype, int llmc_magic) {
  const std::string vocab = tok::testing::vocab_dir();
  if (vocab.empty()) LM_SKIP_OR_FAIL_IN_CI("tests/oracles/node_modules absent");
  auto enc = load_encoder(vocab + "/" + vocab_file);
  if (!enc.ok() && enc.status().code() == Code::kUnimplemented)
    LM_SKIP_OR_FAIL_IN_CI("no tokenizer");
  ASSERT_TRUE(enc.ok()) << enc.status().to_string();
  auto tk = tok::Tokenizer::load(vocab + "/" + vocab_file);
  ASSERT_TRUE(tk.ok());
  const std::string dir = testing::temp_dir("pack_tok");
  Rng rng(11);
  std::vector<io::Document> docs(300);
  {
    std::ofstream f(dir + "/docs.jsonl");
    for (size_t i = 0; i < docs.size(); ++i) {
      docs[i].id = "d" + std::to_string(i);
      docs[i].text = tok::testing::random_unicode(rng, rng.below(200));
      f << io::document_to_json(docs[i]) << "\n";
    }
  }
  PackOptions o;
  o.inputs = {dir + "/docs.jsonl"};
  o.out = dir + "/p";
  o.formats = {Format::kMegatron, Format::kLlmc};
  o.threads = 2;
  auto st = pack(o, *enc);
  ASSERT_TRUE(st.ok()) << st.status().to_string();
  auto m = python_read("megatron " + o.out);
  EXPECT_EQ(m["dtype"], megatron_dtype);
  ASSERT_EQ(m["documents"].size(), docs.size());
  std::vector<uint32_t> stream;
  for (size_t d = 0; d < docs.size(); ++d) {
    auto got = m["documents"][d].get<std::vector<uint32_t>>();
    auto want = tk->encode_ordinary(docs[d].text);
    want.push_back(enc->eot_id);
    ASSERT_EQ(got, want) << "document " << d;
    stream.push_back(enc->eot_id);
    stream.insert(stream.end(), got.begin(), got.end() - 1);
    got.pop_back();
    auto text = tk->decode(got);
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(*text, docs[d].text) << "document " << d;
  }
  auto l = python_read("llmc " + llmc_shard_path(o.out, Split::kTrain, 1));
  ASSERT_EQ(l["shards"].size(), 1u);
  EXPECT_EQ(l["shards"][0]["magic"], llmc_magic);
  EXPECT_EQ(l["shards"][0]["tokens"].get<std::vector<uint32_t>>(), stream);
}

TEST(PackTokenizer, Gpt2R50k) { check_tokenizer("r50k_base.tiktoken", "uint16", 20240520); }
TEST(PackTokenizer, Cl100k) { check_tokenizer("cl100k_base.tiktoken", "int32", 20240801); }

}  // namespace
}  // namespace lm::dataset
