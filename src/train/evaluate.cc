// evaluate.cc: validation loss over a loader.
#include "train/evaluate.h"

#include <cmath>

namespace lm::train {

Status to_model_batch(const dataset::Batch& in, const model::Gpt& gpt, const std::string& data,
                      model::Batch* out) {
  *out = model::Batch{.inputs = in.inputs.data(),
                      .targets = in.targets.data(),
                      .mask = in.loss_mask.empty() ? nullptr : in.loss_mask.data(),
                      .positions = in.position_ids.empty() ? nullptr : in.position_ids.data(),
                      // docmask: attention stays within each document (all 0 otherwise; pad
                      // mode's -1 padding segment only changes the masked padded positions)
                      .segments = in.segment_ids.empty() ? nullptr : in.segment_ids.data(),
                      .B = in.B,
                      .T = in.T};
  Status s = gpt.check_batch(*out);
  if (!s.ok())
    return s.with_context(data).with_hint(
        "the data was packed with another tokenizer or for a larger context than the model's");
  return ok_status();
}

Result<EvalResult> evaluate_loss(model::Gpt* gpt, dataset::Loader* loader, int64_t max_batches,
                                 Comm* comm) {
  int64_t n =
      max_batches > 0 ? max_batches : (int64_t)std::max<uint64_t>(1, loader->steps_per_epoch());
  double sums[2] = {0, 0};  // loss * tokens, tokens
  dataset::Batch b;
  for (int64_t i = 0; i < n; i++) {
    LM_RETURN_IF_ERROR(loader->next(&b));
    model::Batch mb;
    LM_RETURN_IF_ERROR(to_model_batch(b, *gpt, "validation data", &mb));
    float loss = gpt->forward(mb);
    double count = 0;
    if (b.loss_mask.empty())
      count = (double)b.B * b.T;
    else
      for (float m : b.loss_mask) count += m;
    sums[0] += (double)loss * count;
    sums[1] += count;
  }
  if (comm) comm->allreduce_sum(sums, 2);
  EvalResult r;
  r.batches = n;
  r.tokens = (uint64_t)sums[1];
  r.loss = sums[1] > 0 ? sums[0] / sums[1] : 0.0;
  r.perplexity = std::exp(r.loss);
  return r;
}

}  // namespace lm::train
