// reader_test.cc: DocumentReader over JSONL (plain, multi-member gzip, multi-frame zstd), plain
// text (whole / blank-line / line splits), input expansion, and every bad input of issue 2:
// malformed JSON (file:line, --on-error skip counted), missing text field, invalid UTF-8
// (repair / skip / fail, counted), truncated or corrupt .zst/.gz, empty file, missing path.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "io_test_util.h"

namespace lm::io {
namespace {

using testing::read_all_docs;
using testing::TempDir;

const char* kTwoDocs =
    "{\"id\":\"a\",\"text\":\"hello \\\"world\\\"\\n\",\"source\":\"s\",\"lang\":\"en\","
    "\"meta\":{\"k\":[1,2]},\"n\":3}\n"
    "\n"
    "{\"text\":\"\\u00e9t\\u00e9 \xe4\xb8\xad\",\"id\":7}\n";

void expect_two_docs(const testing::ReadAll& r, const std::string& second_id) {
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  ASSERT_EQ(r.docs.size(), 2u);
  EXPECT_EQ(r.docs[0].id, "a");
  EXPECT_EQ(r.docs[0].text, "hello \"world\"\n");
  EXPECT_EQ(r.docs[0].source, "s");
  EXPECT_EQ(r.docs[0].lang, "en");
  EXPECT_EQ(nlohmann::json::parse(r.docs[0].extra_json),
            nlohmann::json::parse(R"({"meta":{"k":[1,2]},"n":3})"));
  EXPECT_EQ(r.docs[1].id, second_id);
  EXPECT_EQ(r.docs[1].text, "\xC3\xA9t\xC3\xA9 \xe4\xb8\xad");
  EXPECT_TRUE(r.docs[1].extra_json.empty());
}

TEST(JsonlReader, PlainGzipZstdMultiMemberAndFrame) {
  TempDir t;
  testing::write_bytes(t.file("a.jsonl"), kTwoDocs);
  expect_two_docs(read_all_docs({t.file("a.jsonl")}), "7");
  std::string first(kTwoDocs, std::string(kTwoDocs).find('\n') + 1);
  std::string rest = std::string(kTwoDocs).substr(first.size());
  // Split mid-line too: a record may straddle a frame / member boundary.
  testing::write_zstd(t.file("b.jsonl.zst"), {first.substr(0, 10), first.substr(10), rest});
  expect_two_docs(read_all_docs({t.file("b.jsonl.zst")}), "7");
  testing::write_gzip(t.file("c.jsonl.gz"), {first.substr(0, 7), first.substr(7), rest});
  expect_two_docs(read_all_docs({t.file("c.jsonl.gz")}), "7");
  auto all = read_all_docs({t.path()});
  ASSERT_TRUE(all.status.ok());
  EXPECT_EQ(all.docs.size(), 6u);
  EXPECT_EQ(all.stats.files, 3u);
}

TEST(JsonlReader, LargeCompressedInputAcrossBufferBoundaries) {
  TempDir t;
  std::string data;
  for (int i = 0; i < 20000; ++i) {
    data += fmt::format("{{\"id\":\"d{}\",\"text\":\"{}\"}}\n", i, std::string(i % 300, 'x'));
  }
  std::vector<std::string> parts;
  for (size_t p = 0; p < data.size(); p += 777777) parts.push_back(data.substr(p, 777777));
  testing::write_zstd(t.file("big.jsonl.zst"), parts);
  testing::write_gzip(t.file("big.jsonl.gz"), parts);
  for (const char* name : {"big.jsonl.zst", "big.jsonl.gz"}) {
    auto r = read_all_docs({t.file(name)});
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    ASSERT_EQ(r.docs.size(), 20000u);
    EXPECT_EQ(r.docs[12345].id, "d12345");
    EXPECT_EQ(r.docs[12345].text.size(), 12345u % 300);
  }
}

TEST(JsonlReader, TextAndIdFields) {
  TempDir t;
  testing::write_bytes(
      t.file("n.jsonl"),
      "{\"doc_id\":\"x1\",\"body\":{\"content\":\"nested\"},\"id\":\"dropped\"}\n");
  ReaderOptions o;
  o.text_field = "body.content";
  o.id_field = "doc_id";
  auto r = read_all_docs({t.file("n.jsonl")}, o);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  ASSERT_EQ(r.docs.size(), 1u);
  EXPECT_EQ(r.docs[0].id, "x1");
  EXPECT_EQ(r.docs[0].text, "nested");
  // A UTF-8 byte order mark at the start of the file is ignored.
  testing::write_bytes(t.file("bom.jsonl"), "\xEF\xBB\xBF{\"text\":\"b\"}\n");
  auto bom = read_all_docs({t.file("bom.jsonl")});
  ASSERT_TRUE(bom.status.ok()) << bom.status.to_string();
  EXPECT_EQ(bom.docs.size(), 1u);
  // Without an id member the id names file and line.
  testing::write_bytes(t.file("noid.jsonl"), "\n{\"text\":\"t\"}\n");
  auto r2 = read_all_docs({t.file("noid.jsonl")});
  ASSERT_EQ(r2.docs.size(), 1u);
  EXPECT_EQ(r2.docs[0].id, t.file("noid.jsonl") + ":2");
}

TEST(BadInput, MalformedJsonNamesFileAndLineAndSkipIsCounted) {
  TempDir t;
  testing::write_bytes(t.file("m.jsonl"),
                       "{\"text\":\"ok\"}\n{\"text\": oops}\n[1,2]\n"
                       "{\"text\":\"ok2\"}\n{\"text\":\"unterminated\n");
  auto r = read_all_docs({t.file("m.jsonl")});
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.code(), Code::kInvalidArgument);
  EXPECT_NE(r.status.message().find(t.file("m.jsonl") + ":2:"), std::string::npos)
      << r.status.message();
  EXPECT_NE(r.status.hint().find("--on-error skip"), std::string::npos);
  EXPECT_EQ(r.docs.size(), 1u);
  ReaderOptions o;
  o.on_error = OnError::kSkip;
  auto s = read_all_docs({t.file("m.jsonl")}, o);
  ASSERT_TRUE(s.status.ok()) << s.status.to_string();
  ASSERT_EQ(s.docs.size(), 2u);
  EXPECT_EQ(s.docs[1].text, "ok2");
  EXPECT_EQ(s.stats.skipped_records, 3u);
}

TEST(BadInput, MissingOrNonStringTextField) {
  TempDir t;
  testing::write_bytes(t.file("f.jsonl"), "{\"id\":\"1\",\"content\":\"x\"}\n{\"text\":5}\n");
  auto r = read_all_docs({t.file("f.jsonl")});
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find(":1: no \"text\" member"), std::string::npos)
      << r.status.message();
  EXPECT_NE(r.status.hint().find("--text-field"), std::string::npos);
  ReaderOptions o;
  o.on_error = OnError::kSkip;
  auto s = read_all_docs({t.file("f.jsonl")}, o);
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(s.docs.size(), 0u);
  EXPECT_EQ(s.stats.skipped_records, 2u);
  o.text_field = "content";
  auto c = read_all_docs({t.file("f.jsonl")}, o);
  ASSERT_EQ(c.docs.size(), 1u);
  EXPECT_EQ(c.docs[0].text, "x");
}

