// train_config.cc: the key table of TrainConfig, text parsing, TOML loading and validation.
#include "train/train_config.h"

#include <fmt/core.h>
#include <toml++/toml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "core/file_util.h"

namespace lm::train {
namespace {

enum class Kind { kInt, kI64, kU64, kDouble, kBool, kString };
struct Field {
  Kind kind;
  std::function<void*(TrainConfig&)> at;
};

#define LM_F(kind, member)                                  \
  Field {                                                   \
    kind, [](TrainConfig& c) -> void* { return &c.member; } \
  }

const std::map<std::string, Field>& fields() {
  static const std::map<std::string, Field> kFields = {
      {"vocab_size", LM_F(Kind::kInt, vocab_size)},
      {"n_ctx", LM_F(Kind::kInt, n_ctx)},
      {"n_layer", LM_F(Kind::kInt, n_layer)},
      {"n_head", LM_F(Kind::kInt, n_head)},
      {"n_embd", LM_F(Kind::kInt, n_embd)},
      {"bias", LM_F(Kind::kBool, bias)},
      {"mlp", LM_F(Kind::kBool, mlp)},
      {"data", LM_F(Kind::kString, data)},
      {"out", LM_F(Kind::kString, out)},
      {"loader_mode", LM_F(Kind::kString, loader_mode)},
      {"seq_len", LM_F(Kind::kInt, seq_len)},
      {"batch_size", LM_F(Kind::kInt, batch_size)},
      {"grad_accum", LM_F(Kind::kInt, grad_accum)},
      {"max_steps", LM_F(Kind::kI64, max_steps)},
      {"warmup_steps", LM_F(Kind::kI64, warmup_steps)},
      {"lr", LM_F(Kind::kDouble, lr)},
      {"min_lr_ratio", LM_F(Kind::kDouble, min_lr_ratio)},
      {"weight_decay", LM_F(Kind::kDouble, weight_decay)},
      {"beta1", LM_F(Kind::kDouble, beta1)},
      {"beta2", LM_F(Kind::kDouble, beta2)},
      {"grad_clip", LM_F(Kind::kDouble, grad_clip)},
      {"max_loss", LM_F(Kind::kDouble, max_loss)},
      {"lr_schedule", LM_F(Kind::kString, lr_schedule)},
      {"decay_fraction", LM_F(Kind::kDouble, decay_fraction)},
      {"eval_interval", LM_F(Kind::kI64, eval_interval)},
      {"eval_steps", LM_F(Kind::kI64, eval_steps)},
      {"checkpoint_interval", LM_F(Kind::kI64, checkpoint_interval)},
      {"log_interval", LM_F(Kind::kI64, log_interval)},
      {"seed", LM_F(Kind::kU64, seed)},
      {"threads", LM_F(Kind::kInt, threads)},
      {"kernels", LM_F(Kind::kString, kernels)},
      {"peak_flops", LM_F(Kind::kDouble, peak_flops)}};
  return kFields;
}
#undef LM_F

std::string normalize_key(std::string k) {
  for (auto& ch : k)
    if (ch == '-') ch = '_';
  return k;
}

}  // namespace

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> kKeys = {
      {"vocab_size", "vocabulary size (0 = the data's)"},
      {"n_ctx", "context length of the model (0 = seq_len)"},
      {"n_layer", "Transformer blocks"},
      {"n_head", "attention heads"},
      {"n_embd", "model width"},
      {"bias", "biases in linear layers and LayerNorms (true/false)"},
      {"mlp",
       "an MLP in each block (false = attention-only: the MLP kept zero in the GPT-2 layout, "
       "never trained)"},
      {"data", "packed data PREFIX (lmforge pack --out PREFIX)"},
      {"out", "run directory"},
      {"loader_mode", "concatenate | pad | docmask"},
      {"seq_len", "tokens per row (T)"},
      {"batch_size", "rows per micro-batch per process (B)"},
      {"grad_accum", "micro-batches per optimizer step"},
      {"max_steps", "optimizer steps"},
      {"warmup_steps", "linear warm-up steps"},
      {"lr", "peak learning rate"},
      {"min_lr_ratio", "final lr / peak lr of the cosine or wsd decay"},
      {"weight_decay", "AdamW decoupled weight decay (matrices and embeddings only)"},
      {"beta1", "AdamW beta1"},
      {"beta2", "AdamW beta2"},
      {"grad_clip", "clip the global gradient norm to this (0 = off)"},
      {"max_loss", "stop when the loss exceeds this (0 = 2 x max(first loss, ln V))"},
      {"lr_schedule",
       "cosine | constant | wsd (constant, then linear to min_lr_ratio over the last "
       "decay_fraction of the steps)"},
      {"decay_fraction", "wsd: share of max_steps in the final linear decay (0 < f <= 1)"},
      {"eval_interval", "validation every N steps (0 = only at the end)"},
      {"eval_steps", "validation batches per evaluation"},
      {"checkpoint_interval", "checkpoint every N steps (0 = only at the end)"},
      {"log_interval", "progress line every N steps when not on a terminal"},
      {"seed", "random seed (initialisation and data order)"},
      {"threads", "threads (0 = OMP_NUM_THREADS, else all cores)"},
      {"kernels", "cpu | cpu-bf16 (AMX bf16 products; cpu where the CPU lacks AMX) | ref"},
      {"peak_flops", "FLOP/s for MFU (0 = measure the kernels' matmul at start)"}};
  return kKeys;
}

