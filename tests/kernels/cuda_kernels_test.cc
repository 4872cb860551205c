// cuda_kernels_test.cc: every kernel of the cuda set against the cpu set on random inputs, odd
// shapes included (T not a multiple of 32, head sizes and widths not multiples of 4, masked
// losses, document segments), fp32 within 1e-4 relative; plus the error path (a failed CUDA
// call becomes a Status, not a crash). Without a GPU (or built without CUDA) every test but
// CudaProbe skips with the reason, also under CI=true (cuda_test_util.h).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"
#include "cuda_test_util.h"
#include "kernel_test_util.h"
#include "kernels/device.h"
#include "kernels/kernels.h"

namespace lm::kernels {
namespace {

using testing_util::randn;
using testing_util::rel_err;
using testing_util::to_cpu;
using testing_util::to_gpu;
using testing_util::Vec;
using IVec = std::vector<int32_t>;
constexpr double kTol = 1e-4;

struct Shape {
  int B, T, C, NH, V;
};
// C = 18 and 42: widths and head sizes (6, 7) that are not multiples of 4; T = 33, 70, 129 are
// not multiples of 32 (70 and 129 also cross the cpu kernel's 64-row blocks).
const Shape kShapes[] = {{1, 1, 4, 1, 5},
                         {2, 7, 18, 3, 13},
                         {3, 33, 42, 6, 37},
                         {2, 70, 64, 4, 101},
                         {1, 129, 48, 2, 61}};

IVec random_segments(int B, int T, Rng& rng) {
  IVec seg((size_t)B * T);
  for (int b = 0; b < B; b++) {
    int id = 0;
    for (int t = 0; t < T; t++) {
      if (t > 0 && rng.below(11) == 0) id++;
      seg[(size_t)b * T + t] = id;
    }
  }
  return seg;
}

class CudaVsCpu : public ::testing::Test {
 protected:
  void SetUp() override {
    LM_REQUIRE_CUDA_GPU();
    G = cuda_kernels();
    ASSERT_NE(G, nullptr);
  }
  void TearDown() override {
    if (G) {
      Status s = cuda_sync();
      EXPECT_TRUE(s.ok()) << s.to_string();
    }
  }
  const KernelSet& K = cpu_kernels();
  const KernelSet* G = nullptr;
};

TEST(CudaProbe, SaysWhyWhenUnavailable) {
  Status s = cuda_probe(0);
  if (s.ok()) {
    EXPECT_TRUE(cuda_built());
    EXPECT_NE(cuda_kernels(), nullptr);
    return;
  }
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.to_string();
  const std::string& m = s.message();
  EXPECT_TRUE(m.rfind(cuda_built() ? "no CUDA GPU present" : "built without CUDA", 0) == 0) << m;
  EXPECT_NE(s.hint().find("--device cpu"), std::string::npos) << s.hint();
  if (!cuda_built()) {
    EXPECT_EQ(cuda_kernels(), nullptr);
  }
}

TEST_F(CudaVsCpu, EncoderLayernormResidualGelu) {
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(::testing::Message() << "B " << s.B << " T " << s.T << " C " << s.C);
    Rng rng(s.T * 31 + s.C);
    int N = s.B * s.T;
    IVec tok(N), pos(N);
    for (int i = 0; i < N; i++) tok[i] = (int32_t)rng.below(s.V), pos[i] = (int32_t)rng.below(s.T);
    Vec wte = randn((size_t)s.V * s.C, rng), wpe = randn((size_t)s.T * s.C, rng);
    auto dtok = to_gpu(tok), dpos = to_gpu(pos);
    auto dwte = to_gpu(wte), dwpe = to_gpu(wpe);
    for (bool with_pos : {true, false}) {
      Vec o(N * s.C);
      DeviceArray<float> dout_(o.size());
      K.encoder_forward(o.data(), tok.data(), with_pos ? pos.data() : nullptr, wte.data(),
                        wpe.data(), s.B, s.T, s.C);
      G->encoder_forward(dout_.data(), dtok.data(), with_pos ? dpos.data() : nullptr, dwte.data(),
                         dwpe.data(), s.B, s.T, s.C);
      EXPECT_LT(rel_err(to_cpu(dout_), o), kTol);
      // backward accumulates: start from nonzero gradients
      Vec dy = randn(o.size(), rng), g(wte.size(), 0.5f), p(wpe.size(), -0.25f);
      auto ddy = to_gpu(dy), dg = to_gpu(g), dp = to_gpu(p);
      K.encoder_backward(g.data(), p.data(), dy.data(), tok.data(), with_pos ? pos.data() : nullptr,
                         s.B, s.T, s.C);
      G->encoder_backward(dg.data(), dp.data(), ddy.data(), dtok.data(),
                          with_pos ? dpos.data() : nullptr, s.B, s.T, s.C);
      EXPECT_LT(rel_err(to_cpu(dg), g), kTol);
      EXPECT_LT(rel_err(to_cpu(dp), p), kTol);
    }

    Vec x = randn(N * s.C, rng, 3.0f), w = randn(s.C, rng), b = randn(s.C, rng);
    auto dx = to_gpu(x), dw = to_gpu(w), db = to_gpu(b);
    for (bool with_bias : {true, false}) {
      Vec o(N * s.C), m(N), r(N);
      DeviceArray<float> go(o.size()), gm(N), gr(N);
      K.layernorm_forward(o.data(), m.data(), r.data(), x.data(), w.data(),
                          with_bias ? b.data() : nullptr, N, s.C);
      G->layernorm_forward(go.data(), gm.data(), gr.data(), dx.data(), dw.data(),
                           with_bias ? db.data() : nullptr, N, s.C);
      EXPECT_LT(rel_err(to_cpu(go), o), kTol);
      EXPECT_LT(rel_err(to_cpu(gm), m), kTol);
      EXPECT_LT(rel_err(to_cpu(gr), r), kTol);
      Vec dy = randn(o.size(), rng), dxv(o.size(), 0.5f), dwv(s.C, 1.0f), dbv(s.C, 2.0f);
      auto gdy = to_gpu(dy), gdx = to_gpu(dxv), gdw = to_gpu(dwv), gdb = to_gpu(dbv);
      K.layernorm_backward(dxv.data(), dwv.data(), with_bias ? dbv.data() : nullptr, dy.data(),
                           x.data(), w.data(), m.data(), r.data(), N, s.C);
      G->layernorm_backward(gdx.data(), gdw.data(), with_bias ? gdb.data() : nullptr, gdy.data(),
                            dx.data(), dw.data(), gm.data(), gr.data(), N, s.C);
      EXPECT_LT(rel_err(to_cpu(gdx), dxv), kTol);
      EXPECT_LT(rel_err(to_cpu(gdw), dwv), kTol);
      EXPECT_LT(rel_err(to_cpu(gdb), dbv), kTol);
    }

    Vec a = randn(N * 4 * s.C, rng, 2.0f), c = randn(a.size(), rng), o(a.size());
    auto ga = to_gpu(a), gc = to_gpu(c);
    DeviceArray<float> go(a.size());
    K.residual_forward(o.data(), a.data(), c.data(), a.size());
    G->residual_forward(go.data(), ga.data(), gc.data(), a.size());
    EXPECT_LT(rel_err(to_cpu(go), o), kTol);
    K.gelu_forward(o.data(), a.data(), a.size());
    G->gelu_forward(go.data(), ga.data(), a.size());
    EXPECT_LT(rel_err(to_cpu(go), o), kTol);
    K.gelu_backward(o.data(), a.data(), c.data(), a.size());
    G->gelu_backward(gc.data(), ga.data(), gc.data(), a.size());  // dinp aliases dout
    EXPECT_LT(rel_err(to_cpu(gc), o), kTol);
  }
}

TEST_F(CudaVsCpu, MatmulAndHead) {
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(::testing::Message() << "B " << s.B << " T " << s.T << " C " << s.C);
    Rng rng(s.V * 7 + s.T);
    int N = s.B * s.T, C = s.C, OC = 3 * s.C + 1;  // OC odd
    Vec x = randn((size_t)N * C, rng), w = randn((size_t)C * OC, rng), b = randn(OC, rng);
    auto gx = to_gpu(x), gw = to_gpu(w), gb = to_gpu(b);
    for (bool with_bias : {true, false}) {
      Vec o((size_t)N * OC);
      DeviceArray<float> go(o.size());
      K.matmul_forward(o.data(), x.data(), w.data(), with_bias ? b.data() : nullptr, N, C, OC);
      G->matmul_forward(go.data(), gx.data(), gw.data(), with_bias ? gb.data() : nullptr, N, C, OC);
      EXPECT_LT(rel_err(to_cpu(go), o), kTol);
      Vec dy = randn(o.size(), rng), dx(x.size(), 9.0f), dw(w.size(), 0.5f), db(OC, -1.0f);
      auto gdy = to_gpu(dy), gdx = to_gpu(dx), gdw = to_gpu(dw), gdb = to_gpu(db);
      K.matmul_backward(dx.data(), dw.data(), with_bias ? db.data() : nullptr, dy.data(), x.data(),
                        w.data(), N, C, OC);
      G->matmul_backward(gdx.data(), gdw.data(), with_bias ? gdb.data() : nullptr, gdy.data(),
                         gx.data(), gw.data(), N, C, OC);
      EXPECT_LT(rel_err(to_cpu(gdx), dx), kTol);  // overwritten
      EXPECT_LT(rel_err(to_cpu(gdw), dw), kTol);  // accumulated
      EXPECT_LT(rel_err(to_cpu(gdb), db), kTol);
    }
    Vec wte = randn((size_t)s.V * C, rng), l((size_t)N * s.V);
    auto gwte = to_gpu(wte);
    DeviceArray<float> gl(l.size());
    K.head_forward(l.data(), x.data(), wte.data(), N, C, s.V);
    G->head_forward(gl.data(), gx.data(), gwte.data(), N, C, s.V);
    EXPECT_LT(rel_err(to_cpu(gl), l), kTol);
    Vec dl = randn(l.size(), rng), dx(x.size(), 3.0f), dwte(wte.size(), 0.25f);
    auto gdl = to_gpu(dl), gdx = to_gpu(dx), gdwte = to_gpu(dwte);
    K.head_backward(dx.data(), dwte.data(), dl.data(), x.data(), wte.data(), N, C, s.V);
    G->head_backward(gdx.data(), gdwte.data(), gdl.data(), gx.data(), gwte.data(), N, C, s.V);
    EXPECT_LT(rel_err(to_cpu(gdx), dx), kTol);
    EXPECT_LT(rel_err(to_cpu(gdwte), dwte), kTol);
  }
}

