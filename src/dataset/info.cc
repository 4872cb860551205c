// info.cc: pack info (validation + statistics, the source weights and train tokens per source
// of a weighted pack) and the padding report.
#include "dataset/info.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/file_util.h"
#include "core/timer.h"
#include "dataset/formats.h"
#include "dataset/indexed.h"
#include "dataset/loader.h"
#include "dataset/meta.h"

namespace lm::dataset {
namespace {

nlohmann::json length_stats(const IndexedDataset& ds) {
  std::vector<uint32_t> len(ds.documents());
  uint64_t sum = 0;
  for (uint64_t d = 0; d < len.size(); ++d) sum += len[d] = uint32_t(ds.doc_length(d));
  if (len.empty()) return nlohmann::json::object();
  auto pct = [&](double q) {
    size_t k = std::min(len.size() - 1, size_t(q * double(len.size() - 1) + 0.5));
    std::nth_element(len.begin(), len.begin() + k, len.end());
    return len[k];
  };
  nlohmann::json j = {{"mean", double(sum) / double(len.size())}};
  for (auto [name, q] : {std::pair{"min", 0.0},
                         {"p10", 0.1},
                         {"p50", 0.5},
                         {"p90", 0.9},
                         {"p99", 0.99},
                         {"max", 1.0}}) {
    j[name] = pct(q);
  }
  return j;
}

// Scans a raw token file (nanoGPT export) for size and vocabulary.
Result<uint64_t> check_raw(const std::string& path, int item, uint64_t vocab) {
  LM_ASSIGN_OR_RETURN(MappedFile f, MappedFile::open(path));
  if (f.size() % item != 0) {
    return corrupt("{}: {} bytes is not a whole number of {}-byte tokens (truncated?)", path,
                   f.size(), item);
  }
  const uint64_t n = f.size() / item;
  for (uint64_t i = 0; i < n && vocab > 0; ++i) {
    uint32_t v = 0;
    std::memcpy(&v, f.data() + i * item, item);
    if (v >= vocab) {
      return corrupt("{}: token {} is id {}, outside the vocabulary ({} ids)", path, i, v, vocab);
    }
  }
  return n;
}

Result<nlohmann::json> megatron_split(const std::string& prefix, Split split, const PackMeta& m,
                                      bool verify) {
  LM_ASSIGN_OR_RETURN(IndexedDataset ds, IndexedDataset::open(megatron_prefix(prefix, split)));
  if (verify) {
    const int64_t bad = ds.find_out_of_vocab(0, ds.tokens(), int64_t(m.vocab_size));
    if (bad >= 0) {
      return corrupt("{}: token {} is id {}, outside the vocabulary of {} ids ({})", ds.bin_file(),
                     bad, ds.token(uint64_t(bad)), m.vocab_size, meta_path(prefix))
          .with_hint("the shards and the tokenizer do not match: re-run `lmforge pack`");
    }
  }
  return nlohmann::json{{"documents", ds.documents()},
                        {"tokens", ds.tokens()},
                        {"dtype", dtype_name(ds.dtype())},
                        {"files", nlohmann::json::array({ds.bin_file(), ds.idx_file()})},
                        {"length", length_stats(ds)}};
}

// Validates the export files listed in meta.json for one format and split.
Result<nlohmann::json> export_split(const std::string& name, const nlohmann::json& f,
                                    const PackMeta& m, bool verify) {
  uint64_t tokens = 0;
  auto files = f.value("files", nlohmann::json::array());
  for (const auto& p : files) {
    if (!p.is_string()) continue;
    const std::string path = p.get<std::string>();
    if (name == "llmc") {
      LM_ASSIGN_OR_RETURN(uint64_t n, check_llmc_shard(path, verify ? m.vocab_size : 0));
      tokens += n;
    } else {
      const int item = f.value("dtype", "uint16") == "uint16" ? 2 : 4;
      LM_ASSIGN_OR_RETURN(uint64_t n, check_raw(path, item, verify ? m.vocab_size : 0));
      tokens += n;
    }
  }
  return nlohmann::json{{"files", files},
                        {"tokens", tokens},
                        {"dtype", f.value("dtype", "")},
                        {"eot", f.value("eot", "")}};
}

}  // namespace

Result<uint64_t> check_llmc_shard(const std::string& path, uint64_t vocab_size) {
  LM_ASSIGN_OR_RETURN(MappedFile f, MappedFile::open(path));
  const char* hint = "re-create it with `lmforge pack --format llmc`";
  if (f.size() < kLlmcHeaderInts * 4) {
    return corrupt("{}: truncated llm.c shard ({} bytes; the header alone is 1024)", path, f.size())
        .with_hint(hint);
  }
  int32_t h[3];
  std::memcpy(h, f.data(), sizeof h);
  int item = 0;
  if (h[0] == kLlmcMagicU16 && h[1] == kLlmcVersionU16) item = 2;
  if (h[0] == kLlmcMagicU32 && h[1] == kLlmcVersionU32) item = 4;
  if (item == 0) {
    return corrupt("{}: not an llm.c shard (magic {} version {}; expected {} v{} or {} v{})", path,
                   h[0], h[1], kLlmcMagicU16, kLlmcVersionU16, kLlmcMagicU32, kLlmcVersionU32)
        .with_hint(hint);
  }
  const uint64_t need = 1024 + uint64_t(item) * uint64_t(std::max(h[2], 0));
  if (h[2] < 0 || f.size() != need) {
    return corrupt("{}: {} bytes, but its header says {} tokens ({} bytes): {}", path, f.size(),
                   h[2], need, f.size() < need ? "truncated" : "size does not match")
        .with_hint(hint);
  }
  for (uint64_t i = 0; vocab_size > 0 && i < uint64_t(h[2]); ++i) {
    uint32_t v = 0;
    std::memcpy(&v, f.data() + 1024 + i * item, item);
    if (v >= vocab_size) {
      return corrupt("{}: token {} is id {}, outside the vocabulary ({} ids)", path, i, v,
                     vocab_size)
          .with_hint(hint);
    }
  }
  return uint64_t(h[2]);
}

Result<nlohmann::json> pack_info(const std::string& prefix, bool verify) {
  LM_ASSIGN_OR_RETURN(PackMeta m, read_meta(prefix));
  nlohmann::json out = {
      {"prefix", prefix},   {"tokenizer", m.tokenizer},       {"vocab_size", m.vocab_size},
      {"eot_id", m.eot_id}, {"val_fraction", m.val_fraction}, {"verified", verify}};
  for (Split split : {Split::kTrain, Split::kVal}) {
    const char* sn = split_name(split);
    const uint64_t docs = split == Split::kTrain ? m.train_documents : m.val_documents;
    const uint64_t toks = split == Split::kTrain ? m.train_tokens : m.val_tokens;
    if (split == Split::kVal && m.val_fraction <= 0) continue;
    nlohmann::json s = {{"documents", docs}, {"tokens", toks}};
    for (auto& [name, f] : m.formats.items()) {
      if (!f.contains(sn)) continue;
      if (name == "megatron") {
        LM_ASSIGN_OR_RETURN(s["megatron"], megatron_split(prefix, split, m, verify));
      } else {
        LM_ASSIGN_OR_RETURN(s[name], export_split(name, f[sn], m, verify));
      }
    }
    out["splits"][sn] = s;
  }
  if (!m.source_weights.empty()) {
    out["source_weights"] = m.source_weights;
    out["passes"] = m.passes;
    out["train_sources"] = source_counts_json(m.train_sources);
  }
  return out;
}

Result<nlohmann::json> padding_report(const std::string& prefix, int batch_size, int seq_len) {
  nlohmann::json out = {{"batch_size", batch_size}, {"seq_len", seq_len}};
  struct Run {
    const char* name;
    LoaderMode mode;
    int bucket;
  };
  for (const Run& r :
       {Run{"concatenate", LoaderMode::kConcatenate, 0}, Run{"docmask", LoaderMode::kDocMask, 0},
        Run{"pad", LoaderMode::kPad, 0}, Run{"pad_bucketed", LoaderMode::kPad, 16}}) {
    LoaderOptions o;
    o.prefix = prefix;
    o.batch_size = batch_size;
    o.seq_len = seq_len;
    o.mode = r.mode;
    o.bucket_batches = r.bucket;
    LM_ASSIGN_OR_RETURN(auto loader, Loader::open(o));
    const uint64_t steps = loader->steps_per_epoch();
    uint64_t real = 0, trimmed = 0, masked = 0, positions = 0;
    Batch b;
    double loader_seconds = 0;
    for (uint64_t s = 0; s < steps; ++s) {
      Timer timer;
      LM_RETURN_IF_ERROR(loader->next(&b));
      loader_seconds += timer.seconds();
      real += b.real_tokens;
      positions += uint64_t(b.B) * b.T;
      trimmed += uint64_t(b.B) * b.max_len;
      for (float v : b.loss_mask) masked += v == 0.0f;
    }
    const double served = double(steps) * batch_size * seq_len;
    out["modes"][r.name] = {
        {"steps", steps},
        {"padding_fraction", positions ? 1.0 - double(real) / double(positions) : 0.0},
        {"padding_fraction_trimmed", trimmed ? 1.0 - double(real) / double(trimmed) : 0.0},
        {"loss_masked_fraction", positions ? double(masked) / double(positions) : 0.0},
        {"loader_us_per_batch", steps ? 1e6 * loader_seconds / double(steps) : 0.0},
        {"tokens_not_served_fraction",
         r.mode == LoaderMode::kPad ? 0.0 : 1.0 - served / double(loader->tokens())}};
  }
  return out;
}

}  // namespace lm::dataset
