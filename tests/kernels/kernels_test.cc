// kernels_test.cc: every kernel of the cpu set against the ref set on random shapes (odd sizes
// included), and every ref backward against central finite differences of its forward, in
// double-checked float (loss = sum(out * R) for a fixed random R).
#include "kernels/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "core/rng.h"
#include "kernel_test_util.h"

namespace lm::kernels {
namespace {

using testing_util::randn;
using testing_util::rel_err;
using testing_util::Vec;

struct Shape {
  int B, T, C, NH, V;
};
const Shape kShapes[] = {
    {1, 1, 4, 1, 5}, {2, 7, 12, 3, 13}, {3, 17, 20, 4, 37}, {2, 33, 64, 4, 101}};

class KernelsVsRef : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override { set_kernel_threads(GetParam()); }
  const KernelSet& R = ref_kernels();
  const KernelSet& K = cpu_kernels();
};

TEST_P(KernelsVsRef, EncoderLayernormResidual) {
  for (const Shape& s : kShapes) {
    Rng rng(s.T * 31 + s.C);
    int N = s.B * s.T;
    std::vector<int32_t> tok(N), pos(N);
    for (int i = 0; i < N; i++) tok[i] = (int32_t)rng.below(s.V), pos[i] = (int32_t)rng.below(s.T);
    Vec wte = randn((size_t)s.V * s.C, rng), wpe = randn((size_t)s.T * s.C, rng);
    Vec o1(N * s.C), o2(N * s.C);
    R.encoder_forward(o1.data(), tok.data(), pos.data(), wte.data(), wpe.data(), s.B, s.T, s.C);
    K.encoder_forward(o2.data(), tok.data(), pos.data(), wte.data(), wpe.data(), s.B, s.T, s.C);
    EXPECT_LT(rel_err(o2, o1), 1e-6);
    Vec dout = randn(N * s.C, rng), g1(wte.size()), g2(wte.size()), p1(wpe.size()), p2(wpe.size());
    R.encoder_backward(g1.data(), p1.data(), dout.data(), tok.data(), nullptr, s.B, s.T, s.C);
    K.encoder_backward(g2.data(), p2.data(), dout.data(), tok.data(), nullptr, s.B, s.T, s.C);
    EXPECT_LT(rel_err(g2, g1), 1e-6);
    EXPECT_LT(rel_err(p2, p1), 1e-6);

    Vec x = randn(N * s.C, rng, 3.0f), w = randn(s.C, rng), b = randn(s.C, rng);
    Vec m1(N), r1(N), m2(N), r2(N);
    R.layernorm_forward(o1.data(), m1.data(), r1.data(), x.data(), w.data(), b.data(), N, s.C);
    K.layernorm_forward(o2.data(), m2.data(), r2.data(), x.data(), w.data(), b.data(), N, s.C);
    EXPECT_LT(rel_err(o2, o1), 1e-5);
    EXPECT_LT(rel_err(r2, r1), 1e-5);
    Vec dx1(N * s.C, 0.5f), dx2(N * s.C, 0.5f), dw1(s.C, 1), dw2(s.C, 1), db1(s.C, 2), db2(s.C, 2);
    R.layernorm_backward(dx1.data(), dw1.data(), db1.data(), dout.data(), x.data(), w.data(),
                         m1.data(), r1.data(), N, s.C);
    K.layernorm_backward(dx2.data(), dw2.data(), db2.data(), dout.data(), x.data(), w.data(),
                         m1.data(), r1.data(), N, s.C);
    EXPECT_LT(rel_err(dx2, dx1), 1e-5);
    EXPECT_LT(rel_err(dw2, dw1), 1e-5);
    EXPECT_LT(rel_err(db2, db1), 1e-5);
    R.residual_forward(o1.data(), x.data(), dout.data(), o1.size());
    K.residual_forward(o2.data(), x.data(), dout.data(), o2.size());
    EXPECT_EQ(o1, o2);
  }
}

TEST_P(KernelsVsRef, MatmulAndHead) {
  for (const Shape& s : kShapes) {
    Rng rng(s.V);
    int N = s.B * s.T, C = s.C, OC = 3 * s.C + 1;
    Vec x = randn((size_t)N * C, rng), w = randn((size_t)C * OC, rng), b = randn(OC, rng);
    Vec o1((size_t)N * OC), o2((size_t)N * OC);
    for (const float* bias : {(const float*)b.data(), (const float*)nullptr}) {
      R.matmul_forward(o1.data(), x.data(), w.data(), bias, N, C, OC);
      K.matmul_forward(o2.data(), x.data(), w.data(), bias, N, C, OC);
      EXPECT_LT(rel_err(o2, o1), 1e-5);
    }
    Vec dy = randn((size_t)N * OC, rng);
    Vec dx1(x.size(), 1), dx2(x.size(), 1), dw1(w.size(), -1), dw2(w.size(), -1), db1(OC), db2(OC);
    R.matmul_backward(dx1.data(), dw1.data(), db1.data(), dy.data(), x.data(), w.data(), N, C, OC);
    K.matmul_backward(dx2.data(), dw2.data(), db2.data(), dy.data(), x.data(), w.data(), N, C, OC);
    EXPECT_LT(rel_err(dx2, dx1), 1e-5);
    EXPECT_LT(rel_err(dw2, dw1), 1e-5);
    EXPECT_LT(rel_err(db2, db1), 1e-5);

    int V = s.V;
    Vec wte = randn((size_t)V * C, rng), l1((size_t)N * V), l2((size_t)N * V);
    R.head_forward(l1.data(), x.data(), wte.data(), N, C, V);
    K.head_forward(l2.data(), x.data(), wte.data(), N, C, V);
    EXPECT_LT(rel_err(l2, l1), 1e-5);
    Vec dl = randn((size_t)N * V, rng), hx1(x.size()), hx2(x.size()), hw1(wte.size()),
        hw2(wte.size());
    R.head_backward(hx1.data(), hw1.data(), dl.data(), x.data(), wte.data(), N, C, V);
    K.head_backward(hx2.data(), hw2.data(), dl.data(), x.data(), wte.data(), N, C, V);
    EXPECT_LT(rel_err(hx2, hx1), 1e-5);
    EXPECT_LT(rel_err(hw2, hw1), 1e-5);
  }
}

TEST_P(KernelsVsRef, AttentionGeluCrossEntropy) {
  for (const Shape& s : kShapes) {
    Rng rng(s.C * 7 + 1);
    int N = s.B * s.T, C = s.C, T = s.T;
    size_t natt = (size_t)s.B * s.NH * T * T;
    Vec qkv = randn((size_t)N * 3 * C, rng), o1((size_t)N * C), o2((size_t)N * C);
    Vec a1(natt), a2(natt), sc(natt);
    R.attention_forward(o1.data(), a1.data(), qkv.data(), nullptr, s.B, T, C, s.NH);
    K.attention_forward(o2.data(), a2.data(), qkv.data(), nullptr, s.B, T, C, s.NH);
    EXPECT_LT(rel_err(o2, o1), 1e-5);
    EXPECT_LT(rel_err(a2, a1), 1e-5);
    Vec dy = randn((size_t)N * C, rng), d1(qkv.size(), 0.25f), d2(qkv.size(), 0.25f);
    R.attention_backward(d1.data(), sc.data(), dy.data(), qkv.data(), a1.data(), nullptr, s.B, T, C,
                         s.NH);
    K.attention_backward(d2.data(), sc.data(), dy.data(), qkv.data(), a1.data(), nullptr, s.B, T, C,
                         s.NH);
    EXPECT_LT(rel_err(d2, d1), 1e-5);

    Vec x = randn((size_t)N * C, rng, 2.0f), g1(x.size()), g2(x.size());
    R.gelu_forward(g1.data(), x.data(), x.size());
    K.gelu_forward(g2.data(), x.data(), x.size());
    EXPECT_LT(rel_err(g2, g1), 1e-5);
    Vec gd1(x.size(), 1), gd2(x.size(), 1);
    R.gelu_backward(gd1.data(), x.data(), dy.data(), x.size());
    K.gelu_backward(gd2.data(), x.data(), dy.data(), x.size());
    EXPECT_LT(rel_err(gd2, gd1), 1e-5);

    int V = s.V;
    Vec logits = randn((size_t)N * V, rng, 4.0f), p1(logits.size()), p2 = logits;
    std::vector<int32_t> tg(N);
    for (auto& t : tg) t = (int32_t)rng.below(V);
    Vec l1(N), l2(N);
    R.crossentropy_forward(l1.data(), p1.data(), logits.data(), tg.data(), N, V);
    K.crossentropy_forward(l2.data(), p2.data(), p2.data(), tg.data(), N, V);  // in place
    EXPECT_LT(rel_err(l2, l1), 1e-5);
    EXPECT_LT(rel_err(p2, p1), 1e-5);
    Vec dls = randn(N, rng), dd1(logits.size()), dd2 = p2;
    R.crossentropy_backward(dd1.data(), p1.data(), tg.data(), dls.data(), N, V);
    K.crossentropy_backward(dd2.data(), dd2.data(), tg.data(), dls.data(), N, V);
    EXPECT_LT(rel_err(dd2, dd1), 1e-5);
  }
}

// Document segments (contiguous runs of ids per row) for docmask attention: random cut points.
std::vector<int32_t> random_segments(int B, int T, Rng& rng) {
  std::vector<int32_t> seg((size_t)B * T);
  for (int b = 0; b < B; b++) {
    int id = 0;
    for (int t = 0; t < T; t++) {
      if (t > 0 && rng.below(23) == 0) id++;
      seg[(size_t)b * T + t] = id;
    }
  }
  return seg;
}

// Sequences longer than the cpu kernel's 64-row blocks (the masked blocks are skipped), with and
// without document segments.
TEST_P(KernelsVsRef, AttentionBlocksAndSegments) {
  for (int T : {64, 65, 130, 201}) {
    for (bool docs : {false, true}) {
      Rng rng(T * 3 + docs);
      int B = 2, NH = 2, C = 16, N = B * T;
      size_t natt = (size_t)B * NH * T * T;
      std::vector<int32_t> segv = random_segments(B, T, rng);
      const int32_t* seg = docs ? segv.data() : nullptr;
      Vec qkv = randn((size_t)N * 3 * C, rng), o1((size_t)N * C), o2((size_t)N * C);
      Vec a1(natt), a2(natt, 7.0f), sc(natt, 5.0f);
      R.attention_forward(o1.data(), a1.data(), qkv.data(), seg, B, T, C, NH);
      K.attention_forward(o2.data(), a2.data(), qkv.data(), seg, B, T, C, NH);
      EXPECT_LT(rel_err(o2, o1), 1e-5) << T << " " << docs;
      EXPECT_LT(rel_err(a2, a1), 1e-5) << T << " " << docs;
      Vec dy = randn((size_t)N * C, rng), d1(qkv.size(), 0.5f), d2(qkv.size(), 0.5f);
      R.attention_backward(d1.data(), sc.data(), dy.data(), qkv.data(), a1.data(), seg, B, T, C,
                           NH);
      K.attention_backward(d2.data(), sc.data(), dy.data(), qkv.data(), a2.data(), seg, B, T, C,
                           NH);
      EXPECT_LT(rel_err(d2, d1), 1e-5) << T << " " << docs;
    }
  }
}

// With segments, each document's output equals attention over that document alone.
TEST(RefKernels, SegmentsEqualSeparateDocuments) {
  const KernelSet& R = ref_kernels();
  Rng rng(9);
  int T = 12, C = 8, NH = 2, cut = 5;
  Vec qkv = randn((size_t)T * 3 * C, rng), o((size_t)T * C), att((size_t)NH * T * T);
  std::vector<int32_t> seg(T);
  for (int t = 0; t < T; t++) seg[t] = t < cut ? 0 : 1;
  R.attention_forward(o.data(), att.data(), qkv.data(), seg.data(), 1, T, C, NH);
  Vec tail(qkv.begin() + (size_t)cut * 3 * C, qkv.end()), o2((size_t)(T - cut) * C);
  Vec att2((size_t)NH * (T - cut) * (T - cut));
  R.attention_forward(o2.data(), att2.data(), tail.data(), nullptr, 1, T - cut, C, NH);
  Vec o_tail(o.begin() + (size_t)cut * C, o.end());
  EXPECT_LT(rel_err(o_tail, o2), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Threads, KernelsVsRef, ::testing::Values(1, 2, 3));

// ---- ref backward vs finite differences ----
// f(inputs) -> out; loss = sum(out * R). Checks d loss / d input[i] for every element.
double fd_check(Vec& in, const std::function<Vec()>& fwd, const Vec& analytic, const Vec& Rw) {
  auto loss = [&] {
    Vec o = fwd();
    double s = 0;
    for (size_t i = 0; i < o.size(); i++) s += (double)o[i] * Rw[i];
    return s;
  };
  double worst = 0, scale = 1e-3;
  for (double a : analytic) scale = std::max(scale, std::fabs(a));
  for (size_t i = 0; i < in.size(); i++) {
    float keep = in[i];
    float h = 1e-2f * std::max(1.0f, std::fabs(keep));
    in[i] = keep + h;
    double lp = loss();
    in[i] = keep - h;
    double lm = loss();
    in[i] = keep;
    double num = (lp - lm) / (2.0 * (double)h);
    worst = std::max(worst, std::fabs(num - analytic[i]) / scale);
  }
  return worst;
}

TEST(RefGradients, FiniteDifferences) {
  const KernelSet& R = ref_kernels();
  Rng rng(5);
  int B = 2, T = 5, C = 8, NH = 2, N = B * T, V = 11, OC = 6;
  // layernorm
  Vec x = randn(N * C, rng), w = randn(C, rng), b = randn(C, rng), mean(N), rstd(N);
  Vec Rw = randn(N * C, rng);
  auto ln = [&] {
    Vec o(N * C);
    R.layernorm_forward(o.data(), mean.data(), rstd.data(), x.data(), w.data(), b.data(), N, C);
    return o;
  };
  ln();
  Vec dx(N * C), dw(C), db(C);
  R.layernorm_backward(dx.data(), dw.data(), db.data(), Rw.data(), x.data(), w.data(), mean.data(),
                       rstd.data(), N, C);
  EXPECT_LT(fd_check(x, ln, dx, Rw), 2e-3);
  EXPECT_LT(fd_check(w, ln, dw, Rw), 2e-3);
  EXPECT_LT(fd_check(b, ln, db, Rw), 2e-3);
  // matmul
  Vec mw = randn(C * OC, rng), mb = randn(OC, rng), Rm = randn(N * OC, rng);
  auto mm = [&] {
    Vec o(N * OC);
    R.matmul_forward(o.data(), x.data(), mw.data(), mb.data(), N, C, OC);
    return o;
  };
  Vec mdx(N * C), mdw(C * OC), mdb(OC);
  R.matmul_backward(mdx.data(), mdw.data(), mdb.data(), Rm.data(), x.data(), mw.data(), N, C, OC);
  EXPECT_LT(fd_check(x, mm, mdx, Rm), 2e-3);
  EXPECT_LT(fd_check(mw, mm, mdw, Rm), 2e-3);
  EXPECT_LT(fd_check(mb, mm, mdb, Rm), 2e-3);
  // attention
  Vec qkv = randn(N * 3 * C, rng), att(B * NH * T * T), sc(att.size());
  auto at = [&] {
    Vec o(N * C);
    R.attention_forward(o.data(), att.data(), qkv.data(), nullptr, B, T, C, NH);
    return o;
  };
  at();
  Vec dqkv(qkv.size());
  R.attention_backward(dqkv.data(), sc.data(), Rw.data(), qkv.data(), att.data(), nullptr, B, T, C,
                       NH);
  EXPECT_LT(fd_check(qkv, at, dqkv, Rw), 2e-3);
  std::vector<int32_t> seg = {0, 0, 1, 1, 1, 0, 1, 1, 2, 2};  // (B,T): documents within rows
  auto ats = [&] {
    Vec o(N * C);
    R.attention_forward(o.data(), att.data(), qkv.data(), seg.data(), B, T, C, NH);
    return o;
  };
  ats();
  Vec dqkv_s(qkv.size());
  R.attention_backward(dqkv_s.data(), sc.data(), Rw.data(), qkv.data(), att.data(), seg.data(), B,
                       T, C, NH);
  EXPECT_LT(fd_check(qkv, ats, dqkv_s, Rw), 2e-3);
  // gelu
  Vec gdx(N * C);
  auto ge = [&] {
    Vec o(N * C);
    R.gelu_forward(o.data(), x.data(), o.size());
    return o;
  };
  R.gelu_backward(gdx.data(), x.data(), Rw.data(), gdx.size());
  EXPECT_LT(fd_check(x, ge, gdx, Rw), 2e-3);
  // head + cross-entropy (loss weights dl per row)
  Vec wte = randn(V * C, rng), dl = randn(N, rng), probs(N * V), logits(N * V);
  std::vector<int32_t> tg(N);
  for (auto& t : tg) t = (int32_t)rng.below(V);
  auto ce = [&] {
    Vec losses(N);
    R.head_forward(logits.data(), x.data(), wte.data(), N, C, V);
    R.crossentropy_forward(losses.data(), probs.data(), logits.data(), tg.data(), N, V);
    return losses;
  };
  ce();
  Vec dlog(N * V), hdx(N * C), hdw(V * C);
  R.crossentropy_backward(dlog.data(), probs.data(), tg.data(), dl.data(), N, V);
  R.head_backward(hdx.data(), hdw.data(), dlog.data(), x.data(), wte.data(), N, C, V);
  EXPECT_LT(fd_check(x, ce, hdx, dl), 2e-3);
  EXPECT_LT(fd_check(wte, ce, hdw, dl), 2e-3);
}

}  // namespace
}  // namespace lm::kernels

