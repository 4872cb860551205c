// document_encoder.cc: encode_documents over core's OrderedPipeline (see document_encoder.h).
#include "tokenizer/document_encoder.h"

#include <fmt/core.h>

#include <ctime>

#include "core/ordered_pipeline.h"
#include "core/threads.h"

namespace lm::tok {
namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void encode_batch(DocumentBatch* b, const EncodeFn& encode, const DocumentHook& hook,
                  bool keep_text) {
  const double c0 = thread_cpu_seconds();
  b->ends.reserve(b->docs.size());
  for (size_t i = 0; i < b->docs.size(); ++i) {
    io::Document& d = b->docs[i];
    const size_t begin = b->ids.size();
    Status st = encode(d.text, &b->ids);
    b->ends.push_back(b->ids.size());
    if (st.ok() && hook) st = hook(*b, i, begin);
    if (!st.ok() && b->status.ok()) {
      b->status = st.with_context(fmt::format("document {} (id \"{}\")", b->first + i + 1, d.id));
    }
    if (!keep_text) std::string().swap(d.text);
  }
  b->cpu_seconds = thread_cpu_seconds() - c0;
}

}  // namespace

Status encode_documents(io::DocumentReader* reader, const EncodeFn& encode,
                        const DocumentHook& hook, const DocumentEncoderOptions& opt,
                        const std::function<Status(DocumentBatch& batch)>& write) {
  uint64_t skip = opt.skip, next_index = 0;
  OrderedPipeline<DocumentBatch> p;
  p.threads = resolve_threads(opt.threads);
  p.read = [&](DocumentBatch* b) -> Result<bool> {
    b->first = next_index;
    while (b->docs.size() < opt.batch_documents && b->bytes < opt.batch_bytes) {
      io::Document d;
      LM_ASSIGN_OR_RETURN(bool more, reader->next(&d));
      if (!more) return false;
      if (skip > 0) {
        --skip;
        continue;
      }
      b->bytes += d.text.size();
      b->docs.push_back(std::move(d));
      ++next_index;
    }
    return true;
  };
  p.empty = [](const DocumentBatch& b) { return b.docs.empty(); };
  p.work = [&](DocumentBatch* b) { encode_batch(b, encode, hook, opt.keep_text); };
  p.write = write;
  return p.run();
}

}  // namespace lm::tok
