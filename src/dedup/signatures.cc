// signatures.cc: stage 1 of dedup, per rank: read this rank's files in order, compute each
// document's exact key, MinHash signature + band keys and line keys (in parallel, a batch at a
// time, appended in input order so the files do not depend on the thread count), and spill them
// as sorted runs partitioned by the rank that will bucket them. Also writes the signatures and
// ids in document order (the clusters stage reads them back for similarities and kept ids).
#include <omp.h>
#include <time.h>

#include "core/log.h"
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

double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

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

// Reads one file in batches and feeds the sinks; returns its document count.
Result<uint64_t> process_file(const Job& job, const MinHasher& mh, uint64_t file, Sinks* s,
                              Progress* progress, DedupStats* st) {
  LM_ASSIGN_OR_RETURN(auto reader, io::DocumentReader::open({job.files[file]}, job.read));
  constexpr size_t kBatchDocs = 4096, kBatchBytes = 16u << 20;
  std::vector<io::Document> docs(kBatchDocs);
  std::vector<DocKeys> keys(kBatchDocs);
  uint64_t index = 0;
  for (bool more = true; more;) {
    size_t n = 0, bytes = 0;
    while (n < kBatchDocs && bytes < kBatchBytes) {
      LM_ASSIGN_OR_RETURN(more, reader->next(&docs[n]));
      if (!more) break;
      bytes += docs[n++].text.size();
    }
    double cpu = 0;  // thread CPU seconds of key computation (robust on a busy machine)
#pragma omp parallel num_threads(job.threads) reduction(+ : cpu)
    {
      const double t0 = thread_cpu_seconds();
#pragma omp for schedule(dynamic, 16) nowait
      for (size_t i = 0; i < n; ++i) compute_keys(job, mh, docs[i], &keys[i]);
      cpu += thread_cpu_seconds() - t0;
    }
    st->signature_seconds += cpu;
    for (size_t i = 0; i < n; ++i) {
      LM_RETURN_IF_ERROR(append_keys(job, make_key(file, index++), docs[i], keys[i], s));
    }
    st->signature_bytes += bytes;
    st->documents_in += n;
    st->bytes_in += bytes;
    progress->add(bytes);
  }
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