namespace lm::kernels {
namespace {

// The cpu kernels give the same bytes for any thread count (fixed-order reductions, disjoint
// slices), which makes training runs reproducible across --threads.
TEST(CpuKernels, SameBytesForAnyThreadCount) {
  const KernelSet& K = cpu_kernels();
  int B = 3, T = 97, C = 48, NH = 4, V = 301, N = B * T, OC = 4 * C;
  Rng rng(42);
  Vec x = randn((size_t)N * C, rng), w = randn((size_t)C * OC, rng), bias = randn(OC, rng);
  Vec dy = randn((size_t)N * OC, rng), wte = randn((size_t)V * C, rng),
      dl = randn((size_t)N * V, rng);
  Vec qkv = randn((size_t)N * 3 * C, rng), dq = randn((size_t)N * C, rng), lw = randn(C, rng);
  std::vector<int32_t> tok(N);
  for (auto& t : tok) t = (int32_t)rng.below(V);
  auto run = [&](int threads) {
    set_kernel_threads(threads);
    std::vector<Vec> out;
    Vec o((size_t)N * OC), dx((size_t)N * C), dw(w.size()), db(OC);
    K.matmul_forward(o.data(), x.data(), w.data(), bias.data(), N, C, OC);
    K.matmul_backward(dx.data(), dw.data(), db.data(), dy.data(), x.data(), w.data(), N, C, OC);
    out.insert(out.end(), {o, dx, dw, db});
    Vec lg((size_t)N * V), hx((size_t)N * C), hw(wte.size());
    K.head_forward(lg.data(), x.data(), wte.data(), N, C, V);
    K.head_backward(hx.data(), hw.data(), dl.data(), x.data(), wte.data(), N, C, V);
    out.insert(out.end(), {lg, hx, hw});
    Vec at((size_t)N * C), att((size_t)B * NH * T * T), sc(att.size()), dqkv(qkv.size());
    K.attention_forward(at.data(), att.data(), qkv.data(), nullptr, B, T, C, NH);
    K.attention_backward(dqkv.data(), sc.data(), dq.data(), qkv.data(), att.data(), nullptr, B, T,
                         C, NH);
    out.insert(out.end(), {at, dqkv});
    std::vector<int32_t> seg((size_t)N);
    for (int i = 0; i < N; i++) seg[i] = (i % T) / 10;  // documents of 10 tokens
    Vec ats((size_t)N * C), dqs(qkv.size());
    K.attention_forward(ats.data(), att.data(), qkv.data(), seg.data(), B, T, C, NH);
    K.attention_backward(dqs.data(), sc.data(), dq.data(), qkv.data(), att.data(), seg.data(), B, T,
                         C, NH);
    out.insert(out.end(), {ats, dqs});
    Vec ln((size_t)N * C), m(N), r(N), lx((size_t)N * C), lww(C), lb(C);
    K.layernorm_forward(ln.data(), m.data(), r.data(), x.data(), lw.data(), lw.data(), N, C);
    K.layernorm_backward(lx.data(), lww.data(), lb.data(), dq.data(), x.data(), lw.data(), m.data(),
                         r.data(), N, C);
    out.insert(out.end(), {ln, lx, lww, lb});
    Vec ew(wte.size()), ep((size_t)T * C);
    K.encoder_backward(ew.data(), ep.data(), dq.data(), tok.data(), nullptr, B, T, C);
    out.insert(out.end(), {ew, ep});
    Vec losses(N), probs = lg;
    K.crossentropy_forward(losses.data(), probs.data(), probs.data(), tok.data(), N, V);
    out.push_back(losses);
    return out;
  };
  auto one = run(1), two = run(2), three = run(3);
  const char* names[] = {"mm fwd",  "mm dx",   "mm dw",   "mm db",       "head fwd",    "head dx",
                         "head dw", "att fwd", "att bwd", "att seg fwd", "att seg bwd", "ln fwd",
                         "ln dx",   "ln dw",   "ln db",   "enc dwte",    "enc dwpe",    "xent"};
  for (size_t i = 0; i < one.size(); i++) {
    EXPECT_TRUE(one[i] == two[i]) << names[i];
    EXPECT_TRUE(one[i] == three[i]) << names[i];
  }
}

}  // namespace
}  // namespace lm::kernels
