// pack_test.cc: `lmforge pack` end to end on small JSONL corpora: an independent numpy reader
// (read_shards.py) reads back exactly the tokens written in all three formats and they decode to
// the documents; the output is the same for any thread count; an interrupted pack resumes to the
// same bytes; the CLI's pack / pack info work and report bad shards naming the file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "dataset/formats.h"
#include "dataset/packer.h"
#include "dataset/permutation.h"
#include "dataset_test_util.h"
#include "io/document.h"

namespace lm::dataset {
namespace {

using testing::pack_options;
using testing::run_command;
using testing::temp_dir;
using testing::write_jsonl;

const std::string kPython = "/usr/bin/python3";
const std::string kReader = std::string(LMFORGE_SOURCE_DIR) + "/tests/dataset/read_shards.py";

std::vector<io::Document> make_docs(int n) {
  std::vector<io::Document> docs(n);
  Rng rng(5);
  const char* words[] = {"the", "data",       "ünïcödé", "日本語",   "token",
                         "\n",  "emoji 🙂", "\"q\"",   "tab\there"};
  for (int i = 0; i < n; ++i) {
    docs[i].id = "doc-" + std::to_string(i);
    const int len = int(rng.below(40));
    for (int w = 0; w < len; ++w) docs[i].text += std::string(words[rng.below(9)]) + " ";
  }
  return docs;
}

nlohmann::json python_read(const std::string& args) {
  std::string out, err;
  const int rc = run_command(kPython + " " + kReader + " " + args, &out, &err);
  EXPECT_EQ(rc, 0) << err;
  return nlohmann::json::parse(out);
}

std::vector<uint32_t> bytes_of(const std::string& s) {
  std::vector<uint32_t> t;
  for (unsigned char c : s) t.push_back(c);
  return t;
}
std::string text_of(const std::vector<uint32_t>& t) {
  std::string s;
  for (uint32_t c : t) s.push_back(char(c));
  return s;
}

TEST(Permutation, IsABijection) {
  for (uint64_t n : {1ull, 2ull, 3ull, 17ull, 64ull, 1000ull, 4097ull}) {
    Permutation p(n, n * 31);
    std::vector<int> hit(n, 0);
    for (uint64_t i = 0; i < n; ++i) hit[p(i)]++;
    for (uint64_t i = 0; i < n; ++i) ASSERT_EQ(hit[i], 1) << "n=" << n;
  }
}

TEST(Pack, PythonReaderReadsBackEveryFormat) {
  const std::string dir = temp_dir("pack_py");
  auto docs = make_docs(700);
  const std::string prefix = dir + "/out/corpus";
  auto st = pack(pack_options(write_jsonl(dir, docs), prefix), byte_encoder());
  ASSERT_TRUE(st.ok()) << st.status().to_string();
  std::vector<uint32_t> llmc[2], nano[2];
  std::vector<std::vector<uint32_t>> mega[2];
  std::vector<io::Document> docs_of[2];
  for (const auto& d : docs) {
    const int v = is_validation(d.id, 0.2);
    docs_of[v].push_back(d);
    auto t = bytes_of(d.text);
    mega[v].push_back(t);
    mega[v].back().push_back(256);
    llmc[v].push_back(256);
    llmc[v].insert(llmc[v].end(), t.begin(), t.end());
    nano[v].insert(nano[v].end(), t.begin(), t.end());
    nano[v].push_back(256);
  }
  ASSERT_GT(mega[1].size(), 80u);
  EXPECT_EQ(st->val_documents, mega[1].size());
  for (Split s : {Split::kTrain, Split::kVal}) {
    const int v = s == Split::kVal;
    auto m = python_read("megatron " + megatron_prefix(prefix, s));
    EXPECT_EQ(m["dtype"], "uint16");
    ASSERT_EQ(m["documents"].size(), mega[v].size());
    for (size_t d = 0; d < mega[v].size(); ++d) {
      auto got = m["documents"][d].get<std::vector<uint32_t>>();
      ASSERT_EQ(got, mega[v][d]) << "document " << d;
      got.pop_back();                               // the EOT
      EXPECT_EQ(text_of(got), docs_of[v][d].text);  // decodes to the document
    }
    std::string shards;
    for (int i = v ? 0 : 1; std::filesystem::exists(llmc_shard_path(prefix, s, i)); ++i) {
      shards += " " + llmc_shard_path(prefix, s, i);
    }
    auto l = python_read("llmc" + shards);
    std::vector<uint32_t> stream;
    for (auto& sh : l["shards"]) {
      EXPECT_EQ(sh["magic"], 20240520);
      EXPECT_LE(sh["ntok"].get<int>(), 5000);
      for (auto& t : sh["tokens"]) stream.push_back(t.get<uint32_t>());
    }
    EXPECT_EQ(stream, llmc[v]);
    auto n = python_read("nanogpt " + nanogpt_path(prefix, s) + " uint16");
    EXPECT_EQ(n["tokens"].get<std::vector<uint32_t>>(), nano[v]);
  }
  EXPECT_FALSE(std::filesystem::exists(state_path(prefix)));
}

TEST(Pack, SameBytesForAnyThreadCount) {
  const std::string dir = temp_dir("pack_threads");
  const std::string in = write_jsonl(dir, make_docs(900));
  std::string ref;
  for (int threads : {1, 2, 5}) {
    auto o = pack_options(in, dir + "/t" + std::to_string(threads));
    o.threads = threads;
    ASSERT_TRUE(pack(o, byte_encoder()).ok());
    std::string all = read_file(o.out + ".bin").value() + read_file(o.out + ".idx").value() +
                      read_file(o.out + ".val.bin").value() +
                      read_file(llmc_shard_path(o.out, Split::kTrain, 1)).value();
    if (threads == 1) ref = all;
    EXPECT_EQ(all, ref) << threads << " threads";
  }
}

TEST(Pack, InterruptedPackResumesToTheSameBytes) {
  const std::string dir = temp_dir("pack_resume");
  const std::string in = write_jsonl(dir, make_docs(800));
  auto full = pack_options(in, dir + "/full");
  ASSERT_TRUE(pack(full, byte_encoder()).ok());
  auto o = pack_options(in, dir + "/cut");
  o.stop_after_documents = 437;
  auto first = pack(o, byte_encoder());
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), Code::kCancelled);
  EXPECT_TRUE(std::filesystem::exists(state_path(o.out)));
  EXPECT_FALSE(std::filesystem::exists(o.out + ".bin"));  // nothing complete-looking
  // Other options do not silently resume.
  auto other = o;
  other.stop_after_documents = 0;
  other.val_fraction = 0.3;
  auto refused = pack(other, byte_encoder());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find(state_path(o.out)), std::string::npos);
  EXPECT_NE(refused.status().hint().find("--restart"), std::string::npos);
  o.stop_after_documents = 0;
  auto second = pack(o, byte_encoder());
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  EXPECT_EQ(second->resumed_documents, 437u);
  EXPECT_EQ(second->documents, 800u);
  for (const char* suffix : {".bin", ".idx", ".val.bin", ".val.idx", "_train_000001.bin",
                             "_train_000002.bin", "_val_000000.bin", ".nanogpt/train.bin"}) {
    EXPECT_EQ(read_file(o.out + suffix).value(), read_file(full.out + suffix).value()) << suffix;
    EXPECT_FALSE(std::filesystem::exists(o.out + suffix + ".partial"));
  }
}

