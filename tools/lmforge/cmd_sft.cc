// cmd_sft.cc: `lmforge sft --checkpoint BASE --data CHATS[,...] --out RUN [--config sft.toml]`:
// supervised fine-tuning on chat data with the trainer of `lmforge train` (every trainer flag
// works, except the model shape, which is the base's), loss on assistant tokens only
// (src/sft/sft.h). `lmforge sft synthetic --out FILE.jsonl [--sample DIR]`: generated
// instruction data with held-out phrasings and instances, and harness tasks scoring them.
#include <fmt/core.h>

#include <map>

#include "cli.h"
#include "core/log.h"
#include "sft/sft.h"
#include "sft/synthetic.h"
#include "train_cli.h"

namespace lm::cli {
namespace {

struct Opts {
  std::string config;
  bool json = false;
  sft::SftOptions sft;
  std::map<std::string, std::string> keys;
};

Status run(Opts& o) {
  if (o.sft.checkpoint.empty())
    return invalid_argument("--checkpoint is required").with_hint("pass --checkpoint BASE_RUN");
  if (o.sft.data.empty()) return invalid_argument("--data is required");
  train::TrainConfig& cfg = o.sft.train;
  // SFT defaults (a config file and flags override them): short, gentle, no decay of the base.
  cfg.max_steps = 300;
  cfg.warmup_steps = 10;
  cfg.lr = 5e-4;
  cfg.weight_decay = 0.0;
  cfg.eval_interval = 50;
  cfg.batch_size = 16;
  if (!o.config.empty()) LM_RETURN_IF_ERROR(train::load_config_toml(o.config, &cfg));
  LM_RETURN_IF_ERROR(apply_train_config_flags(o.keys, &cfg));
  LM_ASSIGN_OR_RETURN(auto comm, train::make_comm("auto"));
  train::TrainHooks hooks = train_progress_hooks(&cfg);
  LM_ASSIGN_OR_RETURN(sft::SftSummary s, sft::run_sft(o.sft, comm.get(), hooks));
  if (comm->rank() != 0) return ok_status();
  nlohmann::json j = {{"run_dir", s.train.run_dir},
                      {"steps", s.train.steps},
                      {"final_loss", s.train.final_loss},
                      {"train_conversations", s.train_conversations},
                      {"val_conversations", s.val_conversations},
                      {"skipped", s.read.skipped},
                      {"rows", s.rows},
                      {"trained_fraction", s.trained_fraction},
                      {"added_tokens", s.added_tokens},
                      {"vocab", s.vocab},
                      {"base_vocab", s.base_vocab}};
  if (s.train.final_val_loss) j["final_val_loss"] = *s.train.final_val_loss;
  if (o.json) {
    print_json(j);
  } else {
    fmt::print(
        "fine-tuned {} steps on {} conversations ({} held out; {}), final loss {:.4f}{} -> {}\n",
        s.train.steps, s.train_conversations, s.val_conversations, s.read.summary(),
        s.train.final_loss,
        s.train.final_val_loss ? fmt::format(", val loss {:.4f}", *s.train.final_val_loss) : "",
        s.train.run_dir + "/checkpoint");
  }
  return ok_status();
}

void setup_synthetic(CLI::App* parent) {
  auto* sub = parent->add_subcommand(
      "synthetic", "Generate instruction data (held-out phrasings/instances) and its eval tasks");
  static sft::SyntheticOptions o;
  static bool json = false;
  sub->add_option("--out,-o", o.out, "Training conversations (JSONL)")->required();
  sub->add_option("--eval-dir", o.eval_dir,
                  "Eval tasks and data (default: OUT minus .jsonl + _eval)");
  sub->add_option("--sample", o.sample_dir,
                  "Sample corpus (lmforge corpus sample) for the word, verse and definition types");
  sub->add_option("--train-per-type", o.train_per_type, "Training conversations per task type")
      ->capture_default_str();
  sub->add_option("--eval-per-type", o.eval_per_type, "Held-out test documents per task type")
      ->capture_default_str();
  sub->add_option("--types", o.types, "Only these task types (comma-separated; default: all)")
      ->delimiter(',');
  sub->add_option("--seed", o.seed, "Generator seed")->capture_default_str();
  add_json_flag(sub, &json);
  set_action(sub, [] {
    std::vector<sft::SyntheticCount> counts;
    LM_RETURN_IF_ERROR(sft::make_synthetic(o, &counts));
    nlohmann::json j = nlohmann::json::array();
    for (const auto& c : counts) {
      j.push_back({{"type", c.type}, {"train", c.train}, {"fewshot", c.fewshot}, {"test", c.test}});
      if (!json)
        fmt::print("{:16s} {:6d} train  {:4d} few-shot  {:4d} held-out test\n", c.type, c.train,
                   c.fewshot, c.test);
    }
    if (json) print_json({{"out", o.out}, {"types", j}});
    return ok_status();
  });
}

void setup(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "sft", "Fine-tune a base checkpoint on chat data (loss on assistant turns only)");
  static Opts o;
  sub->add_option("--checkpoint", o.sft.checkpoint, "Base model: run or checkpoint folder");
  sub->add_option("--data", o.sft.data, "Chat JSONL files (messages, Alpaca or prompt/completion)")
      ->delimiter(',');
  sub->add_option("--val-data", o.sft.val_data, "Held-out conversations (default: a fraction)");
  sub->add_option("--val-fraction", o.sft.val_fraction, "Held-out share of --data")
      ->capture_default_str();
  sub->add_option("--packing", o.sft.packing, "pack (several per row, document masking) | pad")
      ->capture_default_str();
  sub->add_option("--on-error", o.sft.on_error,
                  "Bad records: fail | skip (counted, with file:line)")
      ->capture_default_str();
  sub->add_option("--max-examples", o.sft.max_examples, "Use the first N conversations (0 = all)");
  sub->add_option("-c,--config", o.config, "TOML file of trainer keys (flags override it)");
  sub->add_flag("--resume", o.sft.resume, "Continue the run in --out from its checkpoint");
  add_json_flag(sub, &o.json);
  add_train_config_flags(
      sub, &o.keys,
      {"data", "vocab_size", "n_ctx", "n_layer", "n_head", "n_embd", "bias", "mlp", "loader_mode"});
  setup_synthetic(sub);
  set_action(sub, [sub] {
    if (!sub->get_subcommands().empty()) return ok_status();
    return run(o);
  });
}

Registrar reg(55, "sft", setup);

}  // namespace
}  // namespace lm::cli
