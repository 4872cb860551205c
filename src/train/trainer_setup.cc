// trainer_setup.cc: the trainer's setup: data and model from the config, checkpoints
// (save: write checkpoint.tmp, then swap it in; load: model, AdamW moments, loader position).
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/file_util.h"
#include "core/rng.h"
#include "core/threads.h"
#include "core/timer.h"
#include "dataset/loader.h"
#include "dataset/meta.h"
#include "model/checkpoint.h"
#include "model/safetensors.h"
#include "train/adamw.h"
#include "train/evaluate.h"
#include "train/trainer_internal.h"

namespace lm::train {
namespace fs = std::filesystem;

namespace detail {

// The caller's loaders (TrainSource) instead of a pack prefix.
Status open_source_data(Run* r) {
  const TrainSource& src = *r->hooks->source;
  LM_ASSIGN_OR_RETURN(r->train,
                      src.open(dataset::Split::kTrain, r->comm->rank(), r->comm->world()));
  r->meta.tokenizer = src.tokenizer;
  r->meta.eot_id = src.eot_id;
  r->meta.vocab_size = (uint64_t)r->train->vocab_size();
  if (r->train->steps_per_epoch() < 1)
    return invalid_argument(
               "{}: {} rows of seq_len {}, fewer than one step needs ({} processes "
               "x batch {})",
               r->cfg.data, r->train->samples_per_epoch(), r->cfg.seq_len, r->comm->world(),
               r->cfg.batch_size)
        .with_hint("lower --batch-size, or give more data");
  LM_ASSIGN_OR_RETURN(r->val, src.open(dataset::Split::kVal, r->comm->rank(), r->comm->world()));
  if (r->val)
    r->val_start = r->val->state();
  else
    r->say("no validation conversations: val_loss is not computed");
  return ok_status();
}

Status open_data(Run* r) {
  if (r->hooks->source) return open_source_data(r);
  const TrainConfig& c = r->cfg;
  if (c.data.empty())
    return invalid_argument("train: no data").with_hint("pass --data PREFIX (lmforge pack --out)");
  LM_ASSIGN_OR_RETURN(auto mode, dataset::parse_loader_mode(c.loader_mode));
  dataset::LoaderOptions o{.prefix = c.data,
                           .split = dataset::Split::kTrain,
                           .batch_size = c.batch_size,
                           .seq_len = c.seq_len,
                           .mode = mode,
                           .seed = c.seed,
                           .shuffle = true,
                           .rank = r->comm->rank(),
                           .world = r->comm->world()};
  LM_ASSIGN_OR_RETURN(r->train, dataset::Loader::open(o));
  LM_ASSIGN_OR_RETURN(r->meta, dataset::read_meta(c.data));
  if (r->train->steps_per_epoch() < 1)
    return invalid_argument(
               "{}: {} tokens make {} samples of seq_len {} + 1, fewer than one "
               "step needs ({} processes x batch {})",
               c.data, r->train->tokens(), r->train->samples_per_epoch(), c.seq_len,
               r->comm->world(), c.batch_size)
        .with_hint("lower --seq-len or --batch-size, or pack more text");
  o.split = dataset::Split::kVal;
  o.shuffle = false;
  auto val = dataset::Loader::open(o);
  if (val.ok() && (*val)->steps_per_epoch() >= 1) {
    r->val = std::move(val).value();
    r->val_start = r->val->state();
  } else {
    r->say("no usable validation split (" + c.data + ".val): val_loss is not computed");
  }
  return ok_status();
}

Status build_model(Run* r) {
  model::GptConfig mc = r->cfg.model_config(r->train->vocab_size());
  LM_RETURN_IF_ERROR(mc.validate());
  if (mc.vocab_size < r->train->vocab_size())
    return invalid_argument("{}: the data's vocabulary has {} tokens, the model only {}",
                            r->cfg.data, r->train->vocab_size(), mc.vocab_size)
        .with_hint(
            "drop --vocab-size (it defaults to the data's) or repack with the model's "
            "tokenizer");
  if (r->cfg.seq_len > mc.n_ctx)
    return invalid_argument("seq_len {} exceeds the model context n_ctx {}", r->cfg.seq_len,
                            mc.n_ctx);
  r->gpt = std::make_unique<model::Gpt>(mc, *kernels::kernels_by_name(r->cfg.kernels.c_str()));
  r->gpt->init_weights(r->cfg.seed);
  if (r->hooks->source && r->hooks->source->init_model)
    LM_RETURN_IF_ERROR(r->hooks->source->init_model(r->gpt.get()));
  r->comm->broadcast(r->gpt->params(), r->gpt->num_params(), 0);
  r->opt = std::make_unique<AdamW>(r->gpt->layout(),
                                   AdamWConfig{.beta1 = (float)r->cfg.beta1,
                                               .beta2 = (float)r->cfg.beta2,
                                               .weight_decay = (float)r->cfg.weight_decay});
  r->sched = LrSchedule{.lr = (float)r->cfg.lr,
                        .min_lr_ratio = (float)r->cfg.min_lr_ratio,
                        .warmup_steps = r->cfg.warmup_steps,
                        .max_steps = r->cfg.max_steps,
                        .shape = r->cfg.lr_schedule == "cosine" ? LrShape::kCosine
                                 : r->cfg.lr_schedule == "wsd"  ? LrShape::kWsd
                                                                : LrShape::kConstant,
                        .decay_fraction = (float)r->cfg.decay_fraction};
  r->rng.reseed(r->cfg.seed ^ 0x5eedULL);
  return ok_status();
}

// ---- checkpoints ----

Status copy_tokenizer(const Run& r, const std::string& dir, std::string* name) {
  // meta.json records the path as pack was given it (maybe relative to pack's working folder):
  // try it as is, then against each folder above the data prefix.
  std::string tok = r.meta.tokenizer;
  *name = tok;
  if (tok.empty() || tok == "bytes") return ok_status();
  if (!file_exists(tok) && fs::path(tok).is_relative())
    for (fs::path d = fs::absolute(r.cfg.data).parent_path(); !d.empty(); d = d.parent_path()) {
      if (file_exists((d / tok).string())) {
        tok = (d / tok).string();
        break;
      }
      if (d == d.parent_path()) break;
    }
  if (!file_exists(tok)) {
    r.say("tokenizer " + tok + " (from meta.json) not found: not copied into the checkpoint");
    return ok_status();
  }
  *name = "tokenizer" + fs::path(tok).extension().string();
  if (fs::path(tok).filename() == "vocab.txt") *name = "vocab.txt";
  LM_ASSIGN_OR_RETURN(std::string bytes, read_file(tok));
  return write_file_atomic(dir + "/" + *name, bytes);
}

Status save_checkpoint(const Run& r) {
  std::string final_dir = r.cfg.out + "/checkpoint", tmp = r.cfg.out + "/checkpoint.tmp",
              old = r.cfg.out + "/checkpoint.old";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  LM_RETURN_IF_ERROR(model::save_model(tmp, *r.gpt, {{"step", std::to_string(r.step)}}));
  size_t n = r.opt->m().size();
  LM_RETURN_IF_ERROR(model::write_safetensors(tmp + "/optimizer.safetensors",
                                              {{"adamw.m", {(int64_t)n}, r.opt->m().data()},
                                               {"adamw.v", {(int64_t)n}, r.opt->v().data()}}));
  std::string tok_name;
  LM_RETURN_IF_ERROR(copy_tokenizer(r, tmp, &tok_name));
  if (r.hooks->source && r.hooks->source->add_files)
    LM_RETURN_IF_ERROR(r.hooks->source->add_files(tmp));
  auto rs = r.rng.state();
  nlohmann::json st = {{"step", r.step},
                       {"tokens", r.tokens},
                       {"adam_step", r.opt->step()},
                       {"first_loss", r.first_loss},
                       {"world", r.comm->world()},
                       {"loader", nlohmann::json::parse(r.train->state().to_json())},
                       {"rng",
                        {std::to_string(rs[0]), std::to_string(rs[1]), std::to_string(rs[2]),
                         std::to_string(rs[3])}},
                       {"tokenizer", tok_name},
                       {"eot_id", r.meta.eot_id},
                       {"data", r.cfg.data},
                       {"config", r.cfg.to_toml()}};
  LM_RETURN_IF_ERROR(write_file_atomic(tmp + "/train_state.json", st.dump(2) + "\n"));
  fs::remove_all(old, ec);
  if (fs::exists(final_dir)) fs::rename(final_dir, old, ec);
  if (ec) return io_error("{}: cannot move the previous checkpoint: {}", final_dir, ec.message());
  fs::rename(tmp, final_dir, ec);
  if (ec) return io_error("{}: cannot install the checkpoint: {}", final_dir, ec.message());
  fs::remove_all(old, ec);
  return ok_status();
}

Status load_checkpoint(Run* r) {
  std::string dir = r->cfg.out + "/checkpoint";
  if (!file_exists(dir + "/train_state.json") && file_exists(r->cfg.out + "/checkpoint.old"))
    dir = r->cfg.out + "/checkpoint.old";  // interrupted between the two renames
  if (!file_exists(dir + "/train_state.json"))
    return not_found("{}: no checkpoint to resume from", r->cfg.out)
        .with_hint("run without --resume first (or set --checkpoint-interval)");
  LM_ASSIGN_OR_RETURN(model::GptConfig saved, model::load_model_config(dir));
  if (!(saved == r->gpt->config()))
    return invalid_argument(
               "{}: the checkpoint's model config ({} layers, {} heads, width {}, "
               "vocab {}, ctx {}) differs from this run's",
               dir, saved.n_layer, saved.n_head, saved.n_embd, saved.vocab_size, saved.n_ctx)
        .with_hint("resume with the same model flags as the original run");
  LM_RETURN_IF_ERROR(model::load_model_weights(dir, r->gpt.get()));
  LM_ASSIGN_OR_RETURN(model::SafeTensorsFile opt,
                      model::SafeTensorsFile::open(dir + "/optimizer.safetensors"));
  const auto *m = opt.find("adamw.m"), *v = opt.find("adamw.v");
  if (!m || !v || m->count != r->opt->m().size() || v->count != r->opt->v().size())
    return corrupt("{}/optimizer.safetensors: moments missing or of the wrong size", dir);
  std::memcpy(r->opt->m().data(), m->data, m->count * 4);
  std::memcpy(r->opt->v().data(), v->data, v->count * 4);
  LM_ASSIGN_OR_RETURN(std::string text, read_file(dir + "/train_state.json"));
  auto st = nlohmann::json::parse(text, nullptr, false);
  if (st.is_discarded()) return corrupt("{}/train_state.json: not valid JSON", dir);
  try {
    r->step = st.at("step").get<int64_t>();
    r->tokens = st.at("tokens").get<uint64_t>();
    r->opt->set_step(st.at("adam_step").get<int64_t>());
    r->first_loss = st.at("first_loss").get<double>();
    std::array<uint64_t, 4> rs;
    for (int i = 0; i < 4; i++) rs[i] = std::stoull(st.at("rng").at(i).get<std::string>());
    r->rng.set_state(rs);
    LM_ASSIGN_OR_RETURN(auto ls, dataset::LoaderState::from_json(st.at("loader").dump()));
    LM_RETURN_IF_ERROR(r->train->restore(ls).with_context(dir));
  } catch (const std::exception& e) {
    return corrupt("{}/train_state.json: {}", dir, e.what());
  }
  return ok_status();
}

// Drops metrics lines after the resumed step, so the file reads as one uninterrupted run.
Status trim_metrics(const std::string& path, int64_t step) {
  if (!file_exists(path)) return ok_status();
  LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  std::string kept;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t e = text.find('\n', pos);
    if (e == std::string::npos) break;  // a torn last line is dropped
    std::string line = text.substr(pos, e - pos);
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("step", int64_t{0}) <= step) kept += line + "\n";
    pos = e + 1;
  }
  return write_file_atomic(path, kept);
}

}  // namespace detail
}  // namespace lm::train
