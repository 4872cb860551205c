// document_encoder.cc: encode_documents over core's OrderedRunner (see document_encoder.h).
#include "tokenizer/document_encoder.h"

#include <fmt/core.h>

#include "core/ordered_runner.h"
#include "core/threads.h"

namespace lm::tok {
namespace {

void encode_batch(DocumentBatch* b, const EncodeFn& encode, const DocumentHook& hook) {
  b->ids.clear();
  b->ends.clear();
  b->out.clear();
  b->status = ok_status();
  for (size_t i = 0; i < b->count; ++i) {
    const io::Document& d = b->docs[i];
    Status st = encode(d.text, &b->ids);
    b->ends.push_back(b->ids.size());
    if (st.ok() && hook) st = hook(*b, i);
    if (!st.ok()) {  // the batch ends before this document
      b->status = st.with_context(fmt::format("document {} (id \"{}\")", b->first + i + 1, d.id));
      b->ends.pop_back();
      return;
    }
  }
}

}  // namespace

Status encode_documents(io::DocumentReader* reader, const EncodeFn& encode,
                        const DocumentHook& hook, const DocumentEncoderOptions& opt,
                        const std::function<Status(DocumentBatch& batch)>& write,
                        DocumentEncoderStats* stats) {
  uint64_t skip = opt.skip, next_index = 0;
  DocumentEncoderStats st;
  OrderedRunner<DocumentBatch> r;
  r.threads = resolve_threads(opt.threads);
  r.read = [&](DocumentBatch& b) -> Result<bool> {
    b.first = next_index;
    auto more = fill_batch([reader](io::Document* d) { return reader->next(d); }, &b.docs, &b.count,
                           &b.bytes, opt.batch_documents, opt.batch_bytes, &skip);
    next_index += b.count;
    return more;
  };
  r.empty = [](const DocumentBatch& b) { return b.count == 0; };
  r.work = [&](DocumentBatch& b, int) { encode_batch(&b, encode, hook); };
  r.write = [&](DocumentBatch& b) {
    st.documents += b.count;
    st.bytes += b.bytes;
    st.ids += b.ids.size();
    return write(b);
  };
  RunnerTimes times;
  Status status = r.run(&times);
  st.encode_cpu = times.work_cpu;
  st.encode_wall = times.work_wall;
  if (stats) *stats = st;
  return status;
}

}  // namespace lm::tok
