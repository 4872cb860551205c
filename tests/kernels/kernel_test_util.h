// kernel_test_util.h: random operands and the relative error the kernel tests compare with.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/rng.h"

namespace lm::testing_util {

using Vec = std::vector<float>;

inline Vec randn(size_t n, Rng& rng, float scale = 1.0f) {
  Vec v(n);
  for (auto& x : v) x = (float)rng.normal() * scale;
  return v;
}

// max |a-b| / max(1e-6, max |b|)
inline double rel_err(const Vec& a, const Vec& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0, m = 1e-6;
  for (size_t i = 0; i < a.size() && i < b.size(); i++) {
    d = std::max(d, (double)std::fabs(a[i] - b[i]));
    m = std::max(m, (double)std::fabs(b[i]));
  }
  return d / m;
}

}  // namespace lm::testing_util
