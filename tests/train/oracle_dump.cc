// oracle_dump.cc: writes what the PyTorch oracle (pytorch_oracle.py) checks: a tiny model's
// initial weights (DIR/model.safetensors + config.json) and, for a fixed masked batch, lmforge's
// logits, loss, every gradient and the losses of 10 AdamW steps (DIR/lmforge.safetensors).
// Usage: lmforge_train_oracle_dump DIR ref|cpu bias(0|1) [docmask]. With docmask the batch
// holds several documents per row (segment ids, positions restarting at each document).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/rng.h"
#include "model/checkpoint.h"
#include "model/safetensors.h"
#include "train/adamw.h"

using namespace lm;

int main(int argc, char** argv) {
  if (argc != 4 && !(argc == 5 && std::string(argv[4]) == "docmask")) {
    std::fprintf(stderr, "usage: %s DIR ref|cpu bias(0|1) [docmask]\n", argv[0]);
    return 2;
  }
  const bool docmask = argc == 5;
  std::string dir = argv[1];
  const kernels::KernelSet* ks = kernels::kernels_by_name(argv[2]);
  if (!ks) return 2;
  kernels::set_kernel_threads(2);
  model::GptConfig cfg{.vocab_size = 67,
                       .n_ctx = 16,
                       .n_layer = 2,
                       .n_head = 2,
                       .n_embd = 24,
                       .bias = std::atoi(argv[3]) != 0};
  model::Gpt gpt(cfg, *ks);
  gpt.init_weights(1234);
  // Larger weights than GPT-2's init make the check sharper (non-trivial attention, GELU).
  lm::Rng jitter(99);
  for (size_t i = 0; i < gpt.num_params(); i++) gpt.params()[i] += (float)jitter.normal() * 0.1f;
  if (auto s = model::save_model(dir, gpt); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 1;
  }
  const int B = 3, T = 11;
  std::vector<int32_t> in(B * T), tg(B * T);
  std::vector<float> mask(B * T, 1.0f), fin(B * T), ftg(B * T);
  Rng rng(7);
  for (int i = 0; i < B * T; i++) {
    in[i] = (int32_t)rng.below(cfg.vocab_size);
    tg[i] = (int32_t)rng.below(cfg.vocab_size);
    fin[i] = (float)in[i];
    ftg[i] = (float)tg[i];
  }
  for (int t = 7; t < T; t++) mask[2 * T + t] = 0.0f;  // padded tail of the last row
  // docmask: row 0 = documents of 4 + 7 tokens, row 1 = one, row 2 = 3 + 3 + 5.
  std::vector<int32_t> seg(B * T, 0), pos(B * T);
  for (int t = 0; t < T; t++) {
    seg[t] = t < 4 ? 0 : 1;
    seg[2 * T + t] = t < 3 ? 0 : (t < 6 ? 1 : 2);
  }
  for (int i = 0; i < B * T; i++)
    pos[i] = (i % T == 0 || seg[i] != seg[i - 1]) ? 0 : pos[i - 1] + 1;
  std::vector<float> fseg(seg.begin(), seg.end()), fpos(pos.begin(), pos.end());
  const int32_t* segp = docmask ? seg.data() : nullptr;
  const int32_t* posp = docmask ? pos.data() : nullptr;
  model::Batch logits_batch{
      .inputs = in.data(), .positions = posp, .segments = segp, .B = B, .T = T};
  gpt.forward(logits_batch);
  std::vector<float> logits(gpt.logits(), gpt.logits() + (size_t)B * T * cfg.vocab_size);
  model::Batch batch{.inputs = in.data(),
                     .targets = tg.data(),
                     .mask = mask.data(),
                     .positions = posp,
                     .segments = segp,
                     .B = B,
                     .T = T};
  gpt.zero_grad();
  float loss = gpt.forward(batch);
  gpt.backward();
  std::vector<float> grads(gpt.grads(), gpt.grads() + gpt.num_params());
  // 10 AdamW steps on the same batch, constant lr, clipping at 1.0.
  train::AdamW opt(gpt.layout(), {.weight_decay = 0.1f});
  std::vector<float> losses;
  for (int s = 0; s < 10; s++) {
    gpt.zero_grad();
    losses.push_back(gpt.forward(batch));
    gpt.backward();
    train::clip_grad_norm(gpt.grads(), gpt.num_params(), 1.0);
    opt.update(gpt.params(), gpt.grads(), 1e-2f);
  }
  std::vector<model::TensorRef> out = {
      {"inputs", {B, T}, fin.data()}, {"targets", {B, T}, ftg.data()},
      {"mask", {B, T}, mask.data()},  {"logits", {B, T, cfg.vocab_size}, logits.data()},
      {"loss", {1}, &loss},           {"adam_losses", {10}, losses.data()}};
  if (docmask) {
    out.push_back({"segments", {B, T}, fseg.data()});
    out.push_back({"positions", {B, T}, fpos.data()});
  }
  for (const auto& p : gpt.layout().tensors())
    out.push_back({"grad." + p.name, p.shape, grads.data() + p.offset});
  if (auto s = model::write_safetensors(dir + "/lmforge.safetensors", out); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 1;
  }
  return 0;
}