TEST(BadInput, InvalidUtf8RepairSkipFail) {
  TempDir t;
  testing::write_bytes(t.file("u.jsonl"),
                       "{\"text\":\"good\"}\n{\"text\":\"bad \xFF\xFE end\"}\n{\"text\":\"ok\"}\n");
  testing::write_bytes(t.file("u.txt"), "para \xC3\n\nfine\n");
  ReaderOptions o;  // repair is the default
  auto r = read_all_docs({t.file("u.jsonl")}, o);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  ASSERT_EQ(r.docs.size(), 3u);
  EXPECT_EQ(r.docs[1].text, "bad \uFFFD\uFFFD end");
  EXPECT_EQ(r.stats.repaired_utf8, 1u);
  o.invalid_utf8 = InvalidUtf8::kSkip;
  auto s = read_all_docs({t.file("u.jsonl")}, o);
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(s.docs.size(), 2u);
  EXPECT_EQ(s.stats.skipped_utf8, 1u);
  o.invalid_utf8 = InvalidUtf8::kFail;
  auto f = read_all_docs({t.file("u.jsonl")}, o);
  ASSERT_FALSE(f.status.ok());
  EXPECT_NE(f.status.message().find("u.jsonl:2: invalid UTF-8"), std::string::npos);
  // Plain text follows the same policy.
  o.invalid_utf8 = InvalidUtf8::kRepair;
  o.text_split = TextSplit::kBlankLines;
  auto tx = read_all_docs({t.file("u.txt")}, o);
  ASSERT_EQ(tx.docs.size(), 2u);
  EXPECT_EQ(tx.docs[0].text, "para \uFFFD");
  EXPECT_EQ(tx.stats.repaired_utf8, 1u);
}

