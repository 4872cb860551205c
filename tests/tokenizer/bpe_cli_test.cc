// bpe_cli_test.cc: `lmforge tokenizer encode | decode | info | convert` end to end: --text,
// documents from the sample corpus with 1 and 2 threads giving the same bytes, the three output
// formats, decode back to the documents, info --json, and clear failures (exit code 1 and a
// message naming the file) for bad tokenizers, out-of-range ids and disallowed special tokens;
// invalid UTF-8 in input files encoded byte-exactly.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>

#include "core/file_util.h"
#include "io/document.h"
#include "oracles/vocab_fixture.h"
#include "test_util.h"

namespace lm::tok {
namespace {

using testing_util::CliRun;
CliRun run(const std::string& args) { return testing_util::run_lmforge("--quiet " + args); }

class BpeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    vocab_ = testing::vocab_dir();
    if (vocab_.empty()) LM_SKIP_OR_FAIL_IN_CI("tests/oracles/node_modules absent");
    tmp_ = testing::temp_dir("bpe_cli");
  }
  void TearDown() override {
    if (!tmp_.empty()) std::filesystem::remove_all(tmp_);
  }
  std::string vocab_, tmp_;
};

TEST_F(BpeCli, EncodeTextDecodeIdsInfo) {
  std::string tk = vocab_ + "/r50k_base.tiktoken";
  CliRun r = run("tokenizer encode -t " + tk + " --text 'Hello!'");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, "[15496,0]\n");
  r = run("tokenizer encode -t " + vocab_ + "/gpt2/encoder.json --format text --text 'Hello!'");
  EXPECT_EQ(r.out, "15496 0\n");
  r = run("tokenizer decode -t " + tk + " --ids '15496 0'");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, "Hello!");
  r = run("tokenizer info --json -t " + vocab_ + "/cl100k_base.tiktoken");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["vocab_size"], 100277);
  EXPECT_EQ(j["special_tokens"]["<|endoftext|>"], 100257);
  EXPECT_EQ(j["scanner"], "cl100k_base");
  r = run("tokenizer encode -t " + tk + " --text 'a<|endoftext|>'");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("special token <|endoftext|>"), std::string::npos) << r.out;
  r = run("tokenizer encode -t " + tk + " --allow-special --text 'a<|endoftext|>'");
  EXPECT_EQ(r.out, "[64,50256]\n");
}

TEST_F(BpeCli, DocumentsSameBytesForAnyThreadCountAndRoundTrip) {
  std::string tk = vocab_ + "/o200k_base.tiktoken";
  // A slice of the sample corpus as one JSONL file.
  auto reader = io::DocumentReader::open({LMFORGE_SAMPLE_DIR});
  ASSERT_TRUE(reader.ok()) << reader.status().to_string() << " (run through ctest)";
  std::vector<std::string> texts;
  io::Document doc;
  while (texts.size() < 3000) {
    auto more = (*reader)->next(&doc);
    ASSERT_TRUE(more.ok());
    if (!*more) break;
    texts.push_back(doc.text);
  }
  std::string docs = tmp_ + "/docs.jsonl";
  testing::write_texts_jsonl(docs, texts);
  for (const char* fmt : {"jsonl", "text", "binary"}) {
    std::string a = tmp_ + "/a." + fmt, b = tmp_ + "/b." + fmt;
    CliRun r1 = run(fmt::format("tokenizer encode -t {} --in {} --out {} --format {} --threads 1",
                                tk, docs, a, fmt));
    ASSERT_EQ(r1.code, 0) << r1.out;
    CliRun r2 = run(fmt::format("tokenizer encode -t {} --in {} --out {} --format {} --threads 2",
                                tk, docs, b, fmt));
    ASSERT_EQ(r2.code, 0) << r2.out;
    EXPECT_TRUE(*read_file(a) == *read_file(b)) << fmt << ": 1 and 2 threads differ";
  }
  CliRun d = run(
      fmt::format("tokenizer decode -t {} --in {}/a.jsonl --out {}/back.jsonl", tk, tmp_, tmp_));
  ASSERT_EQ(d.code, 0) << d.out;
  auto back = testing::read_jsonl(tmp_ + "/back.jsonl");
  ASSERT_EQ(back.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(back[i]["text"], texts[i]) << i;
  // Binary ids with an end-of-text id after each document decode to the texts joined by it.
  CliRun e = run(fmt::format(
      "tokenizer encode -t {} --in {} --out {}/eot.bin --format binary --eot", tk, docs, tmp_));
  ASSERT_EQ(e.code, 0) << e.out;
  CliRun db =
      run(fmt::format("tokenizer decode -t {} --format binary --in {}/eot.bin --to text "
                      "--out {}/eot.txt",
                      tk, tmp_, tmp_));
  ASSERT_EQ(db.code, 0) << db.out;
  std::string joined;
  for (const auto& t : texts) joined += t + "<|endoftext|>";
  EXPECT_TRUE(*read_file(tmp_ + "/eot.txt") == joined)
      << "binary ids with --eot do not decode back";
}

TEST_F(BpeCli, ConvertAndBadInput) {
  std::string json = tmp_ + "/tokenizer.json";
  CliRun c = run(fmt::format("tokenizer convert -t {}/gpt2/encoder.json --out {}", vocab_, json));
  ASSERT_EQ(c.code, 0) << c.out;
  CliRun r = run("tokenizer encode -t " + json + " --text 'Hello!'");
  EXPECT_EQ(r.out, "[15496,0]\n");
  r = run("tokenizer decode -t " + json + " --ids '15496 99999'");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("id 99999"), std::string::npos) << r.out;
  r = run("tokenizer decode -t " + json + " --lossy --ids '15496 99999'");
  EXPECT_EQ(r.out, "Hello\xEF\xBF\xBD");
  ASSERT_TRUE(write_file_atomic(tmp_ + "/bad.tiktoken", "IQ== 0\nnot-base64 1\n").ok());
  r = run("tokenizer info -t " + tmp_ + "/bad.tiktoken");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("bad.tiktoken:2"), std::string::npos) << r.out;
  ASSERT_TRUE(write_file_atomic(tmp_ + "/ids.jsonl", "[1,2]\n[3,x]\n").ok());
  r = run(fmt::format("tokenizer decode -t {} --in {}/ids.jsonl", json, tmp_));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("ids.jsonl:2"), std::string::npos) << r.out;
  r = run("tokenizer encode -t " + tmp_ + "/missing.json --text x");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("missing.json"), std::string::npos) << r.out;
}

