// document_encoder.h: the ordered parallel document encoder that `tokenizer encode` and `pack`
// share. Documents are read in batches (256 documents or 1 MB of text) on a reader thread,
// each batch is encoded by one of `threads` workers (the caller's per-document hook runs there
// too: formatting ids, checking them, choosing a split), and the caller receives the batches on
// its own thread strictly in input order (core/ordered_pipeline.h), so the output never depends
// on the thread count. Leaves out: what is done with the ids (the caller's `write`).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "io/document.h"

namespace lm::tok {

struct DocumentBatch {
  uint64_t first = 0;              // input index (0-based, after any skipped documents) of docs[0]
  std::vector<io::Document> docs;  // text released after encoding unless keep_text
  std::vector<uint32_t> ids;       // every document's ids back to back
  std::vector<uint64_t> ends;      // end of document i in ids
  std::string out;                 // what the per-document hook appended (e.g. formatted ids)
  uint64_t bytes = 0;              // text bytes of the batch
  double cpu_seconds = 0;          // worker thread CPU time spent encoding it (and in the hook)
  Status status;                   // the first error, with the document named; later ones dropped
};

struct DocumentEncoderOptions {
  int threads = 0;    // workers; 0 = all cores
  uint64_t skip = 0;  // documents read and dropped first (a resumed pack)
  size_t batch_documents = 256;
  size_t batch_bytes = 1 << 20;
  bool keep_text = false;
};

// Appends the ids of one text; thread-safe.
using EncodeFn = std::function<Status(std::string_view text, std::vector<uint32_t>* ids)>;
// Runs on the worker after document i of the batch is encoded (its ids are
// batch.ids[begin, batch.ends[i])); an error becomes the batch's status.
using DocumentHook = std::function<Status(DocumentBatch& batch, size_t i, size_t begin)>;

// Reads every document of `reader`, encodes and hands each batch to `write` in input order.
// A reader error is returned after the batches read before it were written; an encode or hook
// error is the batch's status (`write` decides), and the first error `write` returns stops it.
Status encode_documents(io::DocumentReader* reader, const EncodeFn& encode,
                        const DocumentHook& hook, const DocumentEncoderOptions& opt,
                        const std::function<Status(DocumentBatch& batch)>& write);

}  // namespace lm::tok
