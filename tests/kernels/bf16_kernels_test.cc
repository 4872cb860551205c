// bf16_kernels_test.cc: the AMX bf16 products (kernels/cpu/cpu_amx.cc) and the cpu-bf16 kernel
// set. Each product is checked against a double-precision sum of the same bf16-rounded
// operands (so only the order of the fp32 sums may differ), every transposition and odd size
// included, and the set against the fp32 ref kernels to bf16's precision. Skipped on a CPU
// without AMX-BF16, where the set is the cpu one.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/rng.h"
#include "kernel_test_util.h"
#include "kernels/cpu/cpu_amx.h"
#include "kernels/kernels.h"

namespace lm::kernels {
namespace {

using testing_util::randn;
using testing_util::rel_err;
using testing_util::Vec;

// fp32 -> bf16 -> fp32, round to nearest even.
float bf16_round(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0x7fffu + ((u >> 16) & 1u);
  u &= 0xffff0000u;
  std::memcpy(&f, &u, 4);
  return f;
}

#define SKIP_WITHOUT_AMX()                                                               \
  if (!amx::available()) {                                                               \
    EXPECT_STREQ(bf16_kernels().name, "cpu");                                            \
    GTEST_SKIP() << "this CPU has no AMX-BF16: cpu-bf16 is the cpu set (checked above)"; \
  }

TEST(AmxGemm, MatchesBf16RoundedDoubleSumsForEveryLayout) {
  SKIP_WITHOUT_AMX();
  struct Case {
    size_t M, N, K;
  };
  const Case cases[] = {{1, 1, 1},     {5, 7, 3},     {16, 16, 32},   {33, 47, 65},
                        {64, 96, 128}, {70, 130, 17}, {31, 300, 513}, {200, 40, 1000}};
  Rng rng(7);
  for (const Case& c : cases) {
    for (int layout = 0; layout < 8; layout++) {
      bool ta = layout & 1, tb = layout & 2, tc = layout & 4;
      size_t lda = ta ? c.M + 3 : c.K + 5, ldb = tb ? c.K + 2 : c.N + 1, ldc = tc ? c.M + 4 : c.N;
      Vec A = randn((ta ? c.K : c.M) * lda, rng), B = randn((tb ? c.N : c.K) * ldb, rng);
      Vec C0 = randn((tc ? c.N : c.M) * ldc, rng);
      for (bool acc : {false, true}) {
        Vec C = C0;
        amx::gemm(c.M, c.N, c.K, A.data(), lda, ta, B.data(), ldb, tb, C.data(), ldc, tc, acc);
        for (size_t m = 0; m < c.M; m++)
          for (size_t n = 0; n < c.N; n++) {
            double s = 0, mag = 0;
            for (size_t k = 0; k < c.K; k++) {
              double a = bf16_round(ta ? A[k * lda + m] : A[m * lda + k]);
              double b = bf16_round(tb ? B[n * ldb + k] : B[k * ldb + n]);
              s += a * b;
              mag += std::fabs(a * b);
            }
            size_t at = tc ? n * ldc + m : m * ldc + n;
            if (acc) s += C0[at];
            ASSERT_NEAR(C[at], s, 1e-5 * (mag + std::fabs(s)) + 1e-6)
                << "M " << c.M << " N " << c.N << " K " << c.K << " ta " << ta << " tb " << tb
                << " tc " << tc << " acc " << acc << " at " << m << "," << n;
          }
        // Outside the M x N result nothing is written (the padding of ldc keeps its values).
        for (size_t i = 0; i < C.size(); i++) {
          size_t row = i / ldc, col = i % ldc;
          bool inside = tc ? (row < c.N && col < c.M) : (row < c.M && col < c.N);
          if (!inside) {
            ASSERT_EQ(C[i], C0[i]) << "wrote outside the result at " << i;
          }
        }
      }
    }
  }
}

TEST(Bf16Kernels, MatmulAndHeadAgreeWithRefToBf16Precision) {
  SKIP_WITHOUT_AMX();
  const KernelSet& R = ref_kernels();
  const KernelSet& K = bf16_kernels();
  EXPECT_STREQ(K.name, "cpu-bf16");
  Rng rng(3);
  int N = 97, C = 48, OC = 145, V = 301;
  Vec x = randn((size_t)N * C, rng), w = randn((size_t)C * OC, rng), b = randn(OC, rng);
  Vec o1((size_t)N * OC), o2(o1.size());
  R.matmul_forward(o1.data(), x.data(), w.data(), b.data(), N, C, OC);
  K.matmul_forward(o2.data(), x.data(), w.data(), b.data(), N, C, OC);
  EXPECT_LT(rel_err(o2, o1), 2e-2);
  EXPECT_GT(rel_err(o2, o1), 0) << "the products are not bf16";
  for (int oc : {OC, 17}) {  // OC >= C and OC < C take the two ways to dweight
    Vec w2 = randn((size_t)C * oc, rng), dy = randn((size_t)N * oc, rng);
    Vec dx1(x.size()), dx2(x.size()), dw1(w2.size(), 1), dw2(w2.size(), 1), db1(oc, 2), db2(oc, 2);
    R.matmul_backward(dx1.data(), dw1.data(), db1.data(), dy.data(), x.data(), w2.data(), N, C, oc);
    K.matmul_backward(dx2.data(), dw2.data(), db2.data(), dy.data(), x.data(), w2.data(), N, C, oc);
    EXPECT_LT(rel_err(dx2, dx1), 2e-2) << oc;
    EXPECT_LT(rel_err(dw2, dw1), 2e-2) << oc;
    EXPECT_LT(rel_err(db2, db1), 1e-5) << oc;  // column sums stay fp32
  }
  Vec wte = randn((size_t)V * C, rng), l1((size_t)N * V), l2(l1.size());
  R.head_forward(l1.data(), x.data(), wte.data(), N, C, V);
  K.head_forward(l2.data(), x.data(), wte.data(), N, C, V);
  EXPECT_LT(rel_err(l2, l1), 2e-2);
  Vec dl = randn((size_t)N * V, rng), hx1(x.size()), hx2(x.size()), hw1(wte.size(), -1),
      hw2(wte.size(), -1);
  R.head_backward(hx1.data(), hw1.data(), dl.data(), x.data(), wte.data(), N, C, V);
  K.head_backward(hx2.data(), hw2.data(), dl.data(), x.data(), wte.data(), N, C, V);
  EXPECT_LT(rel_err(hx2, hx1), 2e-2);
  EXPECT_LT(rel_err(hw2, hw1), 2e-2);
}

TEST(Bf16Kernels, SameBytesForAnyThreadCount) {
  SKIP_WITHOUT_AMX();
  const KernelSet& K = bf16_kernels();
  int N = 301, C = 64, OC = 200, V = 517;
  Rng rng(11);
  Vec x = randn((size_t)N * C, rng), w = randn((size_t)C * OC, rng), b = randn(OC, rng);
  Vec dy = randn((size_t)N * OC, rng), wte = randn((size_t)V * C, rng),
      dl = randn((size_t)N * V, rng);
  auto run = [&](int threads) {
    set_kernel_threads(threads);
    Vec o((size_t)N * OC), dx((size_t)N * C), dw(w.size()), db(OC), lg((size_t)N * V),
        hx((size_t)N * C), hw(wte.size());
    K.matmul_forward(o.data(), x.data(), w.data(), b.data(), N, C, OC);
    K.matmul_backward(dx.data(), dw.data(), db.data(), dy.data(), x.data(), w.data(), N, C, OC);
    K.head_forward(lg.data(), x.data(), wte.data(), N, C, V);
    K.head_backward(hx.data(), hw.data(), dl.data(), x.data(), wte.data(), N, C, V);
    return std::vector<Vec>{o, dx, dw, db, lg, hx, hw};
  };
  auto one = run(1), two = run(2), five = run(5);
  set_kernel_threads(1);
  for (size_t i = 0; i < one.size(); i++) {
    EXPECT_TRUE(one[i] == two[i]) << i;
    EXPECT_TRUE(one[i] == five[i]) << i;
  }
}

}  // namespace
}  // namespace lm::kernels