TEST_F(CudaVsCpu, AttentionWithAndWithoutSegments) {
  for (const Shape& s : kShapes) {
    for (bool docs : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "B " << s.B << " T " << s.T << " C " << s.C << " NH "
                                        << s.NH << (docs ? " segments" : ""));
      Rng rng(s.T * 13 + s.NH + docs);
      int B = s.B, T = s.T, C = s.C, NH = s.NH;
      IVec segv = random_segments(B, T, rng);
      Vec qkv = randn((size_t)B * T * 3 * C, rng);
      auto gseg = to_gpu(segv);
      auto gqkv = to_gpu(qkv);
      const int32_t* seg = docs ? segv.data() : nullptr;
      const int32_t* dseg = docs ? gseg.data() : nullptr;
      size_t natt = (size_t)B * NH * T * T;
      Vec o((size_t)B * T * C), a(natt), sc(natt);
      DeviceArray<float> go(o.size()), ga(natt), gsc(natt);
      K.attention_forward(o.data(), a.data(), qkv.data(), seg, B, T, C, NH);
      G->attention_forward(go.data(), ga.data(), gqkv.data(), dseg, B, T, C, NH);
      EXPECT_LT(rel_err(to_cpu(go), o), kTol);
      EXPECT_LT(rel_err(to_cpu(ga), a), kTol);
      Vec dy = randn(o.size(), rng), dq(qkv.size(), 7.0f);
      auto gdy = to_gpu(dy), gdq = to_gpu(dq);
      K.attention_backward(dq.data(), sc.data(), dy.data(), qkv.data(), a.data(), seg, B, T, C, NH);
      G->attention_backward(gdq.data(), gsc.data(), gdy.data(), gqkv.data(), ga.data(), dseg, B, T,
                            C, NH);
      EXPECT_LT(rel_err(to_cpu(gdq), dq), kTol);  // overwritten
    }
  }
}

