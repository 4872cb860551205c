// perplexity.cc: loads a checkpoint and a loader and runs train::evaluate_loss.
#include "eval/perplexity.h"

#include "core/threads.h"
#include "core/timer.h"
#include "dataset/loader.h"
#include "model/checkpoint.h"
#include "train/evaluate.h"

namespace lm::eval {

Result<EvalReport> evaluate_checkpoint(const EvalOptions& o) {
  if (o.split != "auto" && o.split != "val" && o.split != "train")
    return invalid_argument("eval: split '{}' is not auto, val or train", o.split);
  if (o.batch_size <= 0) return invalid_argument("eval: batch size {} must be > 0", o.batch_size);
  kernels::set_kernel_threads(resolve_threads(o.threads));
  std::string dir = model::checkpoint_dir(o.checkpoint);
  LM_ASSIGN_OR_RETURN(auto gpt, model::load_model(dir, kernels::cpu_kernels()));
  int T = o.seq_len > 0 ? o.seq_len : gpt->config().n_ctx;
  if (T > gpt->config().n_ctx)
    return invalid_argument("eval: seq_len {} exceeds the model context {}", T,
                            gpt->config().n_ctx);
  LM_ASSIGN_OR_RETURN(dataset::LoaderMode mode, dataset::parse_loader_mode(o.loader_mode));
  dataset::LoaderOptions lo{.prefix = o.data,
                            .split = dataset::Split::kVal,
                            .batch_size = o.batch_size,
                            .seq_len = T,
                            .mode = mode,
                            .shuffle = false};
  EvalReport rep;
  rep.split = "val";
  auto loader = dataset::Loader::open(lo);
  if (o.split == "train" ||
      (o.split == "auto" && !loader.ok() && loader.status().code() == Code::kNotFound)) {
    lo.split = dataset::Split::kTrain;
    rep.split = "train";
    loader = dataset::Loader::open(lo);
  }
  if (!loader.ok()) return loader.status();
  auto& ld = *loader;
  if (ld->vocab_size() > gpt->config().vocab_size)
    return invalid_argument("{}: the data's vocabulary has {} tokens, the model only {}", o.data,
                            ld->vocab_size(), gpt->config().vocab_size)
        .with_hint("evaluate on data packed with the model's tokenizer");
  if (ld->steps_per_epoch() < 1)
    return invalid_argument("{} ({}): fewer than {} windows of {} tokens", o.data, rep.split,
                            o.batch_size, T + 1)
        .with_hint("lower --batch-size or --seq-len");
  Timer timer;
  int64_t n = o.max_batches > 0 ? std::min<int64_t>(o.max_batches, ld->steps_per_epoch())
                                : (int64_t)ld->steps_per_epoch();
  LM_ASSIGN_OR_RETURN(train::EvalResult r, train::evaluate_loss(gpt.get(), ld.get(), n, nullptr));
  rep.loss = r.loss;
  rep.perplexity = r.perplexity;
  rep.tokens = r.tokens;
  rep.batches = r.batches;
  rep.seconds = timer.seconds();
  return rep;
}

}  // namespace lm::eval
