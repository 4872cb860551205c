// pack_weights_test.cc: `lmforge pack --weight SOURCE=W` on a small multi-source corpus: the
// train split holds exactly the copies the documented rule gives (floor(W), plus one when the
// id's copy hash falls below the fraction), pass by pass in input order, so a document's second
// copy comes after every first one; the val split is byte-identical to the unweighted pack's;
// the same bytes at any thread count and after a resume mid-pass; meta.json, --json and pack
// info report the weights and train documents/tokens per source; bad weights are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/hash.h"
#include "dataset/formats.h"
#include "dataset/indexed.h"
#include "dataset/meta.h"
#include "dataset/packer.h"
#include "dataset_test_util.h"
#include "io/document.h"

namespace lm::dataset {
namespace {

using testing::pack_options;
using testing::run_command;
using testing::temp_dir;
using testing::write_jsonl;

const char* kSources[] = {"bible-kjv", "fortunes-de", "dict-gcide", "wiki", ""};

std::vector<io::Document> make_docs(int n) {
  std::vector<io::Document> docs(n);
  Rng rng(11);
  const char* words[] = {"in", "the", "beginning", "ünïcödé", "Glück", "word", "\n", "🙂"};
  for (int i = 0; i < n; ++i) {
    docs[i].id = "doc-" + std::to_string(i);
    docs[i].source = kSources[rng.below(5)];
    const int len = 1 + int(rng.below(30));
    for (int w = 0; w < len; ++w) docs[i].text += std::string(words[rng.below(8)]) + " ";
  }
  return docs;
}

const std::map<std::string, double> kWeights = {
    {"bible-kjv", 2}, {"fortunes-de", 0.5}, {"dict-gcide", 0}};

// The documented rule, written out here from the ids: train copies of a document.
uint32_t expected_copies(const io::Document& d, const std::map<std::string, double>& weights) {
  auto it = weights.find(d.source);
  if (it == weights.end()) return 1;
  const double w = it->second, whole = std::floor(w);
  const double u = double(hash64(d.id, 0xc0b1e5ULL) >> 11) * 0x1.0p-53;
  return uint32_t(whole) + (u < w - whole ? 1 : 0);
}

// The train documents in the order a weighted pack writes them: pass by pass, input order.
std::vector<const io::Document*> expected_train(const std::vector<io::Document>& docs,
                                                const std::map<std::string, double>& weights,
                                                double val_fraction) {
  uint32_t passes = 1;
  for (const auto& [s, w] : weights) passes = std::max(passes, uint32_t(std::ceil(w)));
  std::vector<const io::Document*> out;
  for (uint32_t p = 0; p < passes; ++p) {
    for (const auto& d : docs) {
      if (!is_validation(d.id, val_fraction) && expected_copies(d, weights) > p) out.push_back(&d);
    }
  }
  return out;
}

std::string text_of(const IndexedDataset& ds, uint64_t d) {
  std::string s;
  for (uint64_t i = ds.doc_begin(d); i + 1 < ds.doc_end(d); ++i) s.push_back(char(ds.token(i)));
  EXPECT_EQ(ds.token(ds.doc_end(d) - 1), 256) << "EOT of document " << d;
  return s;
}

const char* kFiles[] = {".bin",
                        ".idx",
                        ".val.bin",
                        ".val.idx",
                        "_val_000000.bin",
                        "_train_000001.bin",
                        ".nanogpt/train.bin",
                        ".nanogpt/val.bin"};

// Every shard's bytes and the counts of meta.json (which names the files, so its bytes differ
// by prefix).
std::string all_bytes(const std::string& prefix) {
  std::string all;
  for (const char* f : kFiles) all += read_file(prefix + f).value();
  for (int i = 2; std::filesystem::exists(llmc_shard_path(prefix, Split::kTrain, i)); ++i) {
    all += read_file(llmc_shard_path(prefix, Split::kTrain, i)).value();
  }
  auto meta = read_meta(prefix).value();
  all += fmt::format("{} {} {} {}\n", meta.train_documents, meta.train_tokens, meta.val_documents,
                     meta.val_tokens);
  for (const auto& [name, c] : meta.train_sources) {
    all += fmt::format("{} {} {}\n", name, c.documents, c.tokens);
  }
  return all;
}

TEST(PackWeights, RuleParsesAndCopies) {
  EXPECT_EQ(train_copies("x", 3), 3u);
  EXPECT_EQ(train_copies("x", 0), 0u);
  EXPECT_EQ(train_copies("x", 1), 1u);
  int kept = 0;
  for (int i = 0; i < 10000; ++i) kept += int(train_copies("id-" + std::to_string(i), 0.25));
  EXPECT_GT(kept, 2300);
  EXPECT_LT(kept, 2700);
  EXPECT_EQ(weight_passes({}), 1);
  EXPECT_EQ(weight_passes({{"a", 0.5}}), 1);
  EXPECT_EQ(weight_passes({{"a", 2}, {"b", 0}}), 2);
  EXPECT_EQ(weight_passes({{"a", 2.25}}), 3);
  auto w = parse_source_weights({"bible-kjv=3", "fortunes-de=0.5", "dict=0", "a=b=1.5"});
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  EXPECT_EQ(*w, (std::map<std::string, double>{
                    {"bible-kjv", 3}, {"fortunes-de", 0.5}, {"dict", 0}, {"a=b", 1.5}}));
  struct Bad {
    std::vector<std::string> specs;
    const char* says;
  };
  for (const Bad& b : {Bad{{"foo"}, "expected SOURCE=W"}, Bad{{"=2"}, "expected SOURCE=W"},
                       Bad{{"a="}, "must be a number"}, Bad{{"a=x"}, "must be a number"},
                       Bad{{"a=2x"}, "must be a number"}, Bad{{"a=-1"}, "must be a number"},
                       Bad{{"a=nan"}, "must be a number"}, Bad{{"a=inf"}, "must be a number"},
                       Bad{{"a=5000"}, "must be a number from 0 to 1000"},
                       Bad{{"a=1", "b=2", "a=3"}, "weighted twice"}}) {
    auto r = parse_source_weights(b.specs);
    ASSERT_FALSE(r.ok()) << b.specs.back();
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(b.says), std::string::npos) << r.status().to_string();
    EXPECT_NE(r.status().message().find(b.specs.back()), std::string::npos)
        << r.status().to_string();
  }
}

TEST(PackWeights, TrainHoldsTheCopiesInPassOrderAndValIsUnweighted) {
  const std::string dir = temp_dir("pack_weights");
  const auto docs = make_docs(600);
  const std::string in = write_jsonl(dir, docs);
  auto plain = pack_options(in, dir + "/plain");
  ASSERT_TRUE(pack(plain, byte_encoder()).ok());
  for (const auto& weights : {kWeights, std::map<std::string, double>{{"wiki", 2.5}}}) {
    auto o = pack_options(in, dir + "/w" + std::to_string(weights.size()));
    o.source_weights = weights;
    auto st = pack(o, byte_encoder());
    ASSERT_TRUE(st.ok()) << st.status().to_string();
    const auto want = expected_train(docs, weights, o.val_fraction);
    auto ds = IndexedDataset::open(o.out);
    ASSERT_TRUE(ds.ok()) << ds.status().to_string();
    ASSERT_EQ(ds->documents(), want.size());
    EXPECT_EQ(st->train_documents, want.size());
    EXPECT_EQ(st->documents, docs.size());
    EXPECT_EQ(st->passes, weight_passes(weights));
    std::map<std::string, SourceCount> per_source;
    for (const auto& d : docs) per_source[d.source];  // every source, 0 when all dropped
    std::map<std::string, uint64_t> first_at;
    for (uint64_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(text_of(*ds, i), want[i]->text) << "train document " << i;
      per_source[want[i]->source].documents += 1;
      per_source[want[i]->source].tokens += ds->doc_length(i);
      first_at.emplace(want[i]->id, i);
    }
    EXPECT_EQ(st->train_sources, per_source);
    // A copy never comes before the last first copy (pass 0 ends before pass 1 starts).
    uint64_t pass0 = 0;
    for (const auto& d : docs) pass0 += !is_validation(d.id, 0.2) && expected_copies(d, weights);
    for (uint64_t i = 0; i < want.size(); ++i) {
      if (first_at[want[i]->id] != i) {
        EXPECT_GE(i, pass0) << want[i]->id;
      }
    }
    // The val split is the unweighted pack's, byte for byte, in every format.
    for (const char* f : {".val.bin", ".val.idx", "_val_000000.bin", ".nanogpt/val.bin"}) {
      EXPECT_TRUE(read_file(o.out + f).value() == read_file(plain.out + f).value()) << f;
    }
    // meta.json records the weights and the per-source train counts.
    auto meta = read_meta(o.out);
    ASSERT_TRUE(meta.ok());
    EXPECT_EQ(meta->source_weights, weights);
    EXPECT_EQ(meta->train_sources, per_source);
    EXPECT_EQ(meta->train_documents, want.size());
    EXPECT_EQ(meta->passes, weight_passes(weights));
  }
  // The counts the rule gives for 2, 0.5 and 0 (computed above from the ids): here in numbers.
  uint64_t train[3] = {0, 0, 0}, kept_half = 0;
  for (const auto& d : docs) {
    if (is_validation(d.id, 0.2)) continue;
    for (int s = 0; s < 3; ++s) train[s] += d.source == kSources[s];
    kept_half += d.source == std::string("fortunes-de") && expected_copies(d, kWeights);
  }
  auto meta = read_meta(dir + "/w3").value();
  EXPECT_EQ(meta.train_sources["bible-kjv"].documents, 2 * train[0]);
  EXPECT_EQ(meta.train_sources["fortunes-de"].documents, kept_half);
  EXPECT_GT(kept_half, train[1] * 3 / 10);
  EXPECT_LT(kept_half, train[1] * 7 / 10);
  EXPECT_EQ(meta.train_sources["dict-gcide"].documents, 0u);
  EXPECT_GT(train[2], 0u);
  // An unweighted meta.json has neither member (its bytes are as before the weights).
  const std::string plain_meta = read_file(plain.out + ".meta.json").value();
  EXPECT_EQ(plain_meta.find("source_weights"), std::string::npos);
  EXPECT_EQ(plain_meta.find("sources"), std::string::npos);
  // Weight 1 changes no shard byte; it only reports the natural mixture.
  auto one = pack_options(in, dir + "/one");
  one.source_weights = {{"bible-kjv", 1}};
  auto st = pack(one, byte_encoder());
  ASSERT_TRUE(st.ok()) << st.status().to_string();
  EXPECT_EQ(st->passes, 1);
  for (const char* f : kFiles) {
    EXPECT_TRUE(read_file(one.out + f).value() == read_file(plain.out + f).value()) << f;
  }
  EXPECT_EQ(st->train_sources.at("bible-kjv").documents, train[0]);
  EXPECT_EQ(st->train_sources.at("dict-gcide").documents, train[2]);
}

TEST(PackWeights, SameBytesForAnyThreadCount) {
  const std::string dir = temp_dir("pack_weights_threads");
  const std::string in = write_jsonl(dir, make_docs(500));
  std::string ref;
  for (int threads : {1, 2}) {
    auto o = pack_options(in, dir + "/t" + std::to_string(threads));
    o.threads = threads;
    o.source_weights = kWeights;
    ASSERT_TRUE(pack(o, byte_encoder()).ok());
    if (threads == 1) ref = all_bytes(o.out);
    EXPECT_TRUE(all_bytes(o.out) == ref) << threads << " threads";
  }
}

TEST(PackWeights, InterruptedMidPassResumesToTheSameBytes) {
  const std::string dir = temp_dir("pack_weights_resume");
  const auto docs = make_docs(700);
  const std::string in = write_jsonl(dir, docs);
  auto full = pack_options(in, dir + "/full");
  full.source_weights = kWeights;
  auto ref = pack(full, byte_encoder());
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  const uint64_t written = ref->train_documents + ref->val_documents;
  const uint64_t second = ref->train_sources.at("bible-kjv").documents / 2;  // pass-1 copies
  ASSERT_GT(second, 20u);
  // Stops in pass 0 and in pass 1 (documents written count copies).
  for (uint64_t stop : {uint64_t(150), written - second / 2}) {
    auto o = pack_options(in, dir + "/cut" + std::to_string(stop));
    o.source_weights = kWeights;
    o.stop_after_documents = stop;
    auto first = pack(o, byte_encoder());
    ASSERT_FALSE(first.ok());
    EXPECT_EQ(first.status().code(), Code::kCancelled);
    auto state = nlohmann::json::parse(read_file(state_path(o.out)).value());
    EXPECT_EQ(state["pass"], stop == 150 ? 0 : 1);
    EXPECT_FALSE(std::filesystem::exists(o.out + ".bin"));
    EXPECT_FALSE(std::filesystem::exists(o.out + ".meta.json"));
    // Other weights do not silently resume.
    auto other = o;
    other.stop_after_documents = 0;
    other.source_weights["bible-kjv"] = 3;
    auto refused = pack(other, byte_encoder());
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition);
    EXPECT_NE(refused.status().hint().find("--restart"), std::string::npos);
    o.stop_after_documents = 0;
    o.threads = 1;
    auto resumed = pack(o, byte_encoder());
    ASSERT_TRUE(resumed.ok()) << resumed.status().to_string();
    EXPECT_EQ(resumed->resumed_documents, stop);
    EXPECT_EQ(resumed->documents, docs.size());
    EXPECT_EQ(resumed->train_sources, ref->train_sources);
    EXPECT_TRUE(all_bytes(o.out) == all_bytes(full.out)) << "stopped after " << stop;
    EXPECT_FALSE(std::filesystem::exists(state_path(o.out)));
  }
}