Status set_config_key(TrainConfig* c, const std::string& raw_key, const std::string& value,
                      const std::string& where) {
  std::string key = normalize_key(raw_key);
  auto it = fields().find(key);
  if (it == fields().end())
    return invalid_argument("{}: unknown key '{}'", where, raw_key)
        .with_hint("see `lmforge train --help` for the keys");
  void* p = it->second.at(*c);
  const char* s = value.c_str();
  char* end = nullptr;
  errno = 0;
  auto bad = [&](const char* what) {
    return invalid_argument("{}: key '{}': '{}' is not {}", where, key, value, what);
  };
  switch (it->second.kind) {
    case Kind::kInt: {
      long long v = std::strtoll(s, &end, 10);
      if (*s == '\0' || *end || errno || v < INT32_MIN || v > INT32_MAX) return bad("an integer");
      *static_cast<int*>(p) = (int)v;
      break;
    }
    case Kind::kI64: {
      long long v = std::strtoll(s, &end, 10);
      if (*s == '\0' || *end || errno) return bad("an integer");
      *static_cast<int64_t*>(p) = v;
      break;
    }
    case Kind::kU64: {
      unsigned long long v = std::strtoull(s, &end, 10);
      if (*s == '\0' || *end || errno || value[0] == '-') return bad("a non-negative integer");
      *static_cast<uint64_t*>(p) = v;
      break;
    }
    case Kind::kDouble: {
      double v = std::strtod(s, &end);
      if (*s == '\0' || *end || errno || !std::isfinite(v)) return bad("a number");
      *static_cast<double*>(p) = v;
      break;
    }
    case Kind::kBool:
      if (value == "true" || value == "1")
        *static_cast<bool*>(p) = true;
      else if (value == "false" || value == "0")
        *static_cast<bool*>(p) = false;
      else
        return bad("true or false");
      break;
    case Kind::kString:
      *static_cast<std::string*>(p) = value;
      break;
  }
  return ok_status();
}

Status load_config_toml(const std::string& path, TrainConfig* c) {
  if (!file_exists(path)) return not_found("{}: no such config file", path);
  toml::table table;
#if TOML_EXCEPTIONS
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return invalid_argument("{}:{}: {}", path, e.source().begin.line, std::string(e.description()));
  }
#else
  toml::parse_result r = toml::parse_file(path);
  if (!r)
    return invalid_argument("{}:{}: {}", path, r.error().source().begin.line,
                            std::string(r.error().description()));
  table = std::move(r).table();
#endif
  for (auto&& [k, node] : table) {
    std::string where = fmt::format("{}:{}", path, node.source().begin.line);
    std::string text;
    if (auto v = node.as_string())
      text = v->get();
    else if (auto i = node.as_integer())
      text = std::to_string(i->get());
    else if (auto d = node.as_floating_point())
      text = fmt::format("{}", d->get());
    else if (auto b = node.as_boolean())
      text = b->get() ? "true" : "false";
    else
      return invalid_argument(
          "{}: key '{}' must be a number, string or boolean (tables are not "
          "used)",
          where, std::string(k.str()));
    LM_RETURN_IF_ERROR(set_config_key(c, std::string(k.str()), text, where));
  }
  return ok_status();
}

