// dataset_test_util.h: helpers shared by the dataset tests: a fresh temporary folder, small
// synthetic corpora (JSONL), documents written as a pack's JSONL input and the pack options
// of the tests, a synthetic Megatron prefix with meta.json, and running a command.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "core/rng.h"
#include "dataset/indexed.h"
#include "dataset/meta.h"
#include "dataset/packer.h"
#include "io/document.h"

namespace lm::dataset::testing {

inline std::string temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() /
           ("lmforge_dataset_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

// Writes docs to DIR/docs.jsonl (the input of a pack); returns the path.
inline std::string write_jsonl(const std::string& dir, const std::vector<io::Document>& docs) {
  const std::string path = dir + "/docs.jsonl";
  std::ofstream f(path, std::ios::binary);
  for (const auto& d : docs) f << io::document_to_json(d) << "\n";
  return path;
}

// The pack of the tests: all three formats, val fraction 0.2, small llm.c shards, 3 threads.
inline PackOptions pack_options(const std::string& in, const std::string& out) {
  PackOptions o;
  o.inputs = {in};
  o.out = out;
  o.formats = {Format::kMegatron, Format::kLlmc, Format::kNanogpt};
  o.val_fraction = 0.2;
  o.shard_tokens = 5000;
  o.threads = 3;
  return o;
}

// Documents of random lengths in [min_len, max_len] and random ids below vocab - 1 (vocab - 1 is
// the EOT, appended to each document as pack does).
inline std::vector<std::vector<uint32_t>> random_docs(int n, int min_len, int max_len,
                                                      uint32_t vocab, uint64_t seed) {
  Rng rng(seed);
  std::vector<std::vector<uint32_t>> docs(n);
  for (auto& d : docs) {
    const int len = min_len + int(rng.below(uint64_t(max_len - min_len + 1)));
    for (int i = 0; i < len; ++i) d.push_back(uint32_t(rng.below(vocab - 1)));
    d.push_back(vocab - 1);
  }
  return docs;
}

// Writes docs as a Megatron prefix plus meta.json (vocab, eot = vocab - 1).
inline void write_prefix(const std::string& prefix, const std::vector<std::vector<uint32_t>>& docs,
                         uint32_t vocab) {
  IndexedWriter w;
  ASSERT_TRUE(w.open(prefix, megatron_dtype_for_vocab(vocab), nullptr).ok());
  uint64_t tokens = 0;
  for (const auto& d : docs) {
    ASSERT_TRUE(w.add_document(d).ok());
    tokens += d.size();
  }
  ASSERT_TRUE(w.finish().ok());
  PackMeta m;
  m.tokenizer = "synthetic";
  m.vocab_size = vocab;
  m.eot_id = vocab - 1;
  m.train_documents = docs.size();
  m.train_tokens = tokens;
  m.formats["megatron"] = {{"dtype", dtype_name(megatron_dtype_for_vocab(vocab))},
                           {"eot", "appended"},
                           {"train", {{"documents", docs.size()}, {"tokens", tokens}}}};
  ASSERT_TRUE(write_meta(prefix, m).ok());
}

// Runs a shell command; returns its exit status and stdout (stderr goes to *err when given).
inline int run_command(const std::string& cmd, std::string* out, std::string* err = nullptr) {
  const std::string errfile = std::filesystem::temp_directory_path() /
                              ("lmforge_dataset_err_" + std::to_string(::getpid()));
  FILE* p = ::popen((cmd + " 2>" + errfile).c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  out->clear();
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  const int rc = ::pclose(p);
  if (err) {
    auto e = read_file(errfile);
    *err = e.ok() ? *e : "";
  }
  std::remove(errfile.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace lm::dataset::testing
