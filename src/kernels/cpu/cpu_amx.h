// cpu_amx.h: bf16 matrix products on Intel AMX (cpu_amx.cc), behind the "cpu-bf16" kernel set.
#pragma once

#include <cstddef>

namespace lm::kernels::amx {

// True when the CPU has AMX-BF16, AMX-TILE and AVX512-BF16 and Linux granted this process the
// tile state. Call before gemm.
bool available();

// C (M,N) = op(A) (M,K) @ op(B) (K,N), or C += it if accumulate; every operand fp32 in memory,
// rounded to bf16 for the products, fp32 sums. op(A)[m][k] = A[m*lda + k], or A[k*lda + m] if
// ta; op(B)[k][n] = B[k*ldb + n], or B[n*ldb + k] if tb; C is written at C[m*ldc + n], or at
// C[n*ldc + m] if tc. Uses kernel_threads() threads; the bytes out do not depend on them.
void gemm(size_t M, size_t N, size_t K, const float* A, size_t lda, bool ta, const float* B,
          size_t ldb, bool tb, float* C, size_t ldc, bool tc, bool accumulate);

}  // namespace lm::kernels::amx
