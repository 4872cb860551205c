// sqlite_test.cc: the SQLite reader (query columns by name, default id/text positions, extra
// columns kept, NULL text as a malformed record) and a failing query (error names the file and
// the SQLite message), also through the CLI's --sqlite/--query options.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "io_test_util.h"

namespace lm::io {
namespace {

using testing::read_all_docs;
using testing::TempDir;

std::string make_db(const TempDir& t, const char* name) {
  std::string path = t.file(name);
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* sql =
      "CREATE TABLE docs(doc_id TEXT, body TEXT, lang TEXT, score REAL);"
      "INSERT INTO docs VALUES('d1','first text','en',0.5);"
      "INSERT INTO docs VALUES('d2','zweiter Text','de',NULL);"
      "INSERT INTO docs VALUES('d3',NULL,'en',1.0);";
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  return path;
}

TEST(SqliteReader, ReadsQueryColumns) {
  TempDir t;
  std::string db = make_db(t, "c.sqlite");
  ReaderOptions o;
  o.sqlite_query =
      "SELECT doc_id AS id, body AS text, lang, score FROM docs WHERE body IS NOT NULL";
  auto r = read_all_docs({db}, o);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  ASSERT_EQ(r.docs.size(), 2u);
  EXPECT_EQ(r.docs[0].id, "d1");
  EXPECT_EQ(r.docs[0].text, "first text");
  EXPECT_EQ(r.docs[1].lang, "de");
  EXPECT_EQ(nlohmann::json::parse(r.docs[0].extra_json)["score"], 0.5);
  // Two unnamed columns: id then text. The NULL text is a malformed record.
  o.sqlite_query = "SELECT doc_id, body FROM docs";
  auto f = read_all_docs({db}, o);
  ASSERT_FALSE(f.status.ok());
  EXPECT_NE(f.status.message().find("row 3"), std::string::npos) << f.status.message();
  o.on_error = OnError::kSkip;
  auto s = read_all_docs({db}, o);
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(s.docs.size(), 2u);
  EXPECT_EQ(s.docs[1].id, "d2");
  EXPECT_EQ(s.stats.skipped_records, 1u);
}

TEST(BadInput, FailingSqliteQuery) {
  TempDir t;
  std::string db = make_db(t, "f.db");
  ReaderOptions o;
  o.sqlite_query = "SELECT id, text FROM no_such_table";
  auto r = read_all_docs({db}, o);
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find(db), std::string::npos);
  EXPECT_NE(r.status.message().find("no such table"), std::string::npos) << r.status.message();
  o.sqlite_query.clear();
  auto q = read_all_docs({db}, o);
  ASSERT_FALSE(q.status.ok());
  EXPECT_NE(q.status.hint().find("--query"), std::string::npos);
  // Through the CLI: a clear error and exit code 1, no crash.
  std::string cmd =
      fmt::format("{} corpus stats --sqlite {} --query 'SELEC nonsense' 2>&1", LMFORGE_BINARY, db);
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, got);
  int rc = pclose(p);
  EXPECT_EQ(WEXITSTATUS(rc), 1) << out;
  EXPECT_NE(out.find("SQLite query failed"), std::string::npos) << out;
  cmd = fmt::format(
      "{} corpus stats --json --sqlite {} --query 'SELECT doc_id, body FROM docs' "
      "--on-error skip",
      LMFORGE_BINARY, db);
  p = popen(cmd.c_str(), "r");
  out.clear();
  while ((got = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, got);
  ASSERT_EQ(pclose(p), 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["documents"], 2);
  EXPECT_EQ(j["skipped_records"], 1);
}

}  // namespace
}  // namespace lm::io
