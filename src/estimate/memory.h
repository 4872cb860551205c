// memory.h: training memory per GPU split by component. Model states by precision (fp32; mixed
// bf16/fp16 with fp32 master: 16 B/param, ZeRO paper; mixed with fp32 gradients: 18; 8-bit Adam)
// sharded by ZeRO stage 0-3 over data parallel and divided by tensor x pipeline parallel;
// activations by Korthikanti et al. 2022 (none / selective / full recompute, sequence parallel).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
#include "estimate/model_shape.h"

namespace lm::estimate {

enum class Precision { kFp32, kMixed, kMixedFp32Grads, kAdam8bit };
Result<Precision> parse_precision(
    const std::string& s);  // fp32|mixed|bf16|fp16|mixed-fp32-grads|adam8bit
const char* precision_name(Precision p);

enum class Recompute { kNone, kSelective, kFull };
Result<Recompute> parse_recompute(const std::string& s);  // none|selective|full
const char* recompute_name(Recompute r);

struct BytesPerParam {
  double weights = 0, gradients = 0, optimizer = 0;
  double total() const { return weights + gradients + optimizer; }
};
BytesPerParam bytes_per_param(Precision p);

struct Parallelism {
  int64_t dp = 1;  // data-parallel degree (ZeRO shards over it)
  int64_t tp = 1;  // tensor parallel
  int64_t pp = 1;  // pipeline parallel
  int zero_stage = 0;
  bool sequence_parallel = false;
  int64_t gpus() const { return dp * tp * pp; }
};

struct TrainSetup {
  Precision precision = Precision::kMixed;
  Recompute recompute = Recompute::kNone;
  int64_t micro_batch = 1;  // sequences per GPU per micro-step
  Parallelism par;
};

struct MemoryBreakdown {
  double weights = 0, gradients = 0, optimizer = 0, activations = 0;
  double total() const { return weights + gradients + optimizer + activations; }
};

// Activation bytes per layer (16-bit activations) for s = seq, b = micro batch, h, a heads.
double activation_bytes_per_layer(const ModelShape& s, int64_t micro_batch, int64_t tp, bool sp,
                                  Recompute r);

// Per-GPU memory for `params` parameters (total) with this shape and setup.
MemoryBreakdown memory_per_gpu(double params, const ModelShape& s, const TrainSetup& t);

Status validate_setup(const TrainSetup& t);

// Smallest data-parallel degree (GPUs = dp * tp * pp) at which total * (1 + overhead) fits in
// gpu_bytes; nullopt when none up to 2^24 GPUs does (e.g. ZeRO 0 with too many parameters).
std::optional<int64_t> min_gpus(double params, const ModelShape& s, TrainSetup t, double gpu_bytes,
                                double overhead);

}  // namespace lm::estimate
