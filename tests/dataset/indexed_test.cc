// indexed_test.cc: the Megatron .bin/.idx writer and reader round-trip, and every kind of bad
// shard (truncated .bin, .idx not matching its .bin, wrong magic, wrong version, truncated .idx,
// bad llm.c headers) is a clear error naming the file.
#include "dataset/indexed.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "dataset/formats.h"
#include "dataset/info.h"
#include "dataset/sinks.h"
#include "dataset_test_util.h"

namespace lm::dataset {
namespace {

using testing::random_docs;
using testing::temp_dir;
using testing::write_prefix;

std::string bytes_of(const std::string& path) { return read_file(path).value(); }

void put(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

TEST(Indexed, RoundTripU16AndI32) {
  const std::string dir = temp_dir("roundtrip");
  for (uint32_t vocab : {300u, 65499u, 65500u, 100277u}) {
    auto docs = random_docs(50, 0, 40, vocab, vocab);
    const std::string prefix = dir + "/v" + std::to_string(vocab);
    write_prefix(prefix, docs, vocab);
    auto ds = IndexedDataset::open(prefix);
    ASSERT_TRUE(ds.ok()) << ds.status().to_string();
    EXPECT_EQ(ds->dtype(), vocab < 65500 ? TokenDtype::kU16 : TokenDtype::kI32);
    ASSERT_EQ(ds->documents(), docs.size());
    for (size_t d = 0; d < docs.size(); ++d) {
      ASSERT_EQ(ds->doc_length(d), docs[d].size());
      std::vector<int32_t> got(docs[d].size());
      ds->copy_tokens(ds->doc_begin(d), got.size(), got.data());
      for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(uint32_t(got[i]), docs[d][i]);
    }
    EXPECT_EQ(ds->find_out_of_vocab(0, ds->tokens(), vocab), -1);
    EXPECT_GE(ds->find_out_of_vocab(0, ds->tokens(), vocab - 1), 0);  // the EOTs
  }
}

class BadShard : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir("bad");
    prefix_ = dir_ + "/data";
    write_prefix(prefix_, random_docs(20, 1, 30, 1000, 7), 1000);
    idx_ = bytes_of(prefix_ + ".idx");
    bin_ = bytes_of(prefix_ + ".bin");
  }
  std::string open_error() {
    auto ds = IndexedDataset::open(prefix_);
    EXPECT_FALSE(ds.ok());
    return ds.ok() ? "" : ds.status().to_string();
  }
  std::string dir_, prefix_, idx_, bin_;
};

TEST_F(BadShard, TruncatedBin) {
  put(prefix_ + ".bin", bin_.substr(0, bin_.size() - 6));
  const std::string e = open_error();
  EXPECT_NE(e.find(prefix_ + ".bin"), std::string::npos) << e;
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
}

TEST_F(BadShard, IdxNotMatchingBin) {
  put(prefix_ + ".bin", bin_ + std::string(8, '\0'));
  const std::string e = open_error();
  EXPECT_NE(e.find(prefix_ + ".bin"), std::string::npos) << e;
  EXPECT_NE(e.find("do not belong together"), std::string::npos) << e;
  // An .idx whose lengths disagree with its pointers.
  put(prefix_ + ".bin", bin_);
  std::string idx = idx_;
  idx[34] = char(idx[34] + 1);
  put(prefix_ + ".idx", idx);
  const std::string e2 = open_error();
  EXPECT_NE(e2.find(prefix_ + ".idx"), std::string::npos) << e2;
}

TEST_F(BadShard, WrongMagicVersionAndTruncatedIdx) {
  std::string idx = idx_;
  idx[0] = 'X';
  put(prefix_ + ".idx", idx);
  std::string e = open_error();
  EXPECT_NE(e.find(prefix_ + ".idx"), std::string::npos) << e;
  EXPECT_NE(e.find("wrong magic"), std::string::npos) << e;
  idx = idx_;
  idx[9] = 2;
  put(prefix_ + ".idx", idx);
  e = open_error();
  EXPECT_NE(e.find("version 2"), std::string::npos) << e;
  put(prefix_ + ".idx", idx_.substr(0, idx_.size() - 8));
  e = open_error();
  EXPECT_NE(e.find(prefix_ + ".idx"), std::string::npos) << e;
  EXPECT_NE(e.find("do not match its header"), std::string::npos) << e;
  put(prefix_ + ".idx", idx_.substr(0, 20));
  e = open_error();
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
}

TEST_F(BadShard, MissingFilesNameThePath) {
  std::filesystem::remove(prefix_ + ".bin");
  EXPECT_NE(open_error().find(prefix_ + ".bin"), std::string::npos);
}

TEST(PackInfo, TokenOutsideVocabularyNamesTheFile) {
  const std::string prefix = temp_dir("info_vocab") + "/data";
  auto docs = random_docs(10, 5, 20, 1000, 9);
  docs[7][2] = 1003;  // fits the uint16 shard, not the 1000-id vocabulary
  write_prefix(prefix, docs, 1000);
  auto info = pack_info(prefix, /*verify=*/true);
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find(prefix + ".bin"), std::string::npos);
  EXPECT_NE(info.status().message().find("outside the vocabulary"), std::string::npos);
  EXPECT_TRUE(pack_info(prefix, /*verify=*/false).ok());
}

TEST(Llmc, ShardsHeaderAndErrors) {
  const std::string dir = temp_dir("llmc");
  for (uint64_t vocab : {50257ull, 128256ull}) {
    SinkConfig c{dir + "/s" + std::to_string(vocab), Split::kTrain, vocab, uint32_t(vocab - 1), 10};
    auto sink = make_sink(Format::kLlmc, c, nullptr);
    ASSERT_TRUE(sink.ok());
    std::vector<uint32_t> doc = {1, 2, 3, 4, 5, 6, 7};
    for (int i = 0; i < 3; ++i) ASSERT_TRUE((*sink)->add(doc).ok());  // 24 tokens -> 10, 10, 4
    nlohmann::json info;
    ASSERT_TRUE((*sink)->finish(&info).ok());
    ASSERT_EQ(info["files"].size(), 3u);
    EXPECT_EQ(info["tokens"], 24);
    const std::string first = info["files"][0];
    EXPECT_EQ(first, llmc_shard_path(c.prefix, Split::kTrain, 1));
    auto n = check_llmc_shard(first, vocab);
    ASSERT_TRUE(n.ok()) << n.status().to_string();
    EXPECT_EQ(*n, 10u);
    std::string raw = bytes_of(first);
    int32_t h[3];
    std::memcpy(h, raw.data(), 12);
    EXPECT_EQ(h[0], vocab <= 65536 ? 20240520 : 20240801);
    EXPECT_EQ(h[1], vocab <= 65536 ? 1 : 7);
    EXPECT_EQ(h[2], 10);
    put(first, raw.substr(0, raw.size() - 2));
    auto bad = check_llmc_shard(first, vocab);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.status().message().find(first), std::string::npos);
    EXPECT_NE(bad.status().message().find("truncated"), std::string::npos);
    raw[0] = 1;
    put(first, raw);
    bad = check_llmc_shard(first, vocab);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.status().message().find("not an llm.c shard"), std::string::npos);
  }
}

}  // namespace
}  // namespace lm::dataset
