// cpu_kernels_avx2.cc: cpu_kernels.cc compiled with -mavx2 -mfma (see cpu_variant.h).
#define LM_CPU_AVX2 1
#include "kernels/cpu/cpu_kernels.cc"
