// memory.cc: the ZeRO and Korthikanti accounting (formulas with sources in docs/scaling.md).
// With pipeline parallelism the first stage holds p micro-batches of L/p layers in flight under
// 1F1B, so activation memory is that of L layers (Korthikanti §4.2.3); model states split by tp*pp.
#include "estimate/memory.h"

#include <cmath>

namespace lm::estimate {

Result<Precision> parse_precision(const std::string& s) {
  if (s == "fp32") return Precision::kFp32;
  if (s == "mixed" || s == "bf16" || s == "fp16") return Precision::kMixed;
  if (s == "mixed-fp32-grads") return Precision::kMixedFp32Grads;
  if (s == "adam8bit" || s == "8bit-adam") return Precision::kAdam8bit;
  return Status(Code::kInvalidArgument, fmt::format("unknown precision '{}'", s),
                "use fp32, mixed (bf16/fp16 with fp32 master), mixed-fp32-grads or adam8bit");
}

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::kFp32:
      return "fp32";
    case Precision::kMixed:
      return "mixed";
    case Precision::kMixedFp32Grads:
      return "mixed-fp32-grads";
    case Precision::kAdam8bit:
      return "adam8bit";
  }
  return "?";
}

Result<Recompute> parse_recompute(const std::string& s) {
  if (s == "none") return Recompute::kNone;
  if (s == "selective") return Recompute::kSelective;
  if (s == "full") return Recompute::kFull;
  return Status(Code::kInvalidArgument, fmt::format("unknown recompute '{}'", s),
                "use none, selective or full");
}

const char* recompute_name(Recompute r) {
  switch (r) {
    case Recompute::kNone:
      return "none";
    case Recompute::kSelective:
      return "selective";
    case Recompute::kFull:
      return "full";
  }
  return "?";
}

BytesPerParam bytes_per_param(Precision p) {
  switch (p) {
    case Precision::kFp32:
      return {4, 4, 8};  // weights, grads, Adam m and v
    case Precision::kMixed:
      return {2, 2, 12};  // + fp32 master, m, v (K = 12)
    case Precision::kMixedFp32Grads:
      return {2, 4, 12};  // Megatron / DeepSpeed estimator
    case Precision::kAdam8bit:
      return {2, 2, 6};  // fp32 master + 8-bit m and v
  }
  return {};
}

double activation_bytes_per_layer(const ModelShape& m, int64_t micro_batch, int64_t tp, bool sp,
                                  Recompute r) {
  const double s = static_cast<double>(m.seq_len), b = static_cast<double>(micro_batch);
  const double h = static_cast<double>(m.n_embd), a = static_cast<double>(m.n_head);
  const double t = static_cast<double>(tp);
  const double sbh = s * b * h;
  if (r == Recompute::kFull) return 2 * sbh / (sp ? t : 1);  // only the layer input is kept
  // Korthikanti's 34 sbh = 10 sbh outside the tensor-parallel region (two LayerNorm inputs 4,
  // the QKV and MLP inputs 2 + 2, two dropout masks 2) + 24 sbh inside it (attention 8, MLP 16);
  // an attention-only block keeps 5 sbh outside (one LayerNorm, the QKV input, one mask) + 8.
  const double outside = m.mlp ? 10 : 5, inside = m.mlp ? 24 : 8;
  if (r == Recompute::kSelective)
    return sp ? (outside + inside) * sbh / t : sbh * (outside + inside / t);
  if (sp) return sbh / t * (outside + inside + 5 * a * s / h);
  return sbh * (outside + inside / t + 5 * a * s / (h * t));
}

MemoryBreakdown memory_per_gpu(double params, const ModelShape& s, const TrainSetup& t) {
  const BytesPerParam bpp = bytes_per_param(t.precision);
  const double model_split = static_cast<double>(t.par.tp * t.par.pp);
  const double shard = static_cast<double>(t.par.dp);
  const double psi = params / model_split;
  MemoryBreakdown m;
  m.weights = bpp.weights * psi / (t.par.zero_stage >= 3 ? shard : 1);
  m.gradients = bpp.gradients * psi / (t.par.zero_stage >= 2 ? shard : 1);
  m.optimizer = bpp.optimizer * psi / (t.par.zero_stage >= 1 ? shard : 1);
  m.activations =
      static_cast<double>(s.n_layer) *
      activation_bytes_per_layer(s, t.micro_batch, t.par.tp, t.par.sequence_parallel, t.recompute);
  return m;
}

Status validate_setup(const TrainSetup& t) {
  if (t.par.dp < 1 || t.par.tp < 1 || t.par.pp < 1 || t.micro_batch < 1) {
    return Status(Code::kInvalidArgument,
                  fmt::format("data/tensor/pipeline parallel degrees and micro batch must be >= 1, "
                              "got dp {} tp {} pp {} micro batch {}",
                              t.par.dp, t.par.tp, t.par.pp, t.micro_batch),
                  "--gpus must be a multiple of --tp * --pp");
  }
  if (t.par.zero_stage < 0 || t.par.zero_stage > 3) {
    return invalid_argument("ZeRO stage must be 0, 1, 2 or 3, got {}", t.par.zero_stage);
  }
  return ok_status();
}

std::optional<int64_t> min_gpus(double params, const ModelShape& s, TrainSetup t, double gpu_bytes,
                                double overhead) {
  auto fits = [&](int64_t dp) {
    t.par.dp = dp;
    return memory_per_gpu(params, s, t).total() * (1 + overhead) <= gpu_bytes;
  };
  if (fits(1)) return t.par.tp * t.par.pp;
  if (t.par.zero_stage == 0) return std::nullopt;  // nothing shards: more GPUs do not help
  int64_t hi = 2;  // memory falls monotonically with dp: double, then bisect
  while (!fits(hi)) {
    if (hi > (int64_t{1} << 24)) return std::nullopt;
    hi *= 2;
  }
  int64_t lo = hi / 2;  // lo does not fit, hi does
  while (hi - lo > 1) {
    int64_t mid = (lo + hi) / 2;
    (fits(mid) ? hi : lo) = mid;
  }
  return hi * t.par.tp * t.par.pp;
}

}  // namespace lm::estimate
