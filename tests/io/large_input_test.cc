// large_input_test.cc: a 200 MB single-line JSON record (read whole; over --max-document-bytes
// it is a clear error naming file:line, or skipped and counted), and bounded memory: the CLI
// reads a generated JSONL.zst far larger than the memory cap set here (VmHWM of that process).
// Generated files live in a temporary folder that is removed afterwards.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "io_test_util.h"

namespace lm::io {
namespace {

using testing::TempDir;

constexpr size_t kLineText = 200'000'000;

TEST(BadInput, TwoHundredMegabyteSingleLine) {
  TempDir t;
  std::string path = t.file("big.jsonl");
  std::string chunk;
  for (int i = 0; chunk.size() < (1 << 20); ++i) chunk += fmt::format("word{} ", i % 9973);
  chunk.resize(1 << 20);
  uint64_t expect_hash = 0;
  {
    std::ofstream f(path, std::ios::binary);
    f << "{\"id\":\"big\",\"text\":\"";
    std::string all;  // hash of the text as written
    for (size_t done = 0; done < kLineText; done += chunk.size()) {
      size_t n = std::min(chunk.size(), kLineText - done);
      f.write(chunk.data(), static_cast<std::streamsize>(n));
      expect_hash = hash64(std::string_view(chunk.data(), n), expect_hash);
    }
    f << "\"}\n{\"id\":\"small\",\"text\":\"after\"}\n";
  }
  {
    auto r = DocumentReader::open({path});
    ASSERT_TRUE(r.ok());
    Document d;
    auto more = (*r)->next(&d);
    ASSERT_TRUE(more.ok()) << more.status().to_string();
    ASSERT_TRUE(*more);
    ASSERT_EQ(d.text.size(), kLineText);
    uint64_t h = 0;
    for (size_t done = 0; done < kLineText; done += chunk.size()) {
      h = hash64(std::string_view(d.text).substr(done, std::min(chunk.size(), kLineText - done)),
                 h);
    }
    EXPECT_EQ(h, expect_hash);
    ASSERT_TRUE(*(*r)->next(&d));
    EXPECT_EQ(d.id, "small");
  }
}

// The same limits on a smaller line (keeps the suite fast on a shared machine).
TEST(BadInput, LineOverMaxDocumentBytesIsAnErrorOrSkipped) {
  TempDir t;
  std::string path = t.file("long.jsonl");
  testing::write_bytes(path, "{\"text\":\"short\"}\n{\"text\":\"" + std::string(3 << 20, 'q') +
                                 "\"}\n{\"text\":\"" + std::string("tail") + "\"}\n");
  ReaderOptions o;
  o.max_document_bytes = 1 << 20;
  auto fail = testing::read_all_docs({path}, o);
  ASSERT_FALSE(fail.status.ok());
  EXPECT_NE(fail.status.message().find(path + ":2:"), std::string::npos) << fail.status.message();
  EXPECT_NE(fail.status.message().find("longer than"), std::string::npos);
  o.on_error = OnError::kSkip;
  auto skip = testing::read_all_docs({path}, o);
  ASSERT_TRUE(skip.status.ok()) << skip.status.to_string();
  ASSERT_EQ(skip.docs.size(), 2u);
  EXPECT_EQ(skip.docs[1].text, "tail");
  EXPECT_EQ(skip.stats.skipped_records, 1u);
  // A line beyond twice the limit is not even parsed: an error naming file:line, or skipped.
  o.max_document_bytes = 1 << 19;
  auto dropped = testing::read_all_docs({path}, o);
  ASSERT_TRUE(dropped.status.ok()) << dropped.status.to_string();
  ASSERT_EQ(dropped.docs.size(), 2u);
  EXPECT_EQ(dropped.docs[1].text, "tail");
  EXPECT_EQ(dropped.docs[1].id, path + ":3");
  EXPECT_EQ(dropped.stats.skipped_records, 1u);
  o.on_error = OnError::kFail;
  auto huge = testing::read_all_docs({path}, o);
  ASSERT_FALSE(huge.status.ok());
  EXPECT_NE(huge.status.message().find(path + ":2: line longer than"), std::string::npos)
      << huge.status.message();
}

// Writes `total` bytes of distinct JSON lines as one zstd stream (level 1); returns the lines.
uint64_t write_generated_zst(const std::string& path, uint64_t total) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
  std::ofstream f(path, std::ios::binary);
  std::string batch, out(ZSTD_CStreamOutSize(), '\0');
  std::string filler(3000, 'z');
  uint64_t written = 0, lines = 0;
  while (written < total) {
    batch.clear();
    while (batch.size() < (4 << 20)) {
      batch += fmt::format("{{\"id\":\"g{}\",\"text\":\"line {} {}\",\"lang\":\"en\"}}\n", lines,
                           lines * 2654435761u, filler);
      ++lines;
    }
    written += batch.size();
    ZSTD_inBuffer in{batch.data(), batch.size(), 0};
    bool last = written >= total;
    for (;;) {
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      size_t rc = ZSTD_compressStream2(cctx, &o, &in, last ? ZSTD_e_end : ZSTD_e_continue);
      f.write(out.data(), static_cast<std::streamsize>(o.pos));
      if (last ? rc == 0 : in.pos == in.size) break;
    }
  }
  ZSTD_freeCCtx(cctx);
  return lines;
}

TEST(Streaming, MemoryStaysBoundedOnInputLargerThanTheCap) {
  constexpr uint64_t kInput = 400ULL << 20;    // 400 MiB of JSON once decompressed
  constexpr uint64_t kCapBytes = 96ULL << 20;  // peak RSS allowed for the reading process
  TempDir t;
  std::string path = t.file("gen.jsonl.zst");
  uint64_t lines = write_generated_zst(path, kInput);
  std::string out_path = t.file("stats.json");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Under AddressSanitizer (make debug) freed blocks sit in a 256 MB quarantine; keep it small
    // so the figure measures the reader, not the sanitizer.
    const char* asan = getenv("ASAN_OPTIONS");
    std::string opts = std::string(asan ? asan : "") + (asan ? ":" : "") + "quarantine_size_mb=1";
    setenv("ASAN_OPTIONS", opts.c_str(), 1);
    FILE* o = freopen(out_path.c_str(), "w", stdout);
    (void)o;
    execl(LMFORGE_BINARY, LMFORGE_BINARY, "--no-progress", "corpus", "stats", "--json",
          path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto j = nlohmann::json::parse(testing::read_bytes(out_path));
  EXPECT_EQ(j["documents"], lines);
  // VmHWM of the lmforge process image itself (ru_maxrss would include this forked parent).
  uint64_t peak = j["peak_rss_bytes"];
  EXPECT_GT(peak, 0u);
  EXPECT_LT(peak, kCapBytes) << "peak RSS " << (peak >> 20) << " MiB reading " << (kInput >> 20)
                             << " MiB";
}

}  // namespace
}  // namespace lm::io
