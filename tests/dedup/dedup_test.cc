// dedup_test.cc: the dedup stages end to end on small generated corpora: exact, near and line
// dedup decisions and their "removed" records, identical bytes for 1 and 2 threads, 2 ranks ==
// 1 rank, a tiny memory budget == a large one, --resume skipping finished stages, a corrupt
// intermediate named in the error, bad options, and the CLI (stats.json, --explain).
#include "dedup/dedup.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "dedup_test_util.h"

namespace lm::dedup {
namespace {

using namespace testing_util;

std::string edit_words(std::string text, int n_edits, Rng* rng) {
  for (int e = 0; e < n_edits; ++e) {
    size_t pos = rng->below(text.size());
    pos = text.find(' ', pos);
    if (pos == std::string::npos) pos = text.find(' ');
    text.insert(pos, " zz" + random_text(rng, 1, 100000));
  }
  return text;
}

// 3 files: random documents, planted exact and near duplicates across files.
std::vector<std::string> make_corpus(const std::string& dir, int docs_per_file, uint64_t seed) {
  Rng rng(seed);
  std::vector<io::Document> bases;
  std::vector<std::string> files;
  for (int f = 0; f < 3; ++f) {
    std::vector<io::Document> docs;
    for (int i = 0; i < docs_per_file; ++i) {
      io::Document d;
      d.id = "f" + std::to_string(f) + "-" + std::to_string(i);
      d.source = f == 1 ? "web" : "books";
      d.lang = "en";
      const uint64_t kind = rng.below(10);
      if (!bases.empty() && kind == 0) {
        d.text = bases[rng.below(bases.size())].text;  // exact copy
      } else if (!bases.empty() && kind == 1) {
        d.text = edit_words(bases[rng.below(bases.size())].text, 2, &rng);  // near copy
      } else {
        d.text = random_text(&rng, 60 + static_cast<int>(rng.below(200)));
        bases.push_back(d);
      }
      docs.push_back(d);
    }
    files.push_back(write_jsonl(dir + "/in-" + std::to_string(f) + ".jsonl", docs));
  }
  return files;
}

DedupOptions options(const std::string& work) {
  DedupOptions o;
  o.work_dir = work;
  o.threads = 1;
  return o;
}

const io::Document* find(const std::vector<io::Document>& docs, const std::string& id) {
  for (const auto& d : docs) {
    if (d.id == id) return &d;
  }
  return nullptr;
}

nlohmann::json removed_of(const io::Document& d) {
  return nlohmann::json::parse(d.extra_json).at("removed");
}

TEST(Dedup, ExactAndNearDuplicatesWithReasons) {
  const std::string dir = fresh_dir("");
  Rng rng(1);
  const std::string base = random_text(&rng, 300), other = random_text(&rng, 200);
  std::vector<io::Document> docs = {
      {"a", base, "s1", "en", ""},
      {"b", "  " + base + "!!", "s1", "en", "{\"url\":\"http://x\"}"},  // exact after normalising
      {"c", edit_words(base, 3, &rng), "s2", "en", ""},                 // near
      {"d", other, "s2", "fr", ""},
      {"e", other, "s2", "fr", ""}};
  auto in = write_jsonl(dir + "/in.jsonl", docs);
  auto r = run_into({in}, options(dir + "/work"), dir + "/out");
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(ids(r.kept), "a d ");
  EXPECT_EQ(ids(r.removed), "b c e ");
  auto rb = removed_of(*find(r.removed, "b"));
  EXPECT_EQ(rb["stage"], "dedup");
  EXPECT_EQ(rb["rule"], "exact");
  EXPECT_EQ(rb["kept_id"], "a");
  EXPECT_EQ(nlohmann::json::parse(find(r.removed, "b")->extra_json)["url"], "http://x");
  auto rc = removed_of(*find(r.removed, "c"));
  EXPECT_EQ(rc["rule"], "minhash");
  EXPECT_EQ(rc["kept_id"], "a");
  EXPECT_GT(rc["value"].get<double>(), 0.75);
  EXPECT_LT(rc["value"].get<double>(), 1.0);
  EXPECT_EQ(removed_of(*find(r.removed, "e"))["kept_id"], "d");
  EXPECT_EQ(r.stats.documents_in, 5u);
  EXPECT_EQ(r.stats.documents_kept, 2u);
  EXPECT_EQ(r.stats.exact.documents, 2u);
  EXPECT_EQ(r.stats.minhash.documents, 1u);
  EXPECT_EQ(r.stats.clusters, 2u);
  EXPECT_EQ(r.stats.cluster_sizes, (std::map<uint64_t, uint64_t>{{2, 1}, {3, 1}}));
  EXPECT_EQ(r.stats.by_lang["fr"].documents_in, 2u);
  EXPECT_EQ(r.stats.by_lang["fr"].documents_kept, 1u);
  EXPECT_FALSE(std::filesystem::exists(dir + "/work/s1-r0.done"));  // cleaned up
}

TEST(Dedup, OnlyExactOrOnlyNear) {
  const std::string dir = fresh_dir("");
  Rng rng(2);
  const std::string base = random_text(&rng, 300);
  auto in = write_jsonl(dir + "/in.jsonl", {{"a", base, "", "", ""},
                                            {"b", base, "", "", ""},
                                            {"c", edit_words(base, 3, &rng), "", "", ""}});
  auto o = options(dir + "/w1");
  o.near = false;
  auto r = run_into({in}, o, dir + "/o1");
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(ids(r.kept), "a c ");
  o = options(dir + "/w2");
  o.exact = false;
  r = run_into({in}, o, dir + "/o2");
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(ids(r.kept), "a ");
  EXPECT_EQ(removed_of(r.removed[0])["rule"], "minhash");  // identical: found by MinHash too
}

// The same text in NFC and in NFD (every "e" accented: é vs e + U+0301) is an exact duplicate,
// and a near duplicate when exact dedup is off (before normalising, neither was found).
TEST(Dedup, NfcAndNfdCopiesAreDuplicates) {
  const std::string dir = fresh_dir("");
  Rng rng(7);
  std::string nfc = "caf\xc3\xa9 ", nfd = "cafe\xcc\x81 ";
  for (char c : random_text(&rng, 80)) {
    nfc += c == 'e' ? std::string("\xc3\xa9") : std::string(1, c);
    nfd += c == 'e' ? std::string("e\xcc\x81") : std::string(1, c);
  }
  ASSERT_NE(nfc, nfd);
  auto in = write_jsonl(dir + "/in.jsonl", {{"nfc", nfc, "", "", ""}, {"nfd", nfd, "", "", ""}});
  auto r = run_into({in}, options(dir + "/w1"), dir + "/o1");
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(ids(r.kept), "nfc ");
  ASSERT_EQ(r.removed.size(), 1u);
  EXPECT_EQ(removed_of(r.removed[0])["rule"], "exact");
  auto o = options(dir + "/w2");
  o.exact = false;
  r = run_into({in}, o, dir + "/o2");
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(ids(r.kept), "nfc ");
  ASSERT_EQ(r.removed.size(), 1u);
  EXPECT_EQ(removed_of(r.removed[0])["rule"], "minhash");
  EXPECT_EQ(removed_of(r.removed[0])["value"].get<double>(), 1.0);
}

TEST(Dedup, LineDedupDropsRepeatsAndEmptiedDocuments) {
  const std::string dir = fresh_dir("");
  std::vector<io::Document> docs = {
      {"a", "Copyright 2020 ACME.\nThe first story starts here.\n", "", "", ""},
      {"b", "copyright 1999 acme\nA second, different story.\n  \n", "", "", ""},
      {"c", "The first story starts here!\n---\nCOPYRIGHT 2021 ACME\n", "", "", ""},
      {"d", "Unique line one.\nunique line one\n", "", "", ""}};
  auto in = write_jsonl(dir + "/in.jsonl", docs);
  auto o = options(dir + "/work");
  o.exact = o.near = false;
  o.lines = true;
  auto r = run_into({in}, o, dir + "/out");
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(ids(r.kept), "a b d ");
  EXPECT_EQ(find(r.kept, "a")->text, docs[0].text);
  EXPECT_EQ(find(r.kept, "b")->text, "A second, different story.\n  \n");
  EXPECT_EQ(find(r.kept, "d")->text, "Unique line one.\n");
  auto rc = removed_of(*find(r.removed, "c"));  // only "---" left: no words
  EXPECT_EQ(rc["rule"], "lines");
  EXPECT_EQ(rc["value"], 2.0);
  EXPECT_EQ(r.stats.lines_removed, 4u);
  EXPECT_EQ(r.stats.lines.documents, 1u);
  EXPECT_EQ(r.stats.line_bytes_removed, 20u + 29u + 20u + 16u);
}

TEST(Dedup, RemovedLinesAreWrittenOut) {
  const std::string dir = fresh_dir("");
  std::vector<io::Document> docs = {
      {"a", "Copyright 2020 ACME.\nThe first story starts here.\n", "", "", ""},
      {"b", "copyright 1999 acme\nA second, different story.\n", "", "", ""},
      {"c", "The first story starts here!\n---\nCOPYRIGHT 2021 ACME\n", "", "", ""}};
  auto in = write_jsonl(dir + "/in.jsonl", docs);
  auto o = options(dir + "/work");
  o.exact = o.near = false;
  o.lines = true;
  auto kept = io::ShardWriter::create({dir + "/out/kept", "p"});
  auto removed = io::ShardWriter::create({dir + "/out/removed", "p"});
  auto lines = io::ShardWriter::create({dir + "/out/removed-lines", "p"});
  ASSERT_TRUE(kept.ok() && removed.ok() && lines.ok());
  auto st = run_dedup_stage({in}, {}, o, kept->get(), removed->get(), lines->get());
  ASSERT_TRUE(st.ok()) << st.status().to_string();
  for (auto* w : {kept->get(), removed->get(), lines->get()}) ASSERT_TRUE(w->close().ok());
  auto recs = read_docs(dir + "/out/removed-lines");
  ASSERT_EQ(recs.size(), st->lines_removed);
  ASSERT_EQ(recs.size(), 3u);
  std::string got;
  for (const auto& r : recs) {
    auto j = nlohmann::json::parse(r.extra_json)["removed"];
    EXPECT_EQ(j["stage"], "dedup");
    EXPECT_EQ(j["rule"], "lines");
    got += fmt::format("{}:{}:{}:{}|", r.id, j["line"].get<int>(), j["document"].get<std::string>(),
                       r.text);
  }
  EXPECT_EQ(got,
            "b:0:kept:copyright 1999 acme|c:0:removed:The first story starts here!|"
            "c:2:removed:COPYRIGHT 2021 ACME|");
}

TEST(Dedup, ParagraphDedup) {
  const std::string dir = fresh_dir("");
  auto in = write_jsonl(dir + "/in.jsonl",
                        {{"a", "Para one line.\nStill one.\n\nPara two.\n", "", "", ""},
                         {"b", "Para two.\n\nPara three.\n", "", "", ""}});
  auto o = options(dir + "/work");
  o.exact = o.near = false;
  o.lines = true;
  o.line_unit = LineUnit::kParagraphs;
  auto r = run_into({in}, o, dir + "/out");
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  ASSERT_EQ(r.kept.size(), 2u);
  EXPECT_EQ(r.kept[1].text, "Para three.\n");
}

std::string shard_bytes(const std::string& dir) {
  std::string all;
  auto files = io::expand_inputs({dir});
  EXPECT_TRUE(files.ok()) << files.status().to_string();
  if (!files.ok()) return all;
  for (const auto& f : *files) all += read_file(f).value();
  return all;
}

TEST(Dedup, OneAndTwoThreadsGiveIdenticalBytes) {
  const std::string dir = fresh_dir("");
  auto files = make_corpus(dir, 300, 11);
  auto o = options(dir + "/w1");
  o.lines = true;
  auto r1 = run_into(files, o, dir + "/o1");
  o.threads = 2;
  o.work_dir = dir + "/w2";
  auto r2 = run_into(files, o, dir + "/o2");
  ASSERT_TRUE(r1.status.ok() && r2.status.ok()) << r1.status.to_string();
  EXPECT_GT(r1.stats.minhash.documents, 20u);
  EXPECT_GT(r1.stats.exact.documents, 20u);
  EXPECT_EQ(shard_bytes(dir + "/o1/kept"), shard_bytes(dir + "/o2/kept"));
  EXPECT_EQ(shard_bytes(dir + "/o1/removed"), shard_bytes(dir + "/o2/removed"));
}

TEST(Dedup, TwoRanksEqualOneAndTinyMemoryBudget) {
  const std::string dir = fresh_dir("");
  auto files = make_corpus(dir, 400, 12);
  auto o = options(dir + "/w1");
  o.lines = true;
  auto one = run_into(files, o, dir + "/o1");
  ASSERT_TRUE(one.status.ok()) << one.status.to_string();
  // Two ranks, stage by stage as a scheduler would run them, with a 64 KB sort budget.
  o.world = 2;
  o.memory_budget = 64 << 10;
  o.work_dir = dir + "/w2";
  std::vector<io::Document> kept, removed;
  for (Stage s : {Stage::kSignatures, Stage::kBuckets, Stage::kClusters, Stage::kFilter}) {
    for (int rank = 0; rank < 2; ++rank) {
      o.stage = s;
      o.rank = rank;
      auto r = run_into(files, o, dir + "/o2-" + std::to_string(rank));
      ASSERT_TRUE(r.status.ok()) << stage_name(s) << " " << r.status.to_string();
      if (s == Stage::kFilter) {
        kept.insert(kept.end(), r.kept.begin(), r.kept.end());
        removed.insert(removed.end(), r.removed.begin(), r.removed.end());
      }
    }
  }
  EXPECT_GT(
      std::filesystem::directory_iterator(dir + "/w2") != std::filesystem::directory_iterator(),
      false);
  size_t runs = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/w2")) {
    runs += e.path().filename().string().find(".band.run") != std::string::npos;
  }
  EXPECT_GE(runs, 6u);  // the budget forced several spilled runs per rank
  ASSERT_EQ(kept.size(), one.kept.size());
  ASSERT_EQ(removed.size(), one.removed.size());
  for (size_t i = 0; i < kept.size(); ++i) {
    EXPECT_EQ(kept[i].id, one.kept[i].id);
    EXPECT_EQ(kept[i].text, one.kept[i].text);
  }
  for (size_t i = 0; i < removed.size(); ++i) {
    EXPECT_EQ(removed[i].id, one.removed[i].id);
    EXPECT_EQ(removed[i].extra_json, one.removed[i].extra_json);
  }
  auto merged = collect_rank_stats(files, {}, o);
  ASSERT_TRUE(merged.ok()) << merged.status().to_string();
  EXPECT_EQ(merged->documents_kept, one.stats.documents_kept);
  EXPECT_EQ(merged->cluster_sizes, one.stats.cluster_sizes);
}

TEST(Dedup, ResumeSkipsFinishedStages) {
  const std::string dir = fresh_dir("");
  auto files = make_corpus(dir, 100, 13);
  auto o = options(dir + "/work");
  o.keep_work = true;
  o.stage = Stage::kSignatures;
  ASSERT_TRUE(run_into(files, o, dir + "/o").status.ok());
  const auto marker = dir + "/work/s1-r0.done";
  const auto before = std::filesystem::last_write_time(marker);
  o.stage = Stage::kAll;
  o.resume = true;
  auto resumed = run_into(files, o, dir + "/o");
  ASSERT_TRUE(resumed.status.ok()) << resumed.status.to_string();
  EXPECT_EQ(std::filesystem::last_write_time(marker), before);
  auto fresh = run_into(files, options(dir + "/work2"), dir + "/o2");
  ASSERT_TRUE(fresh.status.ok());
  EXPECT_EQ(ids(resumed.kept), ids(fresh.kept));
  // Changed options: --resume refuses the old markers (naming one, with a hint) ...
  o.minhash.bands = 10;
  auto refused = run_into(files, o, dir + "/o3");
  EXPECT_EQ(refused.status.code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.status.message().find("s1-r0.done"), std::string::npos)
      << refused.status.to_string();
  EXPECT_NE(refused.status.hint().find("without --resume"), std::string::npos);
  EXPECT_EQ(std::filesystem::last_write_time(marker), before);
  // ... and a run without --resume redoes every stage.
  o.resume = false;
  auto other = run_into(files, o, dir + "/o3");
  ASSERT_TRUE(other.status.ok()) << other.status.to_string();
  EXPECT_NE(std::filesystem::last_write_time(marker), before);
}

TEST(Dedup, CorruptIntermediateIsNamed) {
  const std::string dir = fresh_dir("");
  auto files = make_corpus(dir, 100, 14);
  auto o = options(dir + "/work");
  o.stage = Stage::kSignatures;
  ASSERT_TRUE(run_into(files, o, dir + "/o").status.ok());
  const std::string run = dir + "/work/s1-r0.band.run0";
  FILE* f = std::fopen(run.c_str(), "r+b");
  ASSERT_NE(f, nullptr);
  std::fseek(f, -50, SEEK_END);
  std::fputc(0x5a, f);
  std::fclose(f);
  o.stage = Stage::kAll;
  o.resume = true;
  auto r = run_into(files, o, dir + "/o");
  EXPECT_EQ(r.status.code(), Code::kCorrupt);
  EXPECT_NE(r.status.message().find(run), std::string::npos) << r.status.to_string();
  EXPECT_FALSE(r.status.hint().empty());
}

TEST(Dedup, BadOptionsAndInputs) {
  const std::string dir = fresh_dir("");
  auto in = write_jsonl(dir + "/in.jsonl", {{"a", "text", "", "", ""}});
  auto o = options(dir + "/work");
  o.rank = 2;
  o.world = 2;
  EXPECT_EQ(run_into({in}, o, dir + "/o").status.code(), Code::kInvalidArgument);
  o = options("");
  EXPECT_EQ(run_into({in}, o, dir + "/o").status.code(), Code::kInvalidArgument);
  o = options(dir + "/work");
  o.minhash.bands = 0;
  EXPECT_EQ(run_into({in}, o, dir + "/o").status.code(), Code::kInvalidArgument);
  auto missing = run_into({dir + "/nope.jsonl"}, options(dir + "/work"), dir + "/o");
  EXPECT_EQ(missing.status.code(), Code::kNotFound);
  o = options(dir + "/work");
  o.stage = Stage::kBuckets;  // signatures never ran
  auto early = run_into({in}, o, dir + "/o");
  EXPECT_EQ(early.status.code(), Code::kFailedPrecondition);
  EXPECT_NE(early.status.message().find("s1-r0.done"), std::string::npos);
  auto bad = write_jsonl(dir + "/bad.jsonl", {});
  ASSERT_TRUE(write_file_atomic(bad, "{\"id\":\"x\",\"text\":\"ok\"}\n{broken\n").ok());
  auto r = run_into({bad}, options(dir + "/work"), dir + "/o");
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("bad.jsonl"), std::string::npos) << r.status.to_string();
}