// InvalidUtf8::kKeep: plain text keeps its bytes; JSONL keeps the raw bytes inside the text
// string (other members get U+FFFD, extra_json stays valid JSON); a line that already holds
// the private-use code points the escape uses falls back to repair.
TEST(BadInput, InvalidUtf8Keep) {
  TempDir t;
  testing::write_bytes(t.file("k.txt"), "para \xC3\n\nfine \xE2\x82\xAC \xF0\x9F\n");
  testing::write_bytes(t.file("k.jsonl"),
                       "{\"text\":\"bad \xFF\xFE end \xE2\x82 \\n\xC3\xA9 \xEF\xBF\xBD\","
                       "\"id\":\"i\xC3\",\"m\":\"x\xFF\"}\n{\"text\":\"ok\"}\n"
                       "{\"text\":\"\xF4\x8F\xBF\xBF \xFF\"}\n");
  ReaderOptions o;
  o.invalid_utf8 = InvalidUtf8::kKeep;
  o.text_split = TextSplit::kBlankLines;
  auto tx = read_all_docs({t.file("k.txt")}, o);
  ASSERT_TRUE(tx.status.ok()) << tx.status.to_string();
  ASSERT_EQ(tx.docs.size(), 2u);
  EXPECT_EQ(tx.docs[0].text, "para \xC3");
  EXPECT_EQ(tx.docs[1].text.rfind("fine \xE2\x82\xAC \xF0\x9F", 0), 0u);
  EXPECT_EQ(tx.stats.kept_utf8, 2u);
  EXPECT_EQ(tx.stats.repaired_utf8, 0u);
  auto j = read_all_docs({t.file("k.jsonl")}, o);
  ASSERT_TRUE(j.status.ok()) << j.status.to_string();
  ASSERT_EQ(j.docs.size(), 3u);
  EXPECT_EQ(j.docs[0].text, "bad \xFF\xFE end \xE2\x82 \n\xC3\xA9 \xEF\xBF\xBD");
  EXPECT_EQ(j.docs[0].id, "i\uFFFD");
  EXPECT_EQ(nlohmann::json::parse(j.docs[0].extra_json)["m"], "x\uFFFD");
  EXPECT_EQ(j.docs[1].text, "ok");
  EXPECT_EQ(j.docs[2].text, "\xF4\x8F\xBF\xBF \uFFFD");  // U+10FFFF present: repaired
  EXPECT_EQ(j.stats.kept_utf8, 1u);
  EXPECT_EQ(j.stats.repaired_utf8, 1u);
}

TEST(BadInput, TruncatedAndCorruptCompressedFiles) {
  TempDir t;
  std::string data;
  for (int i = 0; i < 5000; ++i) data += fmt::format("{{\"text\":\"document number {}\"}}\n", i);
  std::string z = testing::zstd_frame(data);
  testing::write_bytes(t.file("t.jsonl.zst"), z.substr(0, z.size() / 2));
  std::string bad = z;
  bad[bad.size() / 2] ^= 0x55;
  bad[bad.size() / 2 + 1] ^= 0x55;
  testing::write_bytes(t.file("c.jsonl.zst"), bad);
  testing::write_gzip(t.file("full.jsonl.gz"), {data});
  std::string g = testing::read_bytes(t.file("full.jsonl.gz"));
  testing::write_bytes(t.file("t.jsonl.gz"), g.substr(0, g.size() / 2));
  std::string gbad = g;
  gbad[gbad.size() / 2] ^= 0x55;
  testing::write_bytes(t.file("c.jsonl.gz"), gbad);
  for (const char* name : {"t.jsonl.zst", "c.jsonl.zst", "t.jsonl.gz", "c.jsonl.gz"}) {
    auto r = read_all_docs({t.file(name)});
    ASSERT_FALSE(r.status.ok()) << name;
    EXPECT_EQ(r.status.code(), Code::kCorrupt) << name << ": " << r.status.to_string();
    EXPECT_NE(r.status.message().find(t.file(name)), std::string::npos);
    EXPECT_FALSE(r.status.hint().empty());
  }
}

