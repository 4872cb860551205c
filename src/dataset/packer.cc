// packer.cc: the pack pipeline: the shared ordered document encoder (tokenizer/
// document_encoder.h: reader thread, encoding workers, in-order delivery, bounded memory) feeds
// the shard writers here, which split train/val, checkpoint for resume and write meta.json.
// With --weight, the pipeline runs once per pass over the input (PassReader picks the documents
// whose copy count exceeds the pass) into the same sinks.
#include "dataset/packer.h"

#include <fmt/ranges.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "core/file_util.h"
#include "core/hash.h"
#include "core/ledger.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/threads.h"
#include "core/timer.h"
#include "dataset/meta.h"
#include "dataset/sinks.h"
#include "tokenizer/document_encoder.h"

namespace lm::dataset {
namespace {

// Everything that must match for a saved state to be resumed (the input list included).
uint64_t config_hash(const PackOptions& o, const Encoder& enc) {
  std::string s =
      fmt::format("{}|{}|{}|{}|", enc.hash, enc.vocab_size, o.val_fraction, o.shard_tokens);
  for (auto f : o.formats) s += std::string(format_name(f)) + ",";
  for (const auto& in : o.inputs) s += in + "\n";
  for (const auto& [source, w] : o.source_weights) s += fmt::format("weight {}={}\n", source, w);
  return hash64(s);
}

// The one range check of a weight, for the CLI parser and for library callers of pack().
bool valid_weight(double w) { return std::isfinite(w) && w >= 0 && w <= kMaxSourceWeight; }

// How often a document is written over all passes: val once, train by its source's weight.
uint32_t copies_of(const io::Document& d, const PackOptions& o) {
  if (o.source_weights.empty() || is_validation(d.id, o.val_fraction)) return 1;
  auto it = o.source_weights.find(d.source);
  return it == o.source_weights.end() ? 1 : train_copies(d.id, it->second);
}

// The documents of one pass: those written more than `pass` times, in input order. Counts every
// input document it reads, and in pass 0 of a weighted pack the sources they carry.
class PassReader : public io::DocumentReader {
 public:
  PassReader(std::unique_ptr<io::DocumentReader> in, const PackOptions& o, int pass)
      : in_(std::move(in)), o_(o), pass_(pass) {}
  Result<bool> next(io::Document* doc) override {
    for (;;) {
      LM_ASSIGN_OR_RETURN(bool more, in_->next(doc));
      if (!more) return false;
      ++read_;
      if (o_.source_weights.empty()) return true;
      if (pass_ == 0) sources_.insert(doc->source);
      if (copies_of(*doc, o_) > uint32_t(pass_)) return true;
    }
  }
  io::ReaderStats stats() const override { return in_->stats(); }
  uint64_t read() const { return read_; }
  const std::set<std::string>& sources() const { return sources_; }

 private:
  std::unique_ptr<io::DocumentReader> in_;
  const PackOptions& o_;
  int pass_;
  uint64_t read_ = 0;
  std::set<std::string> sources_;
};

// After pass 0: every weighted source must occur (a misspelt one must not pass silently).
Status check_weighted_sources(const PackOptions& o, const std::set<std::string>& seen) {
  std::vector<std::string> missing;
  for (const auto& [source, w] : o.source_weights) {
    if (!seen.count(source)) missing.push_back(source);
  }
  if (missing.empty()) return ok_status();
  std::vector<std::string> names;
  for (const auto& s : seen) {
    if (names.size() == 30) {
      names.push_back(fmt::format("... ({} in all)", seen.size()));
      break;
    }
    names.push_back(s.empty() ? "(none)" : s);
  }
  return invalid_argument("--weight: no input document has the source {} (sources seen: {})",
                          fmt::join(missing, ", "), fmt::join(names, ", "))
      .with_hint(
          "check the spelling against the documents' \"source\" member; nothing was "
          "written");
}

// The resume ledger of a pack: one entry, PREFIX.pack-state.json, the checkpoint.
Ledger pack_ledger(const PackOptions& o, uint64_t hash) {
  const std::filesystem::path p(o.out);
  return Ledger(p.parent_path().string(), "pack", hash, "add --restart to start over");
}
std::string state_unit(const PackOptions& o) {
  return std::filesystem::path(state_path(o.out)).filename().string();
}

struct Writer {
  Writer(const PackOptions& options, uint64_t config)
      : o(options), ledger(pack_ledger(options, config)) {}
  const PackOptions& o;
  std::vector<std::pair<std::string, std::unique_ptr<TokenSink>>> sinks[2];  // [train, val]
  PackStats stats;
  Ledger ledger;
  int pass = 0;                 // the pass being written
  uint64_t pass_documents = 0;  // documents written in it (a resume skips as many)