TEST_F(CudaVsCpu, CrossEntropyWithMaskedLosses) {
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(::testing::Message() << "N " << s.B * s.T << " V " << s.V);
    Rng rng(s.V + s.B);
    int N = s.B * s.T, V = s.V;
    Vec logits = randn((size_t)N * V, rng, 4.0f), dl(N);
    IVec tgt(N);
    for (int i = 0; i < N; i++) {
      tgt[i] = (int32_t)rng.below(V);
      dl[i] = rng.below(3) == 0 ? 0.0f : 1.0f / N;  // a third masked out
    }
    auto gl = to_gpu(logits), gdl = to_gpu(dl);
    auto gt = to_gpu(tgt);
    Vec loss(N), probs(logits.size());
    DeviceArray<float> gloss(N);
    K.crossentropy_forward(loss.data(), probs.data(), logits.data(), tgt.data(), N, V);
    G->crossentropy_forward(gloss.data(), gl.data(), gl.data(), gt.data(), N, V);  // in place
    EXPECT_LT(rel_err(to_cpu(gloss), loss), kTol);
    EXPECT_LT(rel_err(to_cpu(gl), probs), kTol);
    K.crossentropy_backward(probs.data(), probs.data(), tgt.data(), dl.data(), N, V);
    G->crossentropy_backward(gl.data(), gl.data(), gt.data(), gdl.data(), N, V);
    EXPECT_LT(rel_err(to_cpu(gl), probs), kTol);
  }
}

// A failed CUDA call is kept and returned by cuda_sync() with a hint, and the device stays
// usable afterwards.
TEST_F(CudaVsCpu, ErrorsBecomeStatus) {
  void* p = cuda_malloc(size_t{1} << 55);  // 32 PiB: out of memory
  EXPECT_EQ(p, nullptr);
  Status s = cuda_sync();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cudaMalloc"), std::string::npos) << s.to_string();
  EXPECT_NE(s.message().find("cuda_device.cu:"), std::string::npos) << s.to_string();
  EXPECT_FALSE(s.hint().empty());
  EXPECT_TRUE(cuda_sync().ok());  // cleared
  Vec v = {1, 2, 3};
  EXPECT_EQ(to_cpu(to_gpu(v)), v);
}

}  // namespace
}  // namespace lm::kernels
