// meta.cc: PREFIX.meta.json serialisation.
#include "dataset/meta.h"

#include <algorithm>
#include <cstdlib>

#include "core/file_util.h"
#include "dataset/formats.h"

namespace lm::dataset {
namespace {

// j[key] when it is an object, else an empty object (a malformed file reads as missing members).
nlohmann::json member(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : nlohmann::json::object();
}

uint64_t count(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

}  // namespace

nlohmann::json PackMeta::to_json() const {
  nlohmann::json j = {
      {"lmforge_pack_version", 1},
      {"tokenizer",
       {{"path", tokenizer},
        {"hash", fmt::format("{:016x}", tokenizer_hash)},
        {"vocab_size", vocab_size},
        {"eot_id", eot_id}}},
      {"split",
       {{"rule", "val when xxh3_64(id) / 2^64 < val_fraction"}, {"val_fraction", val_fraction}}},
      {"train", {{"documents", train_documents}, {"tokens", train_tokens}}},
      {"val", {{"documents", val_documents}, {"tokens", val_tokens}}},
      {"formats", formats}};
  if (!source_weights.empty()) {
    j["source_weights"] = source_weights;
    j["weighting"] = {
        {"rule",
         "train copies = floor(W) + (xxh3_64(id, seed 0xc0b1e5) / 2^64 < W - floor(W)), W = 1 "
         "for sources not named; copy k written in pass k over the input; val documents once"},
        {"passes", passes}};
    j["train"]["sources"] = source_counts_json(train_sources);
  }
  return j;
}

nlohmann::json source_counts_json(const std::map<std::string, SourceCount>& counts) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, c] : counts) j[name] = {{"documents", c.documents}, {"tokens", c.tokens}};
  return j;
}

std::map<std::string, SourceCount> parse_source_counts(const nlohmann::json& j) {
  std::map<std::string, SourceCount> counts;
  if (!j.is_object()) return counts;
  for (const auto& [name, c] : j.items())
    counts[name] = {count(c, "documents"), count(c, "tokens")};
  return counts;
}

Status write_meta(const std::string& prefix, const PackMeta& meta) {
  return write_file_atomic(meta_path(prefix), meta.to_json().dump(2) + "\n");
}

Result<PackMeta> read_meta(const std::string& prefix) {
  const std::string path = meta_path(prefix);
  auto text = read_file(path);
  if (!text.ok()) {
    return text.status().with_hint("PREFIX must be the --out of a finished `lmforge pack`");
  }
  auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return corrupt("{}: not valid JSON", path);
  PackMeta m;
  const nlohmann::json t = member(j, "tokenizer");
  if (!t.contains("vocab_size") || !t["vocab_size"].is_number_unsigned() || !t.contains("eot_id") ||
      !t["eot_id"].is_number_unsigned()) {
    return corrupt("{}: missing tokenizer.vocab_size or tokenizer.eot_id", path)
        .with_hint("re-create it with `lmforge pack`");
  }
  m.tokenizer = t.contains("path") && t["path"].is_string() ? t["path"].get<std::string>() : "";
  m.vocab_size = t["vocab_size"].get<uint64_t>();
  m.eot_id = t["eot_id"].get<uint32_t>();
  if (t.contains("hash") && t["hash"].is_string()) {
    m.tokenizer_hash = std::strtoull(t["hash"].get<std::string>().c_str(), nullptr, 16);
  }
  const nlohmann::json split = member(j, "split");
  if (split.contains("val_fraction") && split["val_fraction"].is_number()) {
    m.val_fraction = split["val_fraction"].get<double>();
  }
  const nlohmann::json tr = member(j, "train"), va = member(j, "val");
  m.train_documents = count(tr, "documents");
  m.train_tokens = count(tr, "tokens");
  m.val_documents = count(va, "documents");
  m.val_tokens = count(va, "tokens");
  m.formats = member(j, "formats");
  const nlohmann::json weights = member(j, "source_weights");
  for (const auto& [name, w] : weights.items()) {
    if (w.is_number()) m.source_weights[name] = w.get<double>();
  }
  m.passes = std::max(1, int(count(member(j, "weighting"), "passes")));
  m.train_sources = parse_source_counts(member(tr, "sources"));
  return m;
}

}  // namespace lm::dataset