// A state file of the format before the resume ledger is refused with a hint; --restart packs.
TEST(Pack, OldFormatStateIsRefusedWithAHint) {
  const std::string dir = temp_dir("pack_old_state");
  const std::string in = write_jsonl(dir, make_docs(50));
  auto o = pack_options(in, dir + "/old");
  ASSERT_TRUE(write_file_atomic(state_path(o.out),
                                R"({"version": 1, "config": "0", "documents": 3, "sinks": {}})")
                  .ok());
  auto refused = pack(o, byte_encoder());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("older format"), std::string::npos)
      << refused.status().to_string();
  EXPECT_NE(refused.status().hint().find("--restart"), std::string::npos);
  o.restart = true;
  auto packed = pack(o, byte_encoder());
  ASSERT_TRUE(packed.ok()) << packed.status().to_string();
  EXPECT_EQ(packed->documents, 50u);
  EXPECT_FALSE(std::filesystem::exists(state_path(o.out)));
}

TEST(Pack, CliPackAndInfo) {
  const std::string dir = temp_dir("pack_cli");
  const std::string in = write_jsonl(dir, make_docs(300));
  const std::string bin = LMFORGE_BINARY, prefix = dir + "/cli";
  std::string out, err;
  ASSERT_EQ(run_command(bin + " --no-progress pack --in " + in + " --tokenizer bytes --out " +
                            prefix + " --format megatron,llmc --val-fraction 0.1 --json",
                        &out, &err),
            0)
      << err;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["documents"], 300);
  ASSERT_EQ(run_command(bin + " pack info " + prefix +
                            " --json --padding --seq-len 64 "
                            "--batch-size 2",
                        &out, &err),
            0)
      << err;
  auto info = nlohmann::json::parse(out);
  EXPECT_EQ(info["vocab_size"], 257);
  EXPECT_EQ(info["splits"]["train"]["megatron"]["documents"], j["train"]["documents"]);
  EXPECT_EQ(info["splits"]["train"]["megatron"]["tokens"], j["train"]["tokens"]);
  EXPECT_EQ(info["splits"]["train"]["llmc"]["tokens"], j["train"]["tokens"]);
  EXPECT_GT(info["splits"]["train"]["megatron"]["length"]["p50"].get<int>(), 0);
  EXPECT_EQ(info["padding"]["modes"]["concatenate"]["padding_fraction"], 0.0);
  EXPECT_GT(info["padding"]["modes"]["pad"]["padding_fraction"].get<double>(), 0.0);
  // A truncated shard: pack info fails, naming the file.
  std::filesystem::resize_file(prefix + ".bin", std::filesystem::file_size(prefix + ".bin") - 4);
  EXPECT_EQ(run_command(bin + " pack info " + prefix, &out, &err), 1);
  EXPECT_NE(err.find(prefix + ".bin"), std::string::npos) << err;
  EXPECT_NE(err.find("truncated"), std::string::npos) << err;
}

}  // namespace
}  // namespace lm::dataset