  Status open(const nlohmann::json* state, const Encoder& enc) {
    for (Split split : {Split::kTrain, Split::kVal}) {
      if (split == Split::kVal && o.val_fraction <= 0) continue;
      for (Format f : o.formats) {
        SinkConfig c{o.out, split, enc.vocab_size, enc.eot_id, o.shard_tokens};
        const std::string key = fmt::format("{}/{}", format_name(f), split_name(split));
        const nlohmann::json* resume = nullptr;
        if (state) {
          auto it = (*state)["sinks"].find(key);
          if (it == (*state)["sinks"].end())
            return corrupt("{}: no state for {}", state_path(o.out), key);
          resume = &*it;
        }
        LM_ASSIGN_OR_RETURN(auto sink, make_sink(f, c, resume));
        sinks[split == Split::kVal].emplace_back(key, std::move(sink));
      }
    }
    return ok_status();
  }

  uint64_t written() const { return stats.train_documents + stats.val_documents; }

  Status write_doc(std::span<const uint32_t> t, bool val, const std::string& source) {
    for (auto& [key, sink] : sinks[val]) LM_RETURN_IF_ERROR(sink->add(t));
    (val ? stats.val_documents : stats.train_documents) += 1;
    (val ? stats.val_tokens : stats.train_tokens) += t.size() + 1;
    if (!val && !o.source_weights.empty()) {
      SourceCount& c = stats.train_sources[source];
      c.documents += 1;
      c.tokens += t.size() + 1;
    }
    ++pass_documents;
    return ok_status();
  }

  Status checkpoint() {
    nlohmann::json j = {{"documents", stats.documents},
                        {"train_documents", stats.train_documents},
                        {"val_documents", stats.val_documents},
                        {"train_tokens", stats.train_tokens},
                        {"val_tokens", stats.val_tokens},
                        {"text_bytes", stats.text_bytes},
                        {"pass", pass},
                        {"pass_documents", pass_documents},
                        {"sinks", nlohmann::json::object()}};
    if (!o.source_weights.empty()) j["train_sources"] = source_counts_json(stats.train_sources);
    for (auto& split : sinks) {
      for (auto& [key, sink] : split) LM_RETURN_IF_ERROR(sink->checkpoint(&j["sinks"][key]));
    }
    return ledger.record(state_unit(o), std::move(j));
  }

  // Restores the counters of a saved state.
  void resume(const nlohmann::json& s) {
    stats.documents = s.value("documents", uint64_t(0));
    stats.train_documents = s.value("train_documents", uint64_t(0));
    stats.val_documents = s.value("val_documents", uint64_t(0));
    stats.train_tokens = s.value("train_tokens", uint64_t(0));
    stats.val_tokens = s.value("val_tokens", uint64_t(0));
    stats.text_bytes = s.value("text_bytes", uint64_t(0));
    pass = s.value("pass", 0);
    pass_documents = s.value("pass_documents", stats.documents);
    if (auto it = s.find("train_sources"); it != s.end()) {
      stats.train_sources = parse_source_counts(*it);
    }
    stats.resumed_documents = written();
  }

  // Removes the partial outputs and the state (a pack that must not be resumed).
  void abandon() {
    for (auto& split : sinks) {
      for (auto& [key, sink] : split) sink->abandon();
    }
    (void)ledger.erase(state_unit(o));
  }

