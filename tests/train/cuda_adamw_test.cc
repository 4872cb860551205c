// cuda_adamw_test.cc: the device optimizer kernels (cuda_adamw, cuda_global_norm, cuda_scale)
// against train::AdamW::update, global_norm and clip_grad_norm on the same flat buffers, fp32
// within 1e-5 relative (the norm within 1e-12: both sum in double). Skips without a GPU, also
// under CI=true (cuda_test_util.h).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"
#include "cuda_test_util.h"
#include "model/params.h"
#include "train/adamw.h"

namespace lm::train {
namespace {

using testing_util::to_cpu;
using testing_util::to_gpu;

double rel_err(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0, m = 1e-6;
  for (size_t i = 0; i < a.size(); i++) {
    d = std::max(d, (double)std::fabs(a[i] - b[i]));
    m = std::max(m, (double)std::fabs(b[i]));
  }
  return d / m;
}

TEST(CudaAdamW, MatchesCpuUpdateNormAndClip) {
  LM_REQUIRE_CUDA_GPU();
  model::GptConfig mc;
  mc.vocab_size = 37, mc.n_ctx = 9, mc.n_layer = 2, mc.n_head = 2, mc.n_embd = 6;
  model::ParamLayout layout(mc);
  size_t n = layout.total();
  std::vector<uint8_t> decay(n, 0);
  for (const auto& p : layout.tensors())
    if (p.decay) std::fill(decay.begin() + p.offset, decay.begin() + p.offset + p.size, 1);
  Rng rng(5);
  std::vector<float> params(n), grads(n);
  for (auto& x : params) x = (float)rng.normal() * 0.1f;
  AdamWConfig cfg;
  AdamW opt(layout, cfg);
  auto gp = to_gpu(params), gm = to_gpu(opt.m()), gv = to_gpu(opt.v());
  auto gdecay = to_gpu(decay);
  for (int step = 1; step <= 3; step++) {
    for (auto& g : grads) g = (float)rng.normal();
    auto gg = to_gpu(grads);
    double cpu_norm = clip_grad_norm(grads.data(), n, 1.0);
    double gpu_norm = kernels::cuda_global_norm(gg.data(), n);
    EXPECT_NEAR(gpu_norm, cpu_norm, 1e-12 * cpu_norm);
    kernels::cuda_scale(gg.data(), n, (float)(1.0 / (gpu_norm + 1e-6)));
    EXPECT_LT(rel_err(to_cpu(gg), grads), 1e-6);
    opt.update(params.data(), grads.data(), 1e-2f);
    kernels::cuda_adamw(gp.data(), gg.data(), gm.data(), gv.data(), gdecay.data(), n, 1e-2f,
                        cfg.beta1, cfg.beta2, cfg.eps, cfg.weight_decay, step);
    EXPECT_LT(rel_err(to_cpu(gp), params), 1e-5) << "step " << step;
    EXPECT_LT(rel_err(to_cpu(gm), opt.m()), 1e-5);
    EXPECT_LT(rel_err(to_cpu(gv), opt.v()), 1e-5);
  }
  Status s = kernels::cuda_sync();
  EXPECT_TRUE(s.ok()) << s.to_string();
}

}  // namespace
}  // namespace lm::train
