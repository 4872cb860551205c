// hardware.cc: the accelerator table. Memory sizes: "80 GB" HBM parts hold 80 GiB.
#include "estimate/hardware.h"

namespace lm::estimate {

const std::vector<Gpu>& known_gpus() {
  static const double kGiB = 1024.0 * 1024.0 * 1024.0;
  static const std::vector<Gpu> kGpus = {
      {"v100", 32 * kGiB, 125e12, 15.7e12},    {"a10", 24 * kGiB, 125e12, 62.5e12},
      {"a100-40g", 40 * kGiB, 312e12, 156e12}, {"a100-80g", 80 * kGiB, 312e12, 156e12},
      {"h100", 80 * kGiB, 989e12, 495e12},     {"h200", 141e9, 989e12, 495e12},
      {"b200", 180e9, 2250e12, 1100e12},       {"l4", 24 * kGiB, 121e12, 60e12},
      {"rtx4090", 24 * kGiB, 165e12, 82.6e12}, {"mi250x", 128 * kGiB, 383e12, 47.9e12},
      {"mi300x", 192 * kGiB, 1307e12, 653e12}, {"tpu-v4", 32 * kGiB, 275e12, 275e12},
      {"tpu-v5p", 95 * kGiB, 459e12, 459e12},
  };
  return kGpus;
}

Result<Gpu> find_gpu(const std::string& name) {
  std::string names;
  for (const auto& g : known_gpus()) {
    if (g.name == name) return g;
    names += (names.empty() ? "" : ", ") + g.name;
  }
  return Status(Code::kInvalidArgument, fmt::format("unknown GPU '{}'", name),
                "use one of: " + names);
}

TrainTime train_time(double total_flops, int64_t gpus, double peak, double mfu) {
  TrainTime t;
  t.flops_per_second = static_cast<double>(gpus) * peak * mfu;
  t.seconds = total_flops / t.flops_per_second;
  t.gpu_hours = t.seconds * static_cast<double>(gpus) / 3600.0;
  return t;
}

}  // namespace lm::estimate
