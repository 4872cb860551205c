// cuda_test_util.h: what the CUDA tests share. LM_REQUIRE_CUDA_GPU() selects GPU 0 or skips the
// test. It skips also under CI=true, the one exception to test_util.h's rule: a missing GPU is
// absent hardware, not a missing peer a CI job could install (CI runs on a machine without one).
// Host <-> device copies of std::vectors for comparing the cuda kernels with the cpu ones.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "kernels/device.h"

#define LM_REQUIRE_CUDA_GPU()                                                             \
  do {                                                                                    \
    ::lm::Status lm_gpu_ = ::lm::kernels::cuda_select(0);                                 \
    if (!lm_gpu_.ok()) GTEST_SKIP() << lm_gpu_.message() << " (the CUDA tests need one)"; \
  } while (0)

namespace lm::testing_util {

template <typename T>
kernels::DeviceArray<T> to_gpu(const std::vector<T>& v) {
  return kernels::DeviceArray<T>(v.data(), v.size());
}

template <typename T>
std::vector<T> to_cpu(const kernels::DeviceArray<T>& d) {
  std::vector<T> v(d.size());
  d.download(v.data());
  return v;
}

}  // namespace lm::testing_util
