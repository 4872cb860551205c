// packer.cc: the pack pipeline: the shared ordered document encoder (tokenizer/
// document_encoder.h: reader thread, encoding workers, in-order delivery, bounded memory) feeds
// the shard writers here, which split train/val, checkpoint for resume and write meta.json.
#include "dataset/packer.h"

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

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
  return hash64(s);
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

  Status write_doc(std::span<const uint32_t> t, bool val) {
    for (auto& [key, sink] : sinks[val]) LM_RETURN_IF_ERROR(sink->add(t));
    (val ? stats.val_documents : stats.train_documents) += 1;
    (val ? stats.val_tokens : stats.train_tokens) += t.size() + 1;
    ++stats.documents;
    return ok_status();
  }

  Status checkpoint() {
    nlohmann::json j = {
        {"documents", stats.documents},         {"train_documents", stats.train_documents},
        {"val_documents", stats.val_documents}, {"train_tokens", stats.train_tokens},
        {"val_tokens", stats.val_tokens},       {"text_bytes", stats.text_bytes},
        {"sinks", nlohmann::json::object()}};
    for (auto& split : sinks) {
      for (auto& [key, sink] : split) LM_RETURN_IF_ERROR(sink->checkpoint(&j["sinks"][key]));
    }
    return ledger.record(state_unit(o), std::move(j));
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

Status run_pipeline(const PackOptions& o, const Encoder& enc, io::DocumentReader* reader, Writer* w,
                    uint64_t skip);

Result<PackStats> pack(const PackOptions& o, const Encoder& enc) {
  if (o.inputs.empty()) return invalid_argument("no input documents (--in)");
  if (o.out.empty()) return invalid_argument("no output prefix (--out)");
  if (o.formats.empty()) return invalid_argument("no output format (--format)");
  if (o.val_fraction < 0 || o.val_fraction >= 1) {
    return invalid_argument("--val-fraction {} must be in [0, 1)", o.val_fraction);
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
  uint64_t skip = 0;
  if (state) {
    auto& s = *state;
    skip = w.stats.documents = s.value("documents", uint64_t(0));
    w.stats.train_documents = s.value("train_documents", uint64_t(0));
    w.stats.val_documents = s.value("val_documents", uint64_t(0));
    w.stats.train_tokens = s.value("train_tokens", uint64_t(0));
    w.stats.val_tokens = s.value("val_tokens", uint64_t(0));
    w.stats.text_bytes = s.value("text_bytes", uint64_t(0));
    w.stats.resumed_documents = skip;
    log_info("pack: resuming after {} documents ({})", skip, state_path(o.out));
  }
  LM_RETURN_IF_ERROR(w.open(state.get(), enc));
  LM_ASSIGN_OR_RETURN(auto reader, io::DocumentReader::open(o.inputs, o.reader));
  w.stats.threads = resolve_threads(o.threads);
  LM_RETURN_IF_ERROR(run_pipeline(o, enc, reader.get(), &w, skip));
  LM_RETURN_IF_ERROR(w.finish(enc));
  w.stats.seconds = timer.seconds();
  return w.stats;
}

// The shared ordered encoder (tokenizer/document_encoder.h): workers encode and check ids
// against the vocabulary (a tokenizer bug must not reach the shards); this thread writes each
// document, in input order, to the split its id hashes to.
Status run_pipeline(const PackOptions& o, const Encoder& enc, io::DocumentReader* reader, Writer* w,
                    uint64_t skip) {
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
  Progress progress("pack", 0, /*bytes=*/true);
  Timer since_checkpoint;
  Status st = tok::encode_documents(reader, encode, check, eo, [&](tok::DocumentBatch& b) {
    LM_RETURN_IF_ERROR(b.status);
    for (size_t i = 0; i < b.count; ++i) {
      LM_RETURN_IF_ERROR(w->write_doc(b.doc_ids(i), is_validation(b.docs[i].id, o.val_fraction)));
      if (o.stop_after_documents && w->stats.documents == o.stop_after_documents) {
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
