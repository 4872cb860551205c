// io_test_util.h: helpers for the io tests: a temporary folder removed at the end, writing plain,
// gzip (one or several members) and zstd (one or several frames) files, and reading every
// document of a path with given options.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/document.h"

namespace lm::io::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "lmforge-io-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void write_bytes(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// A zstd frame with a content checksum (as ShardWriter writes them).
inline std::string zstd_frame(const std::string& data, int level = 3) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  size_t n = ZSTD_compress2(cctx, out.data(), out.size(), data.data(), data.size());
  ZSTD_freeCCtx(cctx);
  out.resize(n);
  return out;
}

// One zstd frame per part, concatenated.
inline void write_zstd(const std::string& path, const std::vector<std::string>& parts) {
  std::string all;
  for (const auto& p : parts) all += zstd_frame(p);
  write_bytes(path, all);
}

// One gzip member per part, concatenated.
inline void write_gzip(const std::string& path, const std::vector<std::string>& parts) {
  std::string all;
  for (const auto& p : parts) {
    std::string tmp = path + ".member";
    gzFile g = gzopen(tmp.c_str(), "wb");
    gzwrite(g, p.data(), static_cast<unsigned>(p.size()));
    gzclose(g);
    std::ifstream f(tmp, std::ios::binary);
    all += std::string(std::istreambuf_iterator<char>(f), {});
    std::filesystem::remove(tmp);
  }
  write_bytes(path, all);
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

struct ReadAll {
  Status status;
  std::vector<Document> docs;
  ReaderStats stats;
};

inline ReadAll read_all_docs(const std::vector<std::string>& inputs,
                             const ReaderOptions& options = {}) {
  ReadAll r;
  auto reader = DocumentReader::open(inputs, options);
  if (!reader.ok()) {
    r.status = reader.status();
    return r;
  }
  Document doc;
  for (;;) {
    auto more = (*reader)->next(&doc);
    if (!more.ok()) {
      r.status = more.status();
      break;
    }
    if (!*more) break;
    r.docs.push_back(doc);
  }
  r.stats = (*reader)->stats();
  return r;
}

}  // namespace lm::io::testing
