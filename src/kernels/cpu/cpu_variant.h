// cpu_variant.h: the cpu kernels are compiled twice, once for any x86-64 (namespace
// lm::kernels::generic, SSE2 only) and once with AVX2 + FMA (namespace lm::kernels::avx2, from
// the *_avx2.cc files that define LM_CPU_AVX2 and include the generic sources). The elementwise
// loops (GELU, LayerNorm, softmax, exp) need AVX2's vector floor/FMA to vectorize; the build
// default (no -march=native) would leave them scalar. cpu_kernels() picks the AVX2 table when
// the CPU has it, so a binary built anywhere stays portable. Both give the same bytes for any
// thread count; they differ from each other only in rounding.
#pragma once

#include "kernels/kernels.h"

#ifdef LM_CPU_AVX2
#define LM_CPU_VARIANT avx2
#else
#define LM_CPU_VARIANT generic
#endif

namespace lm::kernels {
namespace generic {
const KernelSet& table();
}
namespace avx2 {
const KernelSet& table();
}

inline bool cpu_has_avx2_fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
}  // namespace lm::kernels
