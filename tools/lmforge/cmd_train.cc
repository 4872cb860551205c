// cmd_train.cc: `lmforge train --config run.toml --data PREFIX --out RUN_DIR [--resume]`, every
// config key also a flag (--n-layer 4 ...; flags override the file). Prints an llm.c-style
// progress line on stderr (redrawn in place on a terminal) and a JSON summary with --json.
#include <fmt/core.h>

#include <map>
#include <memory>

#include "cli.h"
#include "kernels/kernels.h"
#include "train/trainer.h"
#include "train_cli.h"

namespace lm::cli {
namespace {

struct Opts {
  std::string config;
  bool resume = false, json = false;
  std::map<std::string, std::string> keys;  // as given on the command line
};

Status run(const Opts& o) {
  train::TrainConfig cfg;
  if (!o.config.empty()) LM_RETURN_IF_ERROR(train::load_config_toml(o.config, &cfg));
  LM_RETURN_IF_ERROR(apply_train_config_flags(o.keys, &cfg));
  LM_ASSIGN_OR_RETURN(auto comm, train::make_comm("auto"));
  if (cfg.kernels == "cpu-bf16" && comm->rank() == 0 &&
      std::string(kernels::bf16_kernels().name) != "cpu-bf16")
    fmt::print(stderr,
               "note: kernels cpu-bf16: this CPU has no AMX-BF16 (Intel Sapphire Rapids or "
               "later), so the products run in fp32, as kernels = \"cpu\"\n");
  train::TrainHooks hooks = train_progress_hooks(&cfg);
  LM_ASSIGN_OR_RETURN(train::TrainSummary s, train::run_training(cfg, o.resume, comm.get(), hooks));
  if (comm->rank() != 0) return ok_status();
  nlohmann::json j = {{"run_dir", s.run_dir},
                      {"steps", s.steps},
                      {"tokens", s.tokens},
                      {"final_loss", s.final_loss},
                      {"tokens_per_sec", s.tokens_per_sec},
                      {"peak_flops", s.peak_flops},
                      {"params", s.params},
                      {"world", comm->world()}};
  if (s.final_val_loss) j["final_val_loss"] = *s.final_val_loss;
  if (o.json)
    print_json(j);
  else
    fmt::print("trained {} steps ({} tokens), final loss {:.4f}{}, {:.0f} tok/s -> {}\n", s.steps,
               s.tokens, s.final_loss,
               s.final_val_loss ? fmt::format(", val loss {:.4f}", *s.final_val_loss) : "",
               s.tokens_per_sec, s.run_dir + "/checkpoint");
  return ok_status();
}

void setup(CLI::App& app) {
  auto* sub =
      app.add_subcommand("train", "Train a GPT on packed token data (CPU; MPI with mpirun)");
  static Opts o;
  sub->add_option("-c,--config", o.config, "TOML file of config keys (flags override it)");
  sub->add_flag("--resume", o.resume, "Continue the run in --out from its checkpoint");
  add_json_flag(sub, &o.json);
  add_train_config_flags(sub, &o.keys);
  set_action(sub, [] { return run(o); });
}

Registrar reg(50, "train", setup);

}  // namespace
}  // namespace lm::cli