model::GptConfig TrainConfig::model_config(int data_vocab) const {
  return {.vocab_size = vocab_size > 0 ? vocab_size : data_vocab,
          .n_ctx = n_ctx > 0 ? n_ctx : seq_len,
          .n_layer = n_layer,
          .n_head = n_head,
          .n_embd = n_embd,
          .bias = bias,
          .mlp = mlp};
}

Status TrainConfig::validate() const {
  auto positive = [](const char* k, int64_t v) {
    return v > 0 ? ok_status() : invalid_argument("config: {} must be > 0 (got {})", k, v);
  };
  LM_RETURN_IF_ERROR(positive("n_layer", n_layer));
  LM_RETURN_IF_ERROR(positive("n_head", n_head));
  LM_RETURN_IF_ERROR(positive("n_embd", n_embd));
  LM_RETURN_IF_ERROR(positive("seq_len", seq_len));
  LM_RETURN_IF_ERROR(positive("batch_size", batch_size));
  LM_RETURN_IF_ERROR(positive("grad_accum", grad_accum));
  LM_RETURN_IF_ERROR(positive("max_steps", max_steps));
  if (n_embd % n_head != 0)
    return invalid_argument("config: n_head {} does not divide n_embd {}", n_head, n_embd)
        .with_hint("choose a width that is a multiple of the number of heads");
  if (n_ctx > 0 && seq_len > n_ctx)
    return invalid_argument("config: seq_len {} exceeds the model context n_ctx {}", seq_len,
                            n_ctx);
  if (vocab_size < 0 || n_ctx < 0 || warmup_steps < 0 || eval_interval < 0 || eval_steps < 0 ||
      checkpoint_interval < 0 || threads < 0)
    return invalid_argument(
        "config: vocab_size, n_ctx, warmup_steps, intervals and threads must "
        "be >= 0");
  if (!(lr > 0) || weight_decay < 0 || beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1 ||
      grad_clip < 0 || min_lr_ratio < 0 || min_lr_ratio > 1)
    return invalid_argument(
        "config: need lr > 0, weight_decay >= 0, 0 <= beta < 1, grad_clip "
        ">= 0, 0 <= min_lr_ratio <= 1");
  if (lr_schedule != "cosine" && lr_schedule != "constant" && lr_schedule != "wsd")
    return invalid_argument("config: lr_schedule '{}' is not cosine, constant or wsd", lr_schedule);
  if (!(decay_fraction > 0) || decay_fraction > 1)
    return invalid_argument("config: decay_fraction {} is not in (0, 1]", decay_fraction)
        .with_hint("the share of the steps in wsd's final decay, e.g. 0.2");
  if (kernels != "cpu" && kernels != "cpu-bf16" && kernels != "ref")
    return invalid_argument("config: kernels '{}' is not cpu, cpu-bf16 or ref", kernels);
  if (loader_mode != "concatenate" && loader_mode != "pad" && loader_mode != "docmask")
    return invalid_argument("config: loader_mode '{}' is not concatenate, pad or docmask",
                            loader_mode);
  return ok_status();
}

std::string TrainConfig::to_toml() const {
  TrainConfig copy = *this;
  std::string out;
  for (const auto& k : config_keys()) {
    const Field& f = fields().at(k.name);
    void* p = f.at(copy);
    std::string v;
    switch (f.kind) {
      case Kind::kInt:
        v = std::to_string(*static_cast<int*>(p));
        break;
      case Kind::kI64:
        v = std::to_string(*static_cast<int64_t*>(p));
        break;
      case Kind::kU64:
        v = std::to_string(*static_cast<uint64_t*>(p));
        break;
      case Kind::kDouble:
        v = fmt::format("{}", *static_cast<double*>(p));
        break;
      case Kind::kBool:
        v = *static_cast<bool*>(p) ? "true" : "false";
        break;
      case Kind::kString:
        v = nlohmann::json(*static_cast<std::string*>(p)).dump();
        break;
    }
    out += fmt::format("{} = {}\n", k.name, v);
  }
  return out;
}

}  // namespace lm::train