TEST(PackWeights, AWeightOfNoSourceIsAnErrorAndLeavesNothing) {
  const std::string dir = temp_dir("pack_weights_typo");
  const std::string in = write_jsonl(dir, make_docs(300));
  auto o = pack_options(in, dir + "/typo");
  o.checkpoint_seconds = 0;  // a state after every batch: the error must remove it
  o.source_weights = {{"bibel-kjv", 3}, {"bible-kjv", 2}};
  auto r = pack(o, byte_encoder());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  const std::string msg = r.status().message();
  EXPECT_NE(msg.find("bibel-kjv"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bible-kjv, dict-gcide, fortunes-de, wiki"), std::string::npos) << msg;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    EXPECT_NE(e.path().filename().string().rfind("typo", 0), 0u) << e.path();
  }
  EXPECT_FALSE(std::filesystem::exists(state_path(o.out)));
  o.source_weights = {{"dict-gcide", -1}};
  r = pack(o, byte_encoder());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("dict-gcide"), std::string::npos);
}

TEST(PackWeights, CliWeightJsonAndInfo) {
  const std::string dir = temp_dir("pack_weights_cli");
  const std::string in = write_jsonl(dir, make_docs(300));
  const std::string bin = LMFORGE_BINARY, prefix = dir + "/cli";
  const std::string base = bin + " --no-progress pack --in " + in + " --tokenizer bytes --out " +
                           prefix + " --val-fraction 0.1";
  std::string out, err;
  ASSERT_EQ(run_command(base + " --weight bible-kjv=3 --weight dict-gcide=0 --json", &out, &err), 0)
      << err;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["documents"], 300);
  EXPECT_EQ(j["passes"], 3);
  EXPECT_EQ(j["source_weights"]["bible-kjv"], 3.0);
  EXPECT_EQ(j["train"]["sources"]["dict-gcide"]["documents"], 0);
  uint64_t docs = 0, tokens = 0;
  for (auto& [name, c] : j["train"]["sources"].items()) {
    docs += c["documents"].get<uint64_t>();
    tokens += c["tokens"].get<uint64_t>();
  }
  EXPECT_EQ(docs, j["train"]["documents"].get<uint64_t>());
  EXPECT_EQ(tokens, j["train"]["tokens"].get<uint64_t>());
  ASSERT_EQ(run_command(bin + " pack info " + prefix + " --json", &out, &err), 0) << err;
  auto info = nlohmann::json::parse(out);
  EXPECT_EQ(info["source_weights"], j["source_weights"]);
  EXPECT_EQ(info["train_sources"], j["train"]["sources"]);
  ASSERT_EQ(run_command(bin + " pack info " + prefix, &out, &err), 0) << err;
  EXPECT_NE(out.find("bible-kjv"), std::string::npos) << out;
  EXPECT_NE(out.find("weight 3"), std::string::npos) << out;
  EXPECT_NE(out.find("(no source)"), std::string::npos) << out;
  // Bad --weight: refused before any work, naming the spec.
  for (const char* bad : {"foo", "bible-kjv=-2", "bible-kjv=x"}) {
    EXPECT_EQ(run_command(base + " --restart --weight " + std::string(bad), &out, &err), 1) << bad;
    EXPECT_NE(err.find(bad), std::string::npos) << err;
  }
  EXPECT_EQ(run_command(base + " --restart --weight wiki=2 --weight wiki=3", &out, &err), 1);
  EXPECT_NE(err.find("twice"), std::string::npos) << err;
  EXPECT_EQ(run_command(base + " --restart --weight bibel-kjv=3", &out, &err), 1);
  EXPECT_NE(err.find("bibel-kjv"), std::string::npos) << err;
  EXPECT_NE(err.find("bible-kjv"), std::string::npos) << err;
}

}  // namespace
}  // namespace lm::dataset