std::string run_cli(const std::string& args) {
  std::string cmd = std::string(LMFORGE_BINARY) + " --no-progress " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  const int rc = pclose(p);
  return (rc == 0 ? "" : "rc!=0 ") + out;
}

TEST(DedupCli, WritesOutputsStatsAndExplains) {
  const std::string dir = fresh_dir("");
  auto files = make_corpus(dir, 100, 15);
  std::string out = run_cli("dedup --in " + dir + "/in-*.jsonl --out " + dir + "/out --lines");
  ASSERT_EQ(out.find("rc!=0"), std::string::npos) << out;
  EXPECT_NE(out.find("removed: minhash"), std::string::npos) << out;
  auto stats = nlohmann::json::parse(read_file(dir + "/out/stats.json").value());
  EXPECT_EQ(stats["documents_in"], 300);
  EXPECT_GT(stats["removed"]["exact"]["documents"].get<int>(), 0);
  EXPECT_TRUE(stats.contains("cluster_sizes"));
  EXPECT_NEAR(stats["minhash"]["threshold"].get<double>(), 0.719, 0.001);
  EXPECT_FALSE(read_docs(dir + "/out/kept").empty());
  std::string ex = run_cli("dedup --explain --preset nemo");
  EXPECT_NE(ex.find("0.794"), std::string::npos) << ex;
  std::string bad = run_cli("dedup --in " + dir + "/missing.jsonl --out " + dir + "/o2");
  EXPECT_NE(bad.find("rc!=0"), std::string::npos);
  EXPECT_NE(bad.find("missing.jsonl"), std::string::npos) << bad;
}

}  // namespace
}  // namespace lm::dedup