TEST(BadInput, EmptyFilesGiveNoDocuments) {
  TempDir t;
  testing::write_bytes(t.file("e.jsonl"), "");
  testing::write_bytes(t.file("e.txt"), "");
  testing::write_zstd(t.file("e.jsonl.zst"), {""});
  testing::write_gzip(t.file("e.jsonl.gz"), {""});
  auto r = read_all_docs({t.path()});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.docs.size(), 0u);
  EXPECT_EQ(r.stats.files, 4u);
}

TEST(BadInput, NonexistentPathAndEmptyGlob) {
  TempDir t;
  auto r = read_all_docs({t.file("missing.jsonl")});
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.code(), Code::kNotFound);
  EXPECT_NE(r.status.message().find("missing.jsonl"), std::string::npos);
  auto g = read_all_docs({t.file("*.nothing")});
  EXPECT_EQ(g.status.code(), Code::kNotFound);
}

TEST(ExpandInputs, DirectoriesAndGlobsInSortedOrder) {
  TempDir t;
  std::filesystem::create_directories(t.file("d/sub"));
  for (const char* f : {"d/b.jsonl", "d/a.txt", "d/sub/c.jsonl.zst", "d/manifest.json",
                        "d/.hidden.jsonl", "d/x.jsonl.zst.tmp-123", "d/z.jsonl"}) {
    testing::write_bytes(t.file(f), "");
  }
  auto files = expand_inputs({t.file("d")});
  ASSERT_TRUE(files.ok());
  std::vector<std::string> want = {t.file("d/a.txt"), t.file("d/b.jsonl"),
                                   t.file("d/sub/c.jsonl.zst"), t.file("d/z.jsonl")};
  EXPECT_EQ(*files, want);
  auto globbed = expand_inputs({t.file("d/*.jsonl")});
  ASSERT_TRUE(globbed.ok());
  EXPECT_EQ(*globbed, (std::vector<std::string>{t.file("d/b.jsonl"), t.file("d/z.jsonl")}));
  // An explicit file is read whatever its name.
  auto expl = expand_inputs({t.file("d/manifest.json")});
  ASSERT_TRUE(expl.ok());
  EXPECT_EQ(expl->size(), 1u);
}

TEST(TextReader, WholeFileBlankLinesAndLines) {
  TempDir t;
  testing::write_bytes(t.file("p.txt"), "first para\r\nline two\n\n  \n\nsecond\n\nthird\nend");
  ReaderOptions o;
  auto whole = read_all_docs({t.file("p.txt")}, o);
  ASSERT_EQ(whole.docs.size(), 1u);
  EXPECT_EQ(whole.docs[0].id, t.file("p.txt"));
  EXPECT_EQ(whole.docs[0].text, "first para\r\nline two\n\n  \n\nsecond\n\nthird\nend");
  o.text_split = TextSplit::kBlankLines;
  auto blank = read_all_docs({t.file("p.txt")}, o);
  ASSERT_EQ(blank.docs.size(), 3u);
  EXPECT_EQ(blank.docs[0].text, "first para\nline two");
  EXPECT_EQ(blank.docs[1].id, t.file("p.txt") + ":6");
  EXPECT_EQ(blank.docs[2].text, "third\nend");
  o.text_split = TextSplit::kLines;
  auto lines = read_all_docs({t.file("p.txt")}, o);
  ASSERT_EQ(lines.docs.size(), 5u);
  EXPECT_EQ(lines.docs[4].text, "end");
  testing::write_zstd(t.file("p.txt.zst"), {"compressed\n\ntext"});
  auto z = read_all_docs({t.file("p.txt.zst")}, o);
  ASSERT_EQ(z.docs.size(), 2u);
}

}  // namespace
}  // namespace lm::io
