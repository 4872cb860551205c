// sample_corpus.cc: builds the sample corpus into DIR: shards first (each atomic), then
// manifest.json last, so a folder with a manifest of the current version whose shards all exist
// with their recorded sizes is complete and is reused without rebuilding. The manifest is removed
// before a rebuild starts, so an interrupted rebuild never looks complete.
#include "io/sample_corpus.h"

#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/log.h"
#include "core/progress.h"
#include "io/document.h"
#include "io/sample_sources.h"

namespace lm::io {
namespace {

uint64_t file_size_or_max(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : UINT64_MAX;
}

// The corpus already in `dir`, when its manifest is current and its shards are intact.
bool load_complete(const std::string& dir, SampleResult* result) {
  std::string path = dir + "/manifest.json";
  auto text = read_file(path);
  if (!text.ok()) return false;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || j.value("version", "") != kSampleVersion || !j.contains("shards")) {
    return false;
  }
  for (const auto& s : j["shards"]) {
    if (!s.is_object() ||
        file_size_or_max(dir + "/" + s.value("file", "")) != s.value("bytes", uint64_t{0})) {
      return false;
    }
  }
  result->reused = true;
  result->documents = j.value("documents", uint64_t{0});
  result->bytes = j.value("text_bytes", uint64_t{0});
  for (const auto& [k, v] : j["sources"].items()) {
    result->by_source_lang[k] = {v.value("documents", uint64_t{0}), v.value("bytes", uint64_t{0})};
  }
  result->manifest_path = path;
  return true;
}

Status write_manifest(const std::string& dir, const ShardWriter& writer, SampleResult* r) {
  nlohmann::json j;
  j["version"] = kSampleVersion;
  j["documents"] = r->documents;
  j["text_bytes"] = r->bytes;
  j["format"] = "jsonl.zst {id, text, source, lang}";
  for (const auto& [k, v] : r->by_source_lang) {
    j["sources"][k] = {{"documents", v.documents}, {"bytes", v.bytes}};
  }
  j["shards"] = nlohmann::json::array();
  for (const auto& p : writer.shards()) {
    std::string name = std::filesystem::path(p).filename().string();
    j["shards"].push_back({{"file", name}, {"bytes", file_size_or_max(p)}});
  }
  r->manifest_path = dir + "/manifest.json";
  return write_file_atomic(r->manifest_path, j.dump(2) + "\n");
}

struct FortunePackage {
  const char* package;
  const char* lang;
  const char* legacy;  // encoding of files that are not UTF-8
};
constexpr FortunePackage kFortunes[] = {
    {"fortunes", "en", "windows-1252"},    {"fortunes-min", "en", "windows-1252"},
    {"fortunes-de", "de", "windows-1252"}, {"fortunes-es", "es", "windows-1252"},
    {"fortunes-it", "it", "windows-1252"}, {"fortunes-ru", "ru", "KOI8-R"},
    {"fortunes-zh", "zh", "GB18030"},
};

}  // namespace

Result<SampleResult> build_sample_corpus(const SampleOptions& options) {
  SampleResult result;
  if (options.out_dir.empty())
    return Status(Code::kInvalidArgument, "no output folder", "pass --out DIR");
  if (!options.force && load_complete(options.out_dir, &result)) return result;
  LM_RETURN_IF_ERROR(make_dirs(options.out_dir));
  std::error_code ec;
  std::filesystem::remove(options.out_dir + "/manifest.json", ec);

  WriterOptions wo;
  wo.dir = options.out_dir;
  wo.prefix = "sample";
  wo.shard_bytes = options.shard_bytes;
  wo.zstd_level = 3;
  LM_ASSIGN_OR_RETURN(auto writer, ShardWriter::create(wo));
  Progress progress("sample corpus", 0, true);
  sample::DocSink sink = [&](Document& doc) -> Status {
    auto& s = result.by_source_lang[doc.source + "/" + doc.lang];
    ++s.documents;
    s.bytes += doc.text.size();
    ++result.documents;
    result.bytes += doc.text.size();
    progress.add(doc.text.size());
    return writer->write(doc);
  };
  const std::string& root = options.system_root;
  log_info("sample: King James Bible");
  LM_RETURN_IF_ERROR(sample::emit_kjv(root, sink));
  log_info("sample: GCIDE");
  LM_RETURN_IF_ERROR(sample::emit_gcide(root, sink));
  log_info("sample: Jargon File");
  LM_RETURN_IF_ERROR(sample::emit_jargon(root, sink));
  for (const auto& f : kFortunes) {
    log_info("sample: {}", f.package);
    LM_RETURN_IF_ERROR(sample::emit_fortunes(root, f.package, f.lang, f.legacy, sink));
  }
  LM_RETURN_IF_ERROR(writer->close());
  progress.finish();
  LM_RETURN_IF_ERROR(write_manifest(options.out_dir, *writer, &result));
  return result;
}

}  // namespace lm::io
