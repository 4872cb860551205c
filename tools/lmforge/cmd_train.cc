// cmd_train.cc: `lmforge train --config run.toml --data PREFIX --out RUN_DIR [--resume]`, every
// config key also a flag (--n-layer 4 ...; flags override the file). Prints an llm.c-style
// progress line on stderr (redrawn in place on a terminal) and a JSON summary with --json.
#include <fmt/core.h>
#include <unistd.h>

#include <map>
#include <memory>

#include "cli.h"
#include "core/log.h"
#include "train/trainer.h"

namespace lm::cli {
namespace {

struct Opts {
  std::string config;
  bool resume = false, json = false;
  std::map<std::string, std::string> keys;  // as given on the command line
};

std::string progress_line(const train::StepMetrics& m) {
  std::string s = fmt::format(
      "step {:4d}/{} | loss {:.6f} | norm {:.4f} | lr {:.2e} | {:.1f} ms "
      "| {:.1f}% MFU | {:.0f} tok/s",
      m.step, m.max_steps, m.loss, m.grad_norm, m.lr, m.ms, m.mfu * 100, m.tokens_per_sec);
  if (m.val_loss) s += fmt::format(" | val loss {:.4f}", *m.val_loss);
  return s;
}

Status run(const Opts& o) {
  train::TrainConfig cfg;
  if (!o.config.empty()) LM_RETURN_IF_ERROR(train::load_config_toml(o.config, &cfg));
  for (const auto& [k, v] : o.keys) LM_RETURN_IF_ERROR(train::set_config_key(&cfg, k, v, "--" + k));
  LM_ASSIGN_OR_RETURN(auto comm, train::make_comm("auto"));
  bool tty = ::isatty(2) != 0, show = log_level() >= LogLevel::kInfo;
  train::TrainHooks hooks;
  hooks.on_message = [](const std::string& m) { log_info("{}", m); };
  hooks.on_step = [&](const train::StepMetrics& m) {
    if (!show) return;
    bool line = m.step == 1 || m.step == m.max_steps || m.val_loss ||
                (cfg.log_interval > 0 && m.step % cfg.log_interval == 0);
    if (tty)
      fmt::print(stderr, "\r\033[K{}{}", progress_line(m), line && m.val_loss ? "\n" : "");
    else if (line)
      fmt::print(stderr, "{}\n", progress_line(m));
    if (tty && m.step == m.max_steps) fmt::print(stderr, "\n");
  };
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
  for (const auto& k : train::config_keys()) {
    std::string flag = std::string("--") + k.name;
    for (auto& ch : flag)
      if (ch == '_') ch = '-';
    std::string key = k.name;
    sub->add_option_function<std::string>(
           flag, [key](const std::string& v) { o.keys[key] = v; }, k.help)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // a later flag wins
  }
  set_action(sub, [] { return run(o); });
}

Registrar reg(50, "train", setup);

}  // namespace
}  // namespace lm::cli
