// writer_test.cc: document_to_json (escaping checked by parsing it back with nlohmann::json),
// ShardWriter (rollover by size, exact read-back, stale shards removed, deterministic bytes),
// and atomicity: an unclosed writer, or a process killed mid-shard, leaves no shard that looks
// complete under its final name.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/rng.h"
#include "io_test_util.h"

namespace lm::io {
namespace {

using testing::read_all_docs;
using testing::TempDir;

Document make_doc(int i, Rng* rng) {
  Document d;
  d.id = fmt::format("doc/{}", i);
  for (int k = 0, n = static_cast<int>(rng->below(200)); k < n; ++k) {
    d.text.push_back(static_cast<char>(rng->below(128)));  // includes every control character
  }
  d.text += "\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80 \"q\" \\ \u2028";
  d.source = i % 2 ? "src" : "";
  d.lang = "en";
  return d;
}

TEST(DocumentToJson, EscapesAndParsesBack) {
  Rng rng(1);
  for (int i = 0; i < 500; ++i) {
    Document d = make_doc(i, &rng);
    if (i % 3 == 0) d.extra_json = R"({"score":0.5,"tags":["a","b"]})";
    std::string line = document_to_json(d);
    ASSERT_EQ(line.find('\n'), std::string::npos);
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["id"], d.id);
    EXPECT_EQ(j["text"], d.text);
    EXPECT_EQ(j["source"], d.source);
    EXPECT_EQ(j["lang"], d.lang);
    if (i % 3 == 0) {
      EXPECT_EQ(j["tags"][1], "b");
    }
    EXPECT_EQ(line.substr(0, 7), "{\"id\":\"");  // member order: id, text, source, lang, extra
  }
  Document bad;
  bad.text = "x\xFFy";
  EXPECT_EQ(nlohmann::json::parse(document_to_json(bad))["text"], "x\uFFFDy");
  Document plain;
  plain.id = "1";
  plain.text = "a\tb";
  EXPECT_EQ(document_to_json(plain), R"({"id":"1","text":"a\tb","source":"","lang":""})");
}

TEST(ShardWriter, RollsOverReadsBackExactlyAndIsDeterministic) {
  TempDir t;
  Rng rng(2);
  std::vector<Document> docs;
  for (int i = 0; i < 3000; ++i) docs.push_back(make_doc(i, &rng));
  docs[5].extra_json = R"({"k":{"nested":[1,2,3]}})";
  WriterOptions o;
  o.dir = t.file("out");
  o.shard_bytes = 100000;
  for (const char* sub : {"out", "out2"}) {
    o.dir = t.file(sub);
    auto w = ShardWriter::create(o);
    ASSERT_TRUE(w.ok());
    for (const auto& d : docs) ASSERT_TRUE((*w)->write(d).ok());
    ASSERT_TRUE((*w)->close().ok());
    EXPECT_GT((*w)->shards().size(), 3u);
    EXPECT_EQ((*w)->documents(), docs.size());
  }
  auto r = read_all_docs({t.file("out")});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  ASSERT_EQ(r.docs.size(), docs.size());
  for (size_t i = 0; i < docs.size(); ++i) {
    ASSERT_EQ(r.docs[i].id, docs[i].id);
    ASSERT_EQ(r.docs[i].text, docs[i].text);
    ASSERT_EQ(r.docs[i].source, docs[i].source);
  }
  EXPECT_EQ(nlohmann::json::parse(r.docs[5].extra_json)["k"]["nested"][2], 3);
  EXPECT_EQ(r.stats.repaired_utf8, 0u);
  EXPECT_EQ(testing::read_bytes(t.file("out/part-00002.jsonl.zst")),
            testing::read_bytes(t.file("out2/part-00002.jsonl.zst")));
}

TEST(ShardWriter, CloseRemovesStaleShardsOfAnEarlierLongerRun) {
  TempDir t;
  WriterOptions o;
  o.dir = t.path();
  o.shard_bytes = 10;
  Document d;
  d.text = "0123456789abcdef";
  for (int n : {5, 2}) {
    auto w = ShardWriter::create(o);
    for (int i = 0; i < n; ++i) ASSERT_TRUE((*w)->write(d).ok());
    ASSERT_TRUE((*w)->close().ok());
  }
  auto files = expand_inputs({t.path()});
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 2u);
}

TEST(ShardWriter, UnclosedWriterLeavesNoShard) {
  TempDir t;
  WriterOptions o;
  o.dir = t.path();
  {
    auto w = ShardWriter::create(o);
    Document d;
    d.text = "half-written";
    ASSERT_TRUE((*w)->write(d).ok());
  }  // destroyed without close(): the temporary file is removed
  EXPECT_TRUE(std::filesystem::is_empty(t.path()));
}

TEST(ShardWriter, KilledProcessLeavesNoCompleteLookingShard) {
  TempDir t;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    WriterOptions o;
    o.dir = t.path();
    o.shard_bytes = 1 << 20;
    auto w = ShardWriter::create(o);
    Document d;
    d.text = std::string(1000, 'x');
    for (int i = 0; i < 2500; ++i) {
      if (!(*w)->write(d).ok()) _exit(2);
    }
    // Two shards are complete, the third is half-written: signal, then wait to be killed.
    (void)!write(fds[1], "k", 1);
    for (;;) pause();
  }
  char c;
  ASSERT_EQ(read(fds[0], &c, 1), 1);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  close(fds[0]);
  close(fds[1]);
  auto files = expand_inputs({t.path()});
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 2u);
  for (const auto& f : *files) EXPECT_EQ(f.find(".tmp-"), std::string::npos);
  // Every shard under a final name is complete: it reads to the end without error.
  auto r = read_all_docs(*files);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_GT(r.docs.size(), 2000u);
  EXPECT_LT(r.docs.size(), 2500u);
  size_t temps = 0;
  for (const auto& e : std::filesystem::directory_iterator(t.path())) {
    temps += e.path().string().find(".tmp-") != std::string::npos;
  }
  EXPECT_EQ(temps, 1u) << "the interrupted shard stays under its temporary name";
}

}  // namespace
}  // namespace lm::io
