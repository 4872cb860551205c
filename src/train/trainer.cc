// trainer.cc: the step loop of `lmforge train`: micro-batches -> gradients (accumulated, then
// summed over ranks), clipping, the NaN/explosion guard, AdamW at the scheduled lr, periodic
// validation, one metrics.jsonl line per step (rank 0) and checkpoints.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/threads.h"
#include "core/timer.h"
#include "train/evaluate.h"
#include "train/trainer_internal.h"

namespace lm::train {
namespace {
using detail::Run;

// Forward/backward over grad_accum micro-batches and all ranks; returns the mean loss. With a
// loss mask that leaves targets out (SFT, pad mode) the loss is the mean over every counted
// target of the step, all micro-batches and ranks together (each micro-batch's gradient weighted
// by its share of the counted targets), so the result does not depend on how the step's rows
// are split; without one, every micro-batch counts equally as before.
Result<double> compute_gradients(Run* r) {
  const TrainConfig& c = r->cfg;
  r->gpt->zero_grad();
  std::vector<dataset::Batch>& bs = r->micro;
  bs.resize(c.grad_accum);
  double counted[2] = {0, 0};  // mask sum, positions (masked batches only)
  std::vector<double> local(c.grad_accum, 0.0);
  for (int micro = 0; micro < c.grad_accum; micro++) {
    LM_RETURN_IF_ERROR(r->train->next(&bs[micro]));
    for (float m : bs[micro].loss_mask) local[micro] += m;
    counted[0] += local[micro];
    counted[1] += (double)bs[micro].loss_mask.size();
  }
  r->comm->allreduce_sum(counted, 2);
  r->mask_fraction = counted[1] > 0 ? counted[0] / counted[1] : -1;
  bool weighted = counted[1] > 0 && counted[0] < counted[1];
  double loss = 0;
  for (int micro = 0; micro < c.grad_accum; micro++) {
    float scale = weighted ? (float)(local[micro] / std::max(1.0, counted[0]))
                           : 1.0f / (float)(c.grad_accum * r->comm->world());
    model::Batch mb;
    LM_RETURN_IF_ERROR(to_model_batch(bs[micro], *r->gpt, c.data, &mb));
    loss += r->gpt->forward(mb) * scale;
    r->gpt->backward(scale);
  }
  r->comm->allreduce_sum(r->gpt->grads(), r->gpt->num_params());
  r->comm->allreduce_sum(&loss, 1);
  return loss;
}

Result<double> validate(Run* r) {
  LM_RETURN_IF_ERROR(r->val->restore(r->val_start));
  LM_ASSIGN_OR_RETURN(EvalResult e,
                      evaluate_loss(r->gpt.get(), r->val.get(), r->cfg.eval_steps, r->comm));
  return e.loss;
}

Status check_loss(Run* r, double loss, double norm) {
  if (r->step == 0 && r->first_loss == 0) r->first_loss = loss;
  double limit = r->cfg.max_loss > 0
                     ? r->cfg.max_loss
                     : 2.0 * std::max(r->first_loss, std::log((double)r->gpt->config().vocab_size));
  if (std::isfinite(loss) && std::isfinite(norm) && loss <= limit) return ok_status();
  return Status(Code::kFailedPrecondition,
                fmt::format("step {}: the loss is {} (gradient norm {}), over the limit {:.3f}: "
                            "training diverged and was stopped before the update",
                            r->step + 1, loss, norm, limit),
                fmt::format("the last good checkpoint is kept in {}/checkpoint; lower --lr, raise "
                            "--warmup-steps or --grad-clip, then --resume",
                            r->cfg.out));
}

void write_metrics(Run* r, const StepMetrics& m) {
  nlohmann::ordered_json j = {
      {"step", m.step}, {"tokens", m.tokens},       {"loss", m.loss},
      {"lr", m.lr},     {"grad_norm", m.grad_norm}, {"tokens_per_sec", m.tokens_per_sec},
      {"mfu", m.mfu}};
  if (m.val_loss) j["val_loss"] = *m.val_loss;
  if (m.loss_mask_fraction) j["loss_mask_fraction"] = *m.loss_mask_fraction;
  std::string line = j.dump() + "\n";
  FILE* f = std::fopen((r->cfg.out + "/metrics.jsonl").c_str(), "a");
  if (f) {
    std::fwrite(line.data(), 1, line.size(), f);
    std::fclose(f);
  }
}

Result<StepMetrics> train_step(Run* r) {
  Timer timer;
  LM_ASSIGN_OR_RETURN(double loss, compute_gradients(r));
  double norm = r->cfg.grad_clip > 0
                    ? clip_grad_norm(r->gpt->grads(), r->gpt->num_params(), r->cfg.grad_clip)
                    : global_norm(r->gpt->grads(), r->gpt->num_params());
  LM_RETURN_IF_ERROR(check_loss(r, loss, norm));
  float lr = r->sched.at(r->step);
  r->opt->update(r->gpt->params(), r->gpt->grads(), lr);
  r->step++;
  uint64_t step_tokens =
      (uint64_t)r->cfg.batch_size * r->cfg.seq_len * r->cfg.grad_accum * r->comm->world();
  r->tokens += step_tokens;
  StepMetrics m;
  m.step = r->step;
  m.max_steps = r->cfg.max_steps;
  m.tokens = r->tokens;
  m.loss = loss;
  m.lr = lr;
  m.grad_norm = norm;
  if (r->mask_fraction >= 0) m.loss_mask_fraction = r->mask_fraction;
  m.ms = timer.seconds() * 1e3;
  m.tokens_per_sec = step_tokens / std::max(1e-9, timer.seconds());
  const double achieved =  // this rank's FLOP/s
      m.tokens_per_sec * r->gpt->config().flops_per_token(r->cfg.seq_len) / r->comm->world();
  m.mfu = achieved / r->peak.observe(achieved);
  return m;
}

// The matmul FLOP/s measurement MFU divides by (best of 0.3 s of 1024^3 products with the run's
// kernel set: sgemm, or AMX bf16 for cpu-bf16; see PeakFlops).
double measure_peak(const Run& r) { return kernels::measure_matmul_flops(0.3, &r.gpt->kernels()); }

// run.json: the model, the threads and the peak FLOP/s that MFU divides by (written again at the
// end of a run whose peak was revised, see PeakFlops).
Status write_run_info(const Run& r) {
  nlohmann::json info = {{"params", r.gpt->config().num_params()},
                         {"flops_per_token", r.gpt->config().flops_per_token(r.cfg.seq_len)},
                         {"peak_flops", r.peak.value()},
                         {"peak_flops_remeasured", r.peak.remeasured()},
                         {"peak_flops_from_a_step", r.peak.raised_to_achieved()},
                         {"threads", kernels::kernel_threads()},
                         {"world", r.comm->world()},
                         {"comm", r.comm->backend()},
                         {"kernels", r.cfg.kernels},
                         {"kernels_used", r.gpt->kernels().name},
                         {"tokenizer", r.meta.tokenizer},
                         {"model", r.gpt->config().to_hf_json()}};
  return write_file_atomic(r.cfg.out + "/run.json", info.dump(2) + "\n");
}

Status setup(Run* r, bool resume) {
  LM_RETURN_IF_ERROR(r->cfg.validate());
  if (r->cfg.out.empty())
    return invalid_argument("train: no run directory").with_hint("pass --out RUN_DIR");
  kernels::set_kernel_threads(resolve_threads(r->cfg.threads));
  LM_RETURN_IF_ERROR(detail::open_data(r));
  LM_RETURN_IF_ERROR(detail::build_model(r));
  if (resume) LM_RETURN_IF_ERROR(detail::load_checkpoint(r));
  if (!r->rank0()) return ok_status();
  LM_RETURN_IF_ERROR(make_dirs(r->cfg.out));
  if (!resume && file_exists(r->cfg.out + "/metrics.jsonl"))
    return invalid_argument("{}: already holds a run (metrics.jsonl)", r->cfg.out)
        .with_hint("pass --resume to continue it, or choose another --out");
  LM_RETURN_IF_ERROR(detail::trim_metrics(r->cfg.out + "/metrics.jsonl", r->step));
  r->peak = PeakFlops(r->cfg.peak_flops > 0 ? r->cfg.peak_flops : measure_peak(*r), {});
  LM_RETURN_IF_ERROR(write_run_info(*r));
  return write_file_atomic(r->cfg.out + "/config.toml", r->cfg.to_toml());
}

}  // namespace

double PeakFlops::observe(double achieved) {
  if (!measure_ || achieved <= peak_) return peak_;
  if (left_ > 0) {
    --left_;
    ++remeasured_;
    peak_ = std::max(peak_, measure_());
  }
  if (achieved > peak_) {
    peak_ = achieved;
    raised_ = true;
  }
  return peak_;
}

Result<TrainSummary> run_training(const TrainConfig& cfg, bool resume, Comm* comm,
                                  const TrainHooks& hooks) {
  std::unique_ptr<Comm> own;
  if (!comm) {
    LM_ASSIGN_OR_RETURN(own, make_comm("single"));
    comm = own.get();
  }
  Run r;
  r.cfg = cfg;
  r.comm = comm;
  r.hooks = &hooks;
  LM_RETURN_IF_ERROR(setup(&r, resume));
  double peak = r.peak.value();
  comm->allreduce_sum(&peak, 1);  // only rank 0 measured
  std::function<double()> remeasure;
  if (cfg.peak_flops <= 0) remeasure = [&r] { return measure_peak(r); };
  r.peak = PeakFlops(peak, remeasure);
  TrainSummary sum;
  std::vector<double> rates;
  while (r.step < r.cfg.max_steps) {
    LM_ASSIGN_OR_RETURN(StepMetrics m, train_step(&r));
    bool last = r.step == r.cfg.max_steps;
    if (r.val && ((r.cfg.eval_interval > 0 && r.step % r.cfg.eval_interval == 0) || last)) {
      LM_ASSIGN_OR_RETURN(m.val_loss, validate(&r));
      sum.final_val_loss = m.val_loss;
    }
    rates.push_back(m.tokens_per_sec);
    sum.final_loss = m.loss;
    if (r.rank0()) {
      write_metrics(&r, m);
      if (hooks.on_step) hooks.on_step(m);
    }
    bool ckpt = last || (r.cfg.checkpoint_interval > 0 && r.step % r.cfg.checkpoint_interval == 0);
    if (ckpt && r.rank0()) LM_RETURN_IF_ERROR(detail::save_checkpoint(r));
    if (ckpt) comm->barrier();
    if (!last && hooks.should_stop && hooks.should_stop(r.step)) break;
  }
  std::sort(rates.begin(), rates.end());
  sum.steps = r.step;
  sum.tokens = r.tokens;
  sum.tokens_per_sec = rates.empty() ? 0 : rates[rates.size() / 2];
  sum.peak_flops = r.peak.value();
  if (r.rank0() && r.peak.remeasured() > 0) LM_RETURN_IF_ERROR(write_run_info(r));
  sum.params = r.gpt->config().num_params();
  sum.run_dir = r.cfg.out;
  return sum;
}

}  // namespace lm::train