  Status finish(const Encoder& enc) {
    PackMeta meta;
    meta.tokenizer = enc.name;
    meta.tokenizer_hash = enc.hash;
    meta.vocab_size = enc.vocab_size;
    meta.eot_id = enc.eot_id;
    meta.val_fraction = o.val_fraction;
    meta.train_documents = stats.train_documents;
    meta.train_tokens = stats.train_tokens;
    meta.val_documents = stats.val_documents;
    meta.val_tokens = stats.val_tokens;
    meta.source_weights = o.source_weights;
    meta.train_sources = stats.train_sources;
    meta.passes = stats.passes;
    for (int v = 0; v < 2; ++v) {
      for (auto& [key, sink] : sinks[v]) {
        nlohmann::json info;
        LM_RETURN_IF_ERROR(sink->finish(&info));
        const std::string fmt_name = key.substr(0, key.find('/'));
        meta.formats[fmt_name]["dtype"] = info["dtype"];
        meta.formats[fmt_name]["eot"] = info["eot"];
        meta.formats[fmt_name][v ? "val" : "train"] = info;
      }
    }
    LM_RETURN_IF_ERROR(write_meta(o.out, meta));
    return ledger.erase(state_unit(o));
  }
};

// Reads a saved state if there is one to resume; null when starting fresh.
Result<std::unique_ptr<nlohmann::json>> load_state(const PackOptions& o, const Ledger& ledger) {
  if (o.restart) return std::unique_ptr<nlohmann::json>();
  auto j = ledger.lookup(state_unit(o));
  if (!j.ok() && j.status().code() == Code::kNotFound) return std::unique_ptr<nlohmann::json>();
  LM_RETURN_IF_ERROR(j.status());
  if (!j->contains("sinks") || !(*j)["sinks"].is_object()) {
    return corrupt("{}: unreadable pack state", state_path(o.out))
        .with_hint("rerun with --restart");
  }
  return std::make_unique<nlohmann::json>(std::move(j).value());
}

}  // namespace

Encoder byte_encoder() {
  Encoder e;
  e.encode = [](std::string_view text, std::vector<uint32_t>* out) {
    for (unsigned char c : text) out->push_back(c);
  };
  e.vocab_size = 257;
  e.eot_id = 256;
  e.name = "bytes";
  e.hash = 0x627974657321ULL;
  return e;
}

bool is_validation(std::string_view id, double val_fraction) {
  if (val_fraction <= 0) return false;
  return (hash64(id, 0x5eed5eedULL) >> 11) * 0x1.0p-53 < val_fraction;
}

uint32_t train_copies(std::string_view id, double weight) {
  const double whole = std::floor(weight);
  const bool extra = weight > whole && (hash64(id, 0xc0b1e5ULL) >> 11) * 0x1.0p-53 < weight - whole;
  return uint32_t(whole) + extra;
}

int weight_passes(const std::map<std::string, double>& weights) {
  double most = 1;
  for (const auto& [source, w] : weights) most = std::max(most, w);
  return int(std::ceil(most));
}

Result<std::map<std::string, double>> parse_source_weights(const std::vector<std::string>& specs) {
  std::map<std::string, double> weights;
  for (const std::string& spec : specs) {
    const size_t eq = spec.rfind('=');
    if (eq == std::string::npos || eq == 0) {
      return invalid_argument("--weight {}: expected SOURCE=W", spec)
          .with_hint("e.g. --weight bible-kjv=3 (W = 0.5 keeps about half, 0 drops it)");
    }
    const std::string source = spec.substr(0, eq), value = spec.substr(eq + 1);
    char* end = nullptr;
    errno = 0;
    const double w = std::strtod(value.c_str(), &end);
    if (value.empty() || *end || errno || !valid_weight(w)) {
      return invalid_argument("--weight {}: W must be a number from 0 to {}, got '{}'", spec,
                              kMaxSourceWeight, value)
          .with_hint("each whole unit of W is one more pass over the input");
    }
    if (!weights.emplace(source, w).second) {
      return invalid_argument("--weight {}: source {} is weighted twice", spec, source);
    }
  }
  return weights;
}

Status run_pipeline(const PackOptions& o, const Encoder& enc, io::DocumentReader* reader, Writer* w,
                    uint64_t skip, const std::string& label);

Result<PackStats> pack(const PackOptions& o, const Encoder& enc) {
  if (o.inputs.empty()) return invalid_argument("no input documents (--in)");
  if (o.out.empty()) return invalid_argument("no output prefix (--out)");
  if (o.formats.empty()) return invalid_argument("no output format (--format)");
  if (o.val_fraction < 0 || o.val_fraction >= 1) {
    return invalid_argument("--val-fraction {} must be in [0, 1)", o.val_fraction);
  }
  for (const auto& [source, w] : o.source_weights) {
    if (!valid_weight(w)) {
      return invalid_argument("--weight {}={}: W must be a number from 0 to {}", source, w,
                              kMaxSourceWeight);
    }
  }
  if (enc.eot_id >= enc.vocab_size) {
    return invalid_argument("{}: end-of-text id {} is outside the vocabulary ({})", enc.name,
                            enc.eot_id, enc.vocab_size);
  }
  const auto parent = std::filesystem::path(o.out).parent_path();
  if (!parent.empty()) LM_RETURN_IF_ERROR(make_dirs(parent.string()));
  Timer timer;
  Writer w(o, config_hash(o, enc));
  LM_ASSIGN_OR_RETURN(auto state, load_state(o, w.ledger));
  const int passes = w.stats.passes = weight_passes(o.source_weights);
  if (state) {
    w.resume(*state);
    log_info("pack: resuming after {} documents{} ({})", w.pass_documents,
             passes > 1 ? fmt::format(" of pass {}/{}", w.pass + 1, passes) : "",
             state_path(o.out));
  }
  LM_RETURN_IF_ERROR(w.open(state.get(), enc));
  w.stats.threads = resolve_threads(o.threads);
  while (w.pass < passes) {
    LM_ASSIGN_OR_RETURN(auto in, io::DocumentReader::open(o.inputs, o.reader));
    PassReader reader(std::move(in), o, w.pass);
    const std::string label = passes == 1 ? "pack" : fmt::format("pack {}/{}", w.pass + 1, passes);
    LM_RETURN_IF_ERROR(run_pipeline(o, enc, &reader, &w, w.pass_documents, label));
    if (w.pass == 0) {
      w.stats.documents = reader.read();  // pass 0 reads every document, skipped ones too
      if (Status st = check_weighted_sources(o, reader.sources()); !st.ok()) {
        w.abandon();
        return st;
      }
      for (const auto& source : reader.sources()) w.stats.train_sources[source];  // 0 if none
    }
    ++w.pass;
    w.pass_documents = 0;
    if (w.pass < passes) LM_RETURN_IF_ERROR(w.checkpoint());  // a resume starts the next pass
  }
  LM_RETURN_IF_ERROR(w.finish(enc));
  w.stats.seconds = timer.seconds();
  return w.stats;
}

// The shared ordered encoder (tokenizer/document_encoder.h): workers encode and check ids
// against the vocabulary (a tokenizer bug must not reach the shards); this thread writes each
// document, in input order, to the split its id hashes to.
Status run_pipeline(const PackOptions& o, const Encoder& enc, io::DocumentReader* reader, Writer* w,
                    uint64_t skip, const std::string& label) {
  tok::DocumentEncoderOptions eo;
  eo.threads = w->stats.threads;
  eo.skip = skip;
  auto encode = [&enc](std::string_view text, std::vector<uint32_t>* ids) {
    enc.encode(text, ids);
    return ok_status();
  };
  auto check = [&enc](tok::DocumentBatch& b, size_t i) {
    for (uint32_t id : b.doc_ids(i)) {
      if (id >= enc.vocab_size) {
        return corrupt("token id {} is outside the vocabulary of {} ({} ids)", id, enc.name,
                       enc.vocab_size)
            .with_hint("the tokenizer file is inconsistent; re-create it");
      }
    }
    return ok_status();
  };
  Progress progress(label, 0, /*bytes=*/true);
  Timer since_checkpoint;
  Status st = tok::encode_documents(reader, encode, check, eo, [&](tok::DocumentBatch& b) {
    LM_RETURN_IF_ERROR(b.status);
    for (size_t i = 0; i < b.count; ++i) {
      const io::Document& d = b.docs[i];
      LM_RETURN_IF_ERROR(w->write_doc(b.doc_ids(i), is_validation(d.id, o.val_fraction), d.source));
      if (o.stop_after_documents && w->written() == o.stop_after_documents) {
        LM_RETURN_IF_ERROR(w->checkpoint());
        return Status(Code::kCancelled, "stopped for a test after the documents asked");
      }
    }
    w->stats.text_bytes += b.bytes;
    progress.add(b.bytes);
    if (since_checkpoint.seconds() >= o.checkpoint_seconds) {
      LM_RETURN_IF_ERROR(w->checkpoint());
      since_checkpoint.reset();
    }
    return ok_status();
  });
  progress.finish();
  return st;
}

}  // namespace lm::dataset