// Invalid UTF-8 in an input file is encoded byte-exactly (as tiktoken encodes bytes): decoding
// the ids gives the file's bytes back. JSONL keeps the raw bytes inside the text string.
TEST_F(BpeCli, InvalidUtf8InFilesRoundTripsByteExactly) {
  std::string tk = vocab_ + "/cl100k_base.tiktoken";
  Rng rng(31);
  std::string bytes = "caf\xC3\xA9 \xFF\xFE ok \xE2\x82 tail \xC3\n\xED\xA0\x80 \xF0\x9F\x98";
  bytes += testing::random_bytes(rng, 3000) + "\xEF\xBF\xBD end \xC3";
  ASSERT_TRUE(write_file_atomic(tmp_ + "/bad.txt", bytes).ok());
  CliRun r = run(fmt::format(
      "tokenizer encode -t {} --in {}/bad.txt --format binary --out {}/ids.bin", tk, tmp_, tmp_));
  ASSERT_EQ(r.code, 0) << r.out;
  r =
      run(fmt::format("tokenizer decode -t {} --format binary --in {}/ids.bin --to text --out "
                      "{}/back.txt",
                      tk, tmp_, tmp_));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(*read_file(tmp_ + "/back.txt") == bytes) << "text file bytes do not round-trip";
  // --invalid-utf8 repair: the old behaviour (U+FFFD), so the bytes differ.
  r =
      run(fmt::format("tokenizer encode -t {} --in {}/bad.txt --format binary --out {}/rep.bin "
                      "--invalid-utf8 repair",
                      tk, tmp_, tmp_));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_FALSE(*read_file(tmp_ + "/rep.bin") == *read_file(tmp_ + "/ids.bin"));
  // JSONL: the raw bytes inside the JSON string are kept.
  ASSERT_TRUE(write_file_atomic(tmp_ + "/bad.jsonl",
                                "{\"id\":\"d\xFF\",\"text\":\"a\xFF"
                                "b \xC3( \\n\xE2\x82\"}\n")
                  .ok());
  r = run(fmt::format("tokenizer encode -t {} --in {}/bad.jsonl --format binary --out {}/j.bin", tk,
                      tmp_, tmp_));
  ASSERT_EQ(r.code, 0) << r.out;
  r = run(fmt::format("tokenizer decode -t {} --format binary --in {}/j.bin --to text", tk, tmp_));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(r.out ==
              "a\xFF"
              "b \xC3( \n\xE2\x82")
      << r.out;
}

}  // namespace
}  // namespace lm::tok
