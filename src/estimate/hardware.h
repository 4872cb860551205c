// hardware.h: accelerators the estimator knows (memory in bytes, dense peak FLOP/s from vendor
// data sheets, without sparsity) and the time/GPU-hours a run takes at a given MFU
// (PaLM §4.1: MFU = achieved model FLOP/s / peak FLOP/s).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace lm::estimate {

struct Gpu {
  std::string name;
  double memory_bytes = 0;
  double peak_bf16 = 0;  // dense bf16/fp16 tensor-core FLOP/s
  double peak_fp32 = 0;  // FLOP/s used for fp32 training (TF32 tensor cores where they exist)
};

const std::vector<Gpu>& known_gpus();
// Name (a100-80g, h100, h200, ...); the error lists the known names.
Result<Gpu> find_gpu(const std::string& name);

struct TrainTime {
  double seconds = 0;
  double gpu_hours = 0;
  double flops_per_second = 0;  // gpus * peak * mfu
};
TrainTime train_time(double total_flops, int64_t gpus, double peak, double mfu);

}  // namespace lm::estimate
