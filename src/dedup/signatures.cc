// signatures.cc: stage 1 of dedup, per rank: read this rank's files in order, compute each
// document's exact key, MinHash signature + band keys and line keys (in parallel, a batch at a
// time, appended in input order so the files do not depend on the thread count), and spill them
// as sorted runs partitioned by the rank that will bucket them. Also writes the signatures and
// ids in document order (the clusters stage reads them back for similarities and kept ids).

#include "core/log.h"
#include "core/ordered_runner.h"
#include "core/progress.h"
#include "core/timer.h"
#include "dedup/minhash.h"
#include "dedup/run_file.h"
#include "dedup/stages.h"

namespace lm::dedup {
namespace {

struct DocKeys {
  bool has_sig = false;
  std::vector<uint32_t> sig;
  std::vector<uint64_t> bands;
  Key128 exact;
  std::vector<uint64_t> lines;
};

void compute_keys(const Job& job, const MinHasher& mh, const io::Document& doc, DocKeys* k) {
  thread_local std::vector<uint64_t> words;
  const auto& o = job.opts;
  words.clear();
  word_hashes(doc.text, o.minhash.cjk_chars, &words);
  if (o.near) {
    k->sig.resize(mh.num_hashes());
    k->bands.resize(mh.bands());
    k->has_sig = mh.signature(words.data(), words.size(), k->sig.data());
    if (k->has_sig) mh.band_keys(k->sig.data(), k->bands.data());
  }
  if (o.exact) k->exact = exact_key(doc.text, words.data(), words.size());
  k->lines.clear();
  if (o.lines) {
    thread_local std::vector<std::string_view> units;
    thread_local std::vector<uint64_t> scratch;
    units.clear();
    split_units(doc.text, o.line_unit, &units);
    for (std::string_view u : units) k->lines.push_back(line_key(u, &scratch));
  }
}

struct Sinks {
  ExternalSorter<ExactRec> exact;
  ExternalSorter<BandRec> bands;
  ExternalSorter<LineRec> lines;
  std::unique_ptr<BlobWriter> sig, ids;
};

Status append_keys(const Job& job, uint64_t key, const io::Document& doc, const DocKeys& k,
                   Sinks* s) {
  const auto& o = job.opts;
  if (o.exact) LM_RETURN_IF_ERROR(s->exact.add(ExactRec{k.exact.hi, k.exact.lo, key}));
  if (o.near) {
    if (k.has_sig) {
      for (size_t b = 0; b < k.bands.size(); ++b) {
        LM_RETURN_IF_ERROR(s->bands.add(BandRec{k.bands[b], key, static_cast<uint32_t>(b), 0}));
      }
    }
    LM_RETURN_IF_ERROR(s->sig->write(k.sig.data(), k.sig.size() * sizeof(uint32_t)));
  }
  for (size_t i = 0; i < k.lines.size(); ++i) {
    if (k.lines[i] != 0) {
      LM_RETURN_IF_ERROR(s->lines.add(LineRec{k.lines[i], key, static_cast<uint32_t>(i), 0}));
    }
  }
  const uint32_t len = static_cast<uint32_t>(doc.id.size());
  LM_RETURN_IF_ERROR(s->ids->write(&len, sizeof(len)));
  return s->ids->write(doc.id.data(), len);
}

struct KeyBatch {
  std::vector<io::Document> docs;  // the first `count` (the rest: reused buffers)
  std::vector<DocKeys> keys;
  size_t count = 0;
  uint64_t bytes = 0;
};

// Reads one file in batches, computes the keys on all threads (core/ordered_runner.h) and feeds
// the sinks in input order; returns its document count.
Result<uint64_t> process_file(const Job& job, const MinHasher& mh, uint64_t file, Sinks* s,
                              Progress* progress, DedupStats* st) {
  LM_ASSIGN_OR_RETURN(auto reader, io::DocumentReader::open({job.files[file]}, job.read));
  constexpr size_t kBatchDocs = 1024, kBatchBytes = 1u << 20;
  uint64_t index = 0;
  OrderedRunner<KeyBatch> r;
  r.threads = job.threads;
  r.read = [&](KeyBatch& b) -> Result<bool> {
    return fill_batch([&reader](io::Document* d) { return reader->next(d); }, &b.docs, &b.count,
                      &b.bytes, kBatchDocs, kBatchBytes);
  };
  r.empty = [](const KeyBatch& b) { return b.count == 0; };
  r.work = [&](KeyBatch& b, int) {
    b.keys.resize(std::max(b.keys.size(), b.count));
    for (size_t i = 0; i < b.count; ++i) compute_keys(job, mh, b.docs[i], &b.keys[i]);
  };
  r.write = [&](KeyBatch& b) {
    for (size_t i = 0; i < b.count; ++i)
      LM_RETURN_IF_ERROR(append_keys(job, make_key(file, index++), b.docs[i], b.keys[i], s));
    st->signature_bytes += b.bytes;
    st->documents_in += b.count;
    st->bytes_in += b.bytes;
    progress->add(b.bytes);
    return ok_status();
  };
  RunnerTimes times;
  LM_RETURN_IF_ERROR(r.run(&times));
  st->signature_seconds += times.work_cpu;  // thread CPU seconds of key computation
  if (index >= (1ULL << kFileShift)) {
    return invalid_argument("{}: too many documents in one file", job.files[file]);
  }
  return index;
}

}  // namespace

Result<DedupStats> stage_signatures(const Job& job, int rank) {
  Timer timer;
  const auto& o = job.opts;
  const int parts = o.world;
  const std::string pre = job.path(fmt::format("s1-r{}", rank));
  const uint64_t budget = o.memory_budget;
  Sinks s{ExternalSorter<ExactRec>(
              pre + ".exact", parts, [parts](const ExactRec& r) { return hash_part(r.hi, parts); },
              budget / 4),
          ExternalSorter<BandRec>(
              pre + ".band", parts, [parts](const BandRec& r) { return hash_part(r.hash, parts); },
              budget / 2),
          ExternalSorter<LineRec>(
              pre + ".line", parts, [parts](const LineRec& r) { return hash_part(r.hash, parts); },
              budget / 4),
          nullptr, nullptr};
  if (o.near) {
    LM_ASSIGN_OR_RETURN(BlobWriter w, BlobWriter::create(pre + ".sig", kSigMagic));
    s.sig = std::make_unique<BlobWriter>(std::move(w));
  }
  LM_ASSIGN_OR_RETURN(BlobWriter ids, BlobWriter::create(pre + ".ids", kIdsMagic));
  s.ids = std::make_unique<BlobWriter>(std::move(ids));
  MinHasher mh(o.minhash);
  DedupStats st;
  st.rank = rank;
  st.world = o.world;
  Progress progress(fmt::format("dedup 1/4 signatures (rank {})", rank), 0, true);
  nlohmann::json counts = nlohmann::json::array();
  for (int f = job.file_begin(rank); f < job.file_begin(rank + 1); ++f) {
    LM_ASSIGN_OR_RETURN(uint64_t n, process_file(job, mh, f, &s, &progress, &st));
    counts.push_back(n);
    ++st.files;
  }
  progress.finish();
  LM_RETURN_IF_ERROR(s.exact.finish());
  LM_RETURN_IF_ERROR(s.bands.finish());
  LM_RETURN_IF_ERROR(s.lines.finish());
  if (s.sig) LM_RETURN_IF_ERROR(s.sig->commit());
  LM_RETURN_IF_ERROR(s.ids->commit());
  st.stage_seconds["signatures"] = timer.seconds();
  nlohmann::json body = {{"file_counts", counts},
                         {"exact_runs", s.exact.runs()},
                         {"band_runs", s.bands.runs()},
                         {"line_runs", s.lines.runs()},
                         {"stats", st.to_json()}};
  LM_RETURN_IF_ERROR(write_marker(job, sig_marker(rank), std::move(body)));
  return st;
}

}  // namespace lm::dedup
