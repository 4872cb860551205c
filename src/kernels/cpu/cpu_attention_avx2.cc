// cpu_attention_avx2.cc: cpu_attention.cc compiled with -mavx2 -mfma (see cpu_variant.h).
#define LM_CPU_AVX2 1
#include "kernels/cpu/cpu_attention.cc"
