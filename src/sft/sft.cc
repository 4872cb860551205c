// sft.cc: `lmforge sft` as a library call: base model and tokenizer, conversations, rows, and
// the trainer run through a TrainSource.
#include "sft/sft.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/hash.h"
#include "generate/generate.h"
#include "model/checkpoint.h"
#include "sft/loader.h"

namespace lm::sft {
namespace fs = std::filesystem;

namespace {

// Copies the base weights into `out` (same shape except maybe more vocabulary rows); rows of
// `new_ids` become the mean of the base tokenizer's rows [0, base_tok_vocab).
Status copy_grown(const model::Gpt& base, int base_tok_vocab, const std::vector<uint32_t>& new_ids,
                  model::Gpt* out) {
  const int C = base.config().n_embd;
  for (const auto& p : out->layout().tensors()) {
    const model::ParamInfo* q = base.layout().find(p.name);
    if (!q) return internal_error("the base model has no tensor {}", p.name);
    float* dst = out->params() + p.offset;
    const float* src = base.params() + q->offset;
    if (p.name != "transformer.wte.weight") {
      if (q->size != p.size) return internal_error("tensor {}: sizes differ", p.name);
      std::memcpy(dst, src, p.size * 4);
      continue;
    }
    size_t rows = std::min(q->size, p.size) / C;
    std::memcpy(dst, src, rows * C * 4);
    std::fill(dst + rows * C, dst + p.size, 0.0f);
    std::vector<double> mean(C, 0.0);
    int n = std::min<int>(base_tok_vocab, base.config().vocab_size);
    for (int r = 0; r < n; r++)
      for (int c = 0; c < C; c++) mean[c] += src[(size_t)r * C + c];
    for (uint32_t id : new_ids)
      for (int c = 0; c < C; c++) dst[(size_t)id * C + c] = (float)(mean[c] / std::max(1, n));
  }
  return ok_status();
}

Result<tok::Tokenizer> load_tokenizer_of(const std::string& dir, std::string* path) {
  LM_ASSIGN_OR_RETURN(auto codec, generate::TextCodec::for_checkpoint(dir, ""));
  *path = codec.name();
  if (*path == "bytes")
    return invalid_argument("{}: the run is byte-tokenized; SFT needs a BPE tokenizer", dir)
        .with_hint("train the base model on data packed with a BPE tokenizer.json");
  return tok::Tokenizer::load(*path);
}

}  // namespace

Result<tok::Tokenizer> load_chat_tokenizer(const std::string& dir) {
  std::string path;
  LM_ASSIGN_OR_RETURN(tok::Tokenizer t, load_tokenizer_of(dir, &path));
  if (!tok::has_chat_tokens(t))
    return invalid_argument("{}: the tokenizer {} has no chat tokens", dir, path)
        .with_hint("chat with a model fine-tuned by `lmforge sft` (its run folder)");
  return t;
}

Result<SftSummary> run_sft(const SftOptions& o, train::Comm* comm, const train::TrainHooks& hooks) {
  SftSummary sum;
  auto say = [&](const std::string& m) {
    if (hooks.on_message && (!comm || comm->rank() == 0)) hooks.on_message(m);
  };
  if (o.train.out.empty())
    return invalid_argument("sft: no run folder").with_hint("pass --out RUN");
  if (!(o.val_fraction >= 0 && o.val_fraction < 1))
    return invalid_argument("--val-fraction {}: expected a number in [0, 1)", o.val_fraction);
  LM_ASSIGN_OR_RETURN(PackMode mode, parse_pack_mode(o.packing));
  LM_ASSIGN_OR_RETURN(OnError on_error, parse_on_error(o.on_error));
  // The base checkpoint and its tokenizer.
  std::string base_dir = model::checkpoint_dir(o.checkpoint);
  if (!file_exists(base_dir + "/model.safetensors"))
    return not_found("{}: no base checkpoint here (no model.safetensors)", o.checkpoint)
        .with_hint("pass --checkpoint RUN of a finished `lmforge train` run");
  const kernels::KernelSet* ks = kernels::kernels_by_name(o.train.kernels.c_str());
  if (!ks) return invalid_argument("unknown kernels '{}'", o.train.kernels);
  LM_ASSIGN_OR_RETURN(std::unique_ptr<model::Gpt> base, model::load_model(base_dir, *ks));
  std::string base_tok_path;
  LM_ASSIGN_OR_RETURN(tok::Tokenizer base_tok, load_tokenizer_of(base_dir, &base_tok_path));
  int base_tok_vocab = (int)base_tok.vocab_size();
  LM_ASSIGN_OR_RETURN(tok::Tokenizer tk, tok::with_chat_tokens(base_tok, &sum.added_tokens));
  std::vector<uint32_t> new_ids;
  for (const auto& s : tok::chat_special_tokens()) {
    uint32_t id = *tk.token_id(s);
    if (sum.added_tokens > 0 && id >= (uint32_t)base_tok_vocab) new_ids.push_back(id);
  }
  model::GptConfig mc = base->config();
  sum.base_vocab = mc.vocab_size;
  mc.vocab_size = std::max<int>(mc.vocab_size, (int)tk.vocab_size());
  sum.vocab = mc.vocab_size;
  if (sum.added_tokens > 0)
    say(fmt::format(
        "the base tokenizer lacks the chat tokens: added {} special tokens (ids {}..{}); "
        "the embedding has {} rows (base {}), the new rows set to the mean embedding",
        sum.added_tokens, new_ids.front(), new_ids.back(), sum.vocab, sum.base_vocab));
  LM_RETURN_IF_ERROR(make_dirs(o.train.out));
  std::string tok_path = fs::absolute(o.train.out + "/tokenizer.json").string();
  LM_RETURN_IF_ERROR(tk.save(tok_path));

  // Conversations: read, split, encode, refuse the too long.
  std::vector<Conversation> all, val;
  LM_RETURN_IF_ERROR(read_conversations(o.data, on_error, &all, &sum.read));
  if (!o.val_data.empty()) {
    ReadStats vs;
    LM_RETURN_IF_ERROR(read_conversations({o.val_data}, on_error, &val, &vs));
  }
  std::vector<Conversation> trainc;
  for (auto& c : all) {
    bool held = o.val_data.empty() && (double)(hash64(tok::render_chat(c.messages, false), 77) %
                                               1000000) < o.val_fraction * 1e6;
    (held ? val : trainc).push_back(std::move(c));
  }
  if (o.max_examples > 0 && (int64_t)trainc.size() > o.max_examples) trainc.resize(o.max_examples);
  train::TrainConfig cfg = o.train;
  if (cfg.seq_len > mc.n_ctx) {
    say(fmt::format("seq_len {} is over the base model's context {}: using {}", cfg.seq_len,
                    mc.n_ctx, mc.n_ctx));
    cfg.seq_len = mc.n_ctx;
  }
  auto encode_all = [&](const std::vector<Conversation>& cs, ReadStats* st,
                        std::vector<tok::ChatTokens>* out) -> Status {
    for (const auto& c : cs) {
      LM_ASSIGN_OR_RETURN(tok::ChatTokens t, tok::encode_chat(tk, c.messages, false));
      if ((int)t.ids.size() > cfg.seq_len + 1) {
        st->skip(fmt::format("longer than the context ({} + 1 tokens)", cfg.seq_len), c.source);
        continue;
      }
      out->push_back(std::move(t));
    }
    return ok_status();
  };
  std::vector<tok::ChatTokens> train_tokens, val_tokens;
  LM_RETURN_IF_ERROR(encode_all(trainc, &sum.read, &train_tokens));
  LM_RETURN_IF_ERROR(encode_all(val, &sum.read, &val_tokens));
  sum.train_conversations = (int64_t)train_tokens.size();
  sum.val_conversations = (int64_t)val_tokens.size();
  if (train_tokens.empty())
    return invalid_argument("no usable training conversations ({})", sum.read.summary())
        .with_hint("check --data, or raise --seq-len");
  if (sum.read.skipped_total() > 0) say("data: " + sum.read.summary());
  int32_t pad = (int32_t)(tk.eot_id() ? *tk.eot_id() : *tk.token_id(tok::kChatEnd));
  auto rows = std::make_shared<Rows>(build_rows(train_tokens, cfg.seq_len, mode, pad, cfg.seed));
  auto vrows = std::make_shared<Rows>(build_rows(val_tokens, cfg.seq_len, mode, pad, cfg.seed));
  sum.rows = rows->count;
  sum.trained_fraction =
      (double)rows->trained_targets / std::max<double>(1, rows->count * cfg.seq_len);
  int world = comm ? comm->world() : 1;
  uint64_t val_steps = vrows->count / ((uint64_t)world * cfg.batch_size);
  if (val_steps > 0 && (cfg.eval_steps <= 0 || (uint64_t)cfg.eval_steps > val_steps))
    cfg.eval_steps = (int64_t)val_steps;
  say(
      fmt::format("{} training conversations in {} rows of {} positions ({:.1f}% of the targets "
                  "in the loss), {} held out",
                  sum.train_conversations, sum.rows, cfg.seq_len, 100 * sum.trained_fraction,
                  sum.val_conversations));

  // The trainer, on these rows, from the base weights.
  cfg.n_layer = mc.n_layer;
  cfg.n_head = mc.n_head;
  cfg.n_embd = mc.n_embd;
  cfg.bias = mc.bias;
  cfg.mlp = mc.mlp;
  cfg.n_ctx = mc.n_ctx;
  cfg.vocab_size = mc.vocab_size;
  if (cfg.data.empty()) cfg.data = o.data.empty() ? "sft data" : o.data.front();
  train::TrainSource src;
  src.tokenizer = tok_path;
  src.eot_id = (uint32_t)pad;
  src.open = [&](dataset::Split split, int rank,
                 int w) -> Result<std::unique_ptr<dataset::Loader>> {
    bool is_val = split == dataset::Split::kVal;
    if (is_val && val_steps == 0) return std::unique_ptr<dataset::Loader>();
    SftLoaderOptions lo{.batch_size = cfg.batch_size,
                        .seed = cfg.seed,
                        .shuffle = !is_val,
                        .rank = rank,
                        .world = w,
                        .vocab_size = mc.vocab_size,
                        .eot_id = pad};
    return make_sft_loader(is_val ? vrows : rows, lo);
  };
  src.init_model = [&](model::Gpt* g) { return copy_grown(*base, base_tok_vocab, new_ids, g); };
  nlohmann::json info = {{"base", fs::absolute(base_dir).string()},
                         {"base_tokenizer", base_tok_path},
                         {"added_tokens", sum.added_tokens},
                         {"data", o.data},
                         {"packing", o.packing},
                         {"train_conversations", sum.train_conversations},
                         {"val_conversations", sum.val_conversations},
                         {"skipped", sum.read.skipped},
                         {"rows", sum.rows},
                         {"trained_fraction", sum.trained_fraction}};
  src.add_files = [&](const std::string& dir) -> Status {
    LM_RETURN_IF_ERROR(
        write_file_atomic(dir + "/tokenizer_config.json", tok::tokenizer_config_json()));
    return write_file_atomic(dir + "/sft.json", info.dump(2) + "\n");
  };
  train::TrainHooks h = hooks;
  h.source = &src;
  LM_ASSIGN_OR_RETURN(sum.train, train::run_training(cfg, o.resume, comm, h));
  return sum;
}

}  // namespace lm::sft
