// document_encoder.h: the ordered parallel document encoder that `tokenizer encode` and `pack`
// share. Documents are read in batches (256 documents or 1 MB of text) on a reader thread,
// each batch is encoded by one of `threads` workers, where the caller's per-document hook runs
// too (formatting the ids, checking them), and the caller receives the batches on its own thread
// strictly in input order (core/ordered_runner.h), so the output never depends on the thread
// count. Batches are recycled, so their buffers stop growing after the first few. Leaves out:
// which ids a text becomes (the caller's EncodeFn) and what is done with them (its `write`).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "io/document.h"

namespace lm::tok {

struct DocumentBatch {
  uint64_t first = 0;              // input index (0-based, after skipped documents) of docs[0]
  std::vector<io::Document> docs;  // the first `count` are this batch's (the rest: reused)
  size_t count = 0;
  std::vector<uint32_t> ids;   // every document's ids back to back
  std::vector<uint64_t> ends;  // end of document i in ids (only those before an error)
  std::string out;             // what the hook appended (e.g. formatted ids)
  uint64_t bytes = 0;          // text bytes of the batch
  Status status;               // the first error, with the document named; the batch ends there
  std::span<const uint32_t> doc_ids(size_t i) const {
    const uint64_t b = i ? ends[i - 1] : 0;
    return {ids.data() + b, ends[i] - b};
  }
};

struct DocumentEncoderOptions {
  int threads = 0;    // workers; 0 = all cores
  uint64_t skip = 0;  // documents read and dropped first (a resumed pack)
  size_t batch_documents = 256;
  size_t batch_bytes = 1 << 20;
};

struct DocumentEncoderStats {
  uint64_t documents = 0, bytes = 0, ids = 0;
  double encode_cpu = 0;   // worker thread CPU seconds encoding (and in the hook)
  double encode_wall = 0;  // wall seconds during which at least one worker was encoding
};

// Appends the ids of one text to *ids; thread-safe.
using EncodeFn = std::function<Status(std::string_view text, std::vector<uint32_t>* ids)>;
// Runs on the worker after document i of the batch is encoded (its ids: batch.doc_ids(i)); an
// error becomes the batch's status.
using DocumentHook = std::function<Status(DocumentBatch& batch, size_t i)>;

// Reads every document of `reader`, encodes and hands each batch to `write` in input order.
// A reader error is returned after the batches read before it were written; an encode or hook
// error is the batch's status (`write` decides), and the first error `write` returns stops it.
Status encode_documents(io::DocumentReader* reader, const EncodeFn& encode,
                        const DocumentHook& hook, const DocumentEncoderOptions& options,
                        const std::function<Status(DocumentBatch& batch)>& write,
                        DocumentEncoderStats* stats = nullptr);

}  // namespace lm::tok
