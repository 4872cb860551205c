// pipeline_test.cc: run_clean end to end on a small generated corpus: every input document ends
// up kept or removed with a reason; lines taken by line rules are written to removed-lines/;
// stage order changes attribution but not the kept set; the same bytes for 1 and 2 threads;
// 2 ranks write the same files and stats as 1; --resume skips finished files and redoes one whose
// output was corrupted; the per-stage progress lines.
#include "clean/pipeline.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/file_util.h"
#include "core/progress.h"
#include "core/rng.h"

namespace lm::clean {
namespace {
namespace fs = std::filesystem;

const char* kSentences[] = {
    "The river runs past the old mill and into the wide valley below the town.",
    "Children walked to school along the road while their parents went to work.",
    "It was the best of times, and it was also the worst of times for the farmers.",
    "A small boat drifted across the lake with two fishermen sitting in the back.",
    "The library opens early in the morning and closes late in the evening.",
    "Many people believe that a good breakfast is the key to a productive day.",
    "The committee decided to postpone the meeting until the report was finished.",
    "She opened the window to let the fresh air fill the quiet room again.",
    "During the winter the mountain roads are often closed because of heavy snow.",
    "The old man told stories about the war to anyone who would listen to him.",
    "Scientists have studied the behaviour of these birds for more than a century.",
    "The market was full of fresh fruit, vegetables and bread from the bakery.",
    "He had never seen the ocean before, and the sight of it took his breath away.",
    "The new bridge will connect the two halves of the city for the first time.",
    "Our neighbours planted a garden with roses, tulips and a small apple tree.",
    "The train was late again, so they waited on the platform with their coffee.",
};

// Eight different sentences in random order, three to a line.
std::string english_doc(Rng* rng) {
  std::vector<int> order(16);
  for (int i = 0; i < 16; ++i) order[i] = i;
  for (int i = 15; i > 0; --i) std::swap(order[i], order[rng->below(i + 1)]);
  std::string s;
  for (int i = 0; i < 8; ++i) {
    s += kSentences[order[i]];
    s += (i % 3 == 2) ? "\n" : " ";
  }
  return s;
}

// Four JSONL files: English documents, exact copies, German and too-short documents.
std::vector<std::string> make_corpus(const std::string& dir) {
  fs::create_directories(dir);
  Rng rng(7);
  std::vector<std::string> files;
  std::string first;
  for (int f = 0; f < 4; ++f) {
    std::string path = fmt::format("{}/in-{}.jsonl", dir, f);
    std::ofstream out(path);
    for (int i = 0; i < 60; ++i) {
      std::string text = english_doc(&rng);
      if (f == 0 && i == 0) first = text;
      if (i % 10 == 3) text = first;  // exact duplicates
      if (i % 10 == 1) text += "\nPlease enable JavaScript to view this page.\nShort line";
      if (i % 10 == 5) text = "Too short.";
      if (i % 10 == 7) {
        text =
            "Der schnelle braune Fuchs springt über den faulen Hund, während die Kinder aus "
            "dem Fenster zusehen und lachen. Es war einmal ein König.";
      }
      nlohmann::json j = {
          {"id", fmt::format("d{}-{}", f, i)}, {"text", text}, {"source", f % 2 ? "odd" : "even"}};
      out << j.dump() << "\n";
    }
    files.push_back(path);
  }
  return files;
}

class PipelineTest : public testing::Test {
 protected:
  void SetUp() override {
    Progress::set_enabled(false);
    dir_ = testing::TempDir() + "/clean_pipeline_" +
           testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    inputs_ = make_corpus(dir_ + "/in");
  }
  CleanStats clean(const std::string& out, int threads, int rank = 0, int world = 1,
                   bool resume = false, bool dedup = true,
                   std::vector<std::string> order = kDefaultOrder) {
    CleanOptions o;
    o.inputs = inputs_;
    o.out_dir = out;
    o.threads = threads;
    o.rank = rank;
    o.world = world;
    o.resume = resume;
    o.batch_bytes = 4096;  // several batches per file
    CleanConfig c;
    c.pipeline.order = std::move(order);
    c.dedup.enabled = dedup;
    c.dedup.memory_mb = 16;
    auto s = run_clean(c, o);
    EXPECT_TRUE(s.ok()) << s.status().to_string();
    return s.ok() ? *s : CleanStats{};
  }
  std::string dir_;
  std::vector<std::string> inputs_;
};

std::map<std::string, std::string> read_tree(const std::string& dir, const char* sub) {
  std::map<std::string, std::string> files;
  std::string root = dir + "/" + sub;
  if (!fs::exists(root)) return files;
  for (const auto& e : fs::directory_iterator(root))
    files[e.path().filename()] = *read_file(e.path());
  return files;
}

std::map<std::string, nlohmann::json> read_docs(const std::string& dir) {
  std::map<std::string, nlohmann::json> docs;
  if (!fs::exists(dir) || fs::is_empty(dir)) return docs;
  auto r = io::DocumentReader::open({dir});
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  io::Document d;
  while (*(*r)->next(&d)) {
    docs[d.id] =
        d.extra_json.empty() ? nlohmann::json::object() : nlohmann::json::parse(d.extra_json);
  }
  return docs;
}

TEST_F(PipelineTest, EveryDocumentIsKeptOrRemovedWithAReason) {
  CleanStats s = clean(dir_ + "/out", 2);
  EXPECT_EQ(s.input.docs, 240u);
  auto kept = read_docs(dir_ + "/out/kept");
  auto removed = read_docs(dir_ + "/out/removed");
  EXPECT_EQ(kept.size() + removed.size(), 240u);
  EXPECT_EQ(kept.size(), s.kept.docs);
  EXPECT_GT(kept.size(), 100u);
  std::map<std::string, int> reasons;
  for (const auto& [id, extra] : removed) {
    ASSERT_TRUE(extra.contains("removed")) << id;
    reasons[extra["removed"]["stage"].get<std::string>() + "/" +
            extra["removed"]["rule"].get<std::string>()]++;
    EXPECT_FALSE(kept.count(id)) << id;
  }
  // The short German documents and "Too short." fail gopher_quality's word count, which runs
  // before language id by default.
  EXPECT_EQ(reasons["gopher_quality/min_words"], 48);
  EXPECT_EQ(reasons["language/langs"], 0);
  EXPECT_GE(reasons["dedup/exact"], 23);  // the copies of d0-0
  EXPECT_EQ(removed.at("d1-7")["removed"]["rule"], "min_words");
  EXPECT_TRUE(kept.count("d0-0"));
  auto stats = nlohmann::json::parse(*read_file(dir_ + "/out/stats.json"));
  EXPECT_EQ(stats["input"]["documents"], 240);
  EXPECT_EQ(stats["kept"]["documents"], kept.size());
  EXPECT_EQ(stats["by_source"]["odd"]["in"]["documents"], 120);
  EXPECT_NE(s.table().find("gopher_quality"), std::string::npos);
}

// Language id first (datatrove's order): the same documents are kept; the removed ones name the
// first stage that removed them, so German is now removed by language with its language.
TEST_F(PipelineTest, OrderChangesAttributionNotTheKeptSet) {
  CleanStats fast = clean(dir_ + "/fast", 2);
  std::vector<std::string> order = {"normalize", "language", "gopher_quality"};
  CleanStats lang_first = clean(dir_ + "/slow", 2, 0, 1, false, true, order);
  EXPECT_EQ(read_tree(dir_ + "/fast", "kept"), read_tree(dir_ + "/slow", "kept"));
  EXPECT_EQ(read_tree(dir_ + "/fast", "removed-lines"), read_tree(dir_ + "/slow", "removed-lines"));
  auto removed = read_docs(dir_ + "/slow/removed");
  int german = 0, by_language = 0;
  for (const auto& [id, extra] : removed) {
    german += extra["removed"].value("lang", "") == "de";
    by_language += extra["removed"]["stage"] == "language";
  }
  EXPECT_EQ(german, 24);
  EXPECT_EQ(by_language, 48);  // German, and "Too short." (unknown language)
  EXPECT_EQ(removed.at("d1-7")["removed"]["lang"], "de");
  EXPECT_EQ(read_docs(dir_ + "/fast/removed").size(), removed.size());
  // Cheap rules first: CLD2 sees only the documents gopher_quality let through.
  EXPECT_LT(fast.stages.at("language").in.docs, lang_first.stages.at("language").in.docs);
  auto removed_by = [](const CleanStats& st, const char* stage, const char* rule) {
    const auto& r = st.stages.at(stage).removed;
    return r.count(rule) ? r.at(rule).docs : 0;
  };
  for (const char* rule : {"min_stop_words", "min_alpha_words", "max_avg_word_length"})
    EXPECT_EQ(removed_by(fast, "gopher_quality", rule),
              removed_by(lang_first, "gopher_quality", rule))
        << rule;
  const StageStats& q = fast.stages.at("gopher_quality");
  uint64_t removed_by_q = 0;
  for (const auto& [rule, c] : q.removed) removed_by_q += c.docs;
  EXPECT_EQ(q.in.docs - q.out.docs, removed_by_q);  // continuation counted once
}

// Lines that line rules take out are written to DIR/removed-lines/ with their rule.
TEST_F(PipelineTest, RemovedLinesAreWrittenOut) {
  CleanStats s = clean(dir_ + "/out", 2);
  auto kept = read_docs(dir_ + "/out/kept");
  auto r = io::DocumentReader::open({dir_ + "/out/removed-lines"});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  io::Document d;
  std::map<std::string, int> rules;
  int in_kept = 0;
  while (*(*r)->next(&d)) {
    auto rm = nlohmann::json::parse(d.extra_json)["removed"];
    rules[rm["stage"].get<std::string>() + "/" + rm["rule"].get<std::string>()]++;
    EXPECT_TRUE(rm.contains("line"));
    if (rm["document"] == "kept" && kept.count(d.id)) ++in_kept;
    if (rm["rule"] == "drop_javascript_lines") {
      EXPECT_EQ(d.text, "Please enable JavaScript to view this page.");
    }
    if (rm["rule"] == "min_words_per_line") {
      EXPECT_EQ(d.text, "Short line");
    }
  }
  EXPECT_EQ(rules["c4/drop_javascript_lines"], 24);
  EXPECT_EQ(rules["c4/min_words_per_line"], 24);
  EXPECT_EQ(s.stages.at("c4").lines.at("drop_javascript_lines").docs, 24u);
  EXPECT_GT(in_kept, 10);
  auto k = io::DocumentReader::open({dir_ + "/out/kept"});
  while (*(*k)->next(&d)) EXPECT_EQ(d.text.find("JavaScript"), std::string::npos) << d.id;
}

// One progress line per stage (periodic lines when not on a terminal).
TEST_F(PipelineTest, ProgressShowsEveryStage) {
  Progress::set_enabled(true);
  Progress::set_force_tty(0);
  Progress::set_period_seconds(0);
  testing::internal::CaptureStderr();
  clean(dir_ + "/out", 1, 0, 1, false, false);
  std::string err = testing::internal::GetCapturedStderr();
  Progress::set_enabled(false);
  Progress::set_force_tty(-1);
  Progress::set_period_seconds(10);
  EXPECT_NE(err.find("clean: "), std::string::npos) << err;
  for (const char* stage : {"normalize", "gopher_quality", "language", "c4", "boilerplate"})
    EXPECT_NE(err.find(fmt::format("  {:<18} ", stage)), std::string::npos) << stage << err;
  EXPECT_NE(err.find("240 docs in"), std::string::npos) << err;
}

TEST_F(PipelineTest, SameBytesForOneAndTwoThreads) {
  clean(dir_ + "/t1", 1);
  clean(dir_ + "/t2", 2);
  for (const char* sub : {"kept", "removed", "filtered", "removed-lines"}) {
    auto a = read_tree(dir_ + "/t1", sub), b = read_tree(dir_ + "/t2", sub);
    EXPECT_FALSE(a.empty()) << sub;
    EXPECT_EQ(a, b) << sub;
  }
  EXPECT_EQ(*read_file(dir_ + "/t1/stats.json"), *read_file(dir_ + "/t2/stats.json"));
}

// Two ranks (threads sharing the output folder, as processes do under mpirun; tests/clean/
// cli_mpi_test.py runs the CLI under mpirun) write the very files one rank writes: the same
// names and bytes in kept/, removed/, filtered/ and removed-lines/ ...
TEST_F(PipelineTest, TwoRanksWriteTheSameFilesAsOne) {
  clean(dir_ + "/one", 1);
  std::thread r1([&] { clean(dir_ + "/two", 1, 1, 2); });
  clean(dir_ + "/two", 1, 0, 2);
  r1.join();
  for (const char* sub : {"kept", "removed", "filtered", "removed-lines"}) {
    auto a = read_tree(dir_ + "/one", sub), b = read_tree(dir_ + "/two", sub);
    EXPECT_FALSE(a.empty()) << sub;
    std::set<std::string> na, nb;
    for (const auto& [name, bytes] : a) na.insert(name);
    for (const auto& [name, bytes] : b) nb.insert(name);
    EXPECT_EQ(na, nb) << sub << ": the same files";
    for (const auto& [name, bytes] : a) {
      auto it = b.find(name);
      if (it != b.end()) {
        EXPECT_TRUE(it->second == bytes) << sub << "/" << name << " differs";
      }
    }
  }
}

// ... and the same stats.json (rank 0 writes it for the whole job: per source and language too).
TEST_F(PipelineTest, TwoRanksWriteTheSameStatsAsOne) {
  CleanStats one = clean(dir_ + "/one", 1);
  CleanStats two;
  std::thread r1([&] { clean(dir_ + "/two", 1, 1, 2); });
  two = clean(dir_ + "/two", 1, 0, 2);
  r1.join();
  std::string a = *read_file(dir_ + "/one/stats.json"), b = *read_file(dir_ + "/two/stats.json");
  EXPECT_EQ(a, b) << "stats.json";
  EXPECT_EQ(one.to_json(), two.to_json()) << "rank 0 returns the whole job's stats";
  auto s = nlohmann::json::parse(b);
  EXPECT_EQ(s["input"]["documents"], 240);
  EXPECT_EQ(s["kept"]["documents"], read_docs(dir_ + "/two/kept").size());
  uint64_t kept_by_source = 0;
  for (const auto& [name, g] : s["by_source"].items())
    kept_by_source += g["kept"]["documents"].get<uint64_t>();
  EXPECT_EQ(kept_by_source, s["kept"]["documents"]);
}

TEST_F(PipelineTest, ResumeSkipsDoneFilesAndRedoesCorruptOnes) {
  std::string out = dir_ + "/out";
  CleanStats first = clean(out, 2, 0, 1, false, false);
  auto before = read_tree(out, "kept");
  std::string stats_before = *read_file(out + "/stats.json");
  CleanStats again = clean(out, 2, 0, 1, true, false);
  EXPECT_EQ(again.to_json(), first.to_json());
  // Corrupt one finished output: resume notices (checksum) and cleans that file again.
  std::string victim = out + "/kept/f00001-00000.jsonl.zst";
  ASSERT_TRUE(fs::exists(victim));
  ASSERT_TRUE(write_file_atomic(victim, "garbage").ok());
  CleanStats redone = clean(out, 1, 0, 1, true, false);
  EXPECT_EQ(read_tree(out, "kept"), before);
  EXPECT_EQ(*read_file(out + "/stats.json"), stats_before);
}

// A resume with another config (CleanOptions::fingerprint) or over a state of the format before
// the resume ledger is refused, naming the state file, with a hint; without --resume it cleans.
TEST_F(PipelineTest, ResumeRefusesAnotherConfigAndOldStates) {
  std::string out = dir_ + "/out";
  clean(out, 1, 0, 1, false, false);
  CleanOptions o;
  o.inputs = inputs_;
  o.out_dir = out;
  o.resume = true;
  o.fingerprint = "another recipe";
  CleanConfig c;
  c.pipeline.order = kDefaultOrder;
  c.dedup.enabled = false;
  auto refused = run_clean(c, o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find(out + "/.state/unit-00000.json"), std::string::npos)
      << refused.status().to_string();
  EXPECT_NE(refused.status().hint().find("without --resume"), std::string::npos);
  ASSERT_TRUE(write_file_atomic(out + "/.state/unit-00000.json",
                                R"({"input": "x", "fingerprint": "0", "stats": {}})")
                  .ok());
  o.fingerprint.clear();
  auto old = run_clean(c, o);
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.status().message().find("older format"), std::string::npos)
      << old.status().to_string();
  o.resume = false;
  EXPECT_TRUE(run_clean(c, o).ok());
}

TEST_F(PipelineTest, BadOptionsAreErrors) {
  CleanOptions o;
  o.inputs = inputs_;
  EXPECT_FALSE(run_clean(CleanConfig{}, o).ok());  // no --out
  o.out_dir = dir_ + "/x";
  o.rank = 2;
  o.world = 2;
  EXPECT_FALSE(run_clean(CleanConfig{}, o).ok());
  o.rank = 0;
  o.world = 1;
  o.inputs = {dir_ + "/missing.jsonl"};
  auto s = run_clean(CleanConfig{}, o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("missing.jsonl"), std::string::npos);
}

TEST(RemovedRecord, MergesIntoExtraJson) {
  EXPECT_EQ(add_removed("", "c4", "min_sentences", 3, ""),
            R"({"removed":{"rule":"min_sentences","stage":"c4","value":3.0}})");
  EXPECT_EQ(add_removed(R"({"url":"x"})", "language", "langs", 0.5, "de"),
            R"({"url":"x","removed":{"lang":"de","rule":"langs","stage":"language","value":0.5}})");
  EXPECT_EQ(add_removed("{}", "a", "b", 1, ""),
            R"({"removed":{"rule":"b","stage":"a","value":1.0}})");
}

}  // namespace
}  // namespace lm::clean
