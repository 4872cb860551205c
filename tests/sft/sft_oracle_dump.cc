// sft_oracle_dump.cc: what sft_oracle.py checks against PyTorch: a tiny model's weights
// (DIR/model.safetensors + config.json) and, for a fixed batch of rendered conversations packed
// by the SFT loader (several conversations per row, document masking, the loss mask from the
// chat template), lmforge's logits, masked loss and every gradient (DIR/lmforge.safetensors),
// plus the marker token ids (DIR/markers.json) so the script can rebuild the mask itself.
// Usage: lmforge_sft_oracle_dump DIR ref|cpu
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/rng.h"
#include "model/checkpoint.h"
#include "model/safetensors.h"
#include "sft/loader.h"
#include "sft_test_util.h"
#include "train/evaluate.h"

using namespace lm;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DIR ref|cpu\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  const kernels::KernelSet* ks = kernels::kernels_by_name(argv[2]);
  if (!ks) return 2;
  kernels::set_kernel_threads(2);
  tok::Tokenizer t = sft::testing::byte_tokenizer(true);
  std::vector<std::vector<tok::ChatMessage>> convs = {
      {{"user", "2+2?"}, {"assistant", "4"}},
      {{"system", "Be brief."},
       {"user", "Hi"},
       {"assistant", "Hello!"},
       {"user", "Bye"},
       {"assistant", "Ok."}},
      {{"user", "Say <|assistant|> x"}, {"assistant", "x"}},
      {{"user", "next after 9"}, {"assistant", "10"}},
  };
  std::vector<tok::ChatTokens> enc;
  for (const auto& c : convs) enc.push_back(*tok::encode_chat(t, c, false));
  const int T = 40;
  auto rows = std::make_shared<sft::Rows>(
      sft::build_rows(enc, T, sft::PackMode::kPack, (int32_t)*t.eot_id(), 3));
  model::GptConfig cfg{.vocab_size = (int)t.vocab_size(),
                       .n_ctx = T,
                       .n_layer = 2,
                       .n_head = 2,
                       .n_embd = 24,
                       .bias = true};
  auto loader = sft::make_sft_loader(rows, {.batch_size = (int)rows->count,
                                            .seed = 1,
                                            .shuffle = false,
                                            .vocab_size = cfg.vocab_size,
                                            .eot_id = (int32_t)*t.eot_id()});
  dataset::Batch b;
  if (!loader->next(&b).ok()) return 1;
  model::Gpt gpt(cfg, *ks);
  gpt.init_weights(1234);
  Rng jitter(99);
  for (size_t i = 0; i < gpt.num_params(); i++) gpt.params()[i] += (float)jitter.normal() * 0.1f;
  if (auto s = model::save_model(dir, gpt); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 1;
  }
  model::Batch mb;
  if (auto s = train::to_model_batch(b, gpt, "oracle batch", &mb); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 1;
  }
  model::Batch lb = mb;
  lb.targets = nullptr;
  lb.mask = nullptr;
  gpt.forward(lb);
  const int B = b.B;
  std::vector<float> logits(gpt.logits(), gpt.logits() + (size_t)B * T * cfg.vocab_size);
  gpt.zero_grad();
  float loss = gpt.forward(mb);
  gpt.backward();
  std::vector<float> grads(gpt.grads(), gpt.grads() + gpt.num_params());
  auto f = [](const std::vector<int32_t>& v) { return std::vector<float>(v.begin(), v.end()); };
  std::vector<float> fin = f(b.inputs), ftg = f(b.targets), fseg = f(b.segment_ids),
                     fpos = f(b.position_ids);
  std::vector<model::TensorRef> out = {{"inputs", {B, T}, fin.data()},
                                       {"targets", {B, T}, ftg.data()},
                                       {"mask", {B, T}, b.loss_mask.data()},
                                       {"segments", {B, T}, fseg.data()},
                                       {"positions", {B, T}, fpos.data()},
                                       {"logits", {B, T, cfg.vocab_size}, logits.data()},
                                       {"loss", {1}, &loss}};
  for (const auto& p : gpt.layout().tensors())
    out.push_back({"grad." + p.name, p.shape, grads.data() + p.offset});
  if (auto s = model::write_safetensors(dir + "/lmforge.safetensors", out); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 1;
  }
  nlohmann::json m;
  for (const auto& s : tok::chat_special_tokens()) m[s] = *t.token_id(s);
  m["conversations"] = convs.size();
  std::ofstream(dir + "/markers.json") << m.dump(2) << "\n";
  return 0;
}
