// train_cli.cc: the trainer's flags and progress output, shared by cmd_train and cmd_sft.
#include "train_cli.h"

#include <fmt/core.h>
#include <unistd.h>

#include "core/log.h"

namespace lm::cli {

void add_train_config_flags(CLI::App* sub, std::map<std::string, std::string>* keys,
                            const std::set<std::string>& except) {
  for (const auto& k : train::config_keys()) {
    if (except.count(k.name)) continue;
    std::string flag = std::string("--") + k.name;
    for (auto& ch : flag)
      if (ch == '_') ch = '-';
    std::string key = k.name;
    sub->add_option_function<std::string>(
           flag, [keys, key](const std::string& v) { (*keys)[key] = v; }, k.help)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // a later flag wins
  }
}

Status apply_train_config_flags(const std::map<std::string, std::string>& keys,
                                train::TrainConfig* cfg) {
  for (const auto& [k, v] : keys) LM_RETURN_IF_ERROR(train::set_config_key(cfg, k, v, "--" + k));
  return ok_status();
}

std::string train_progress_line(const train::StepMetrics& m) {
  std::string s = fmt::format(
      "step {:4d}/{} | loss {:.6f} | norm {:.4f} | lr {:.2e} | {:.1f} ms "
      "| {:.1f}% MFU | {:.0f} tok/s",
      m.step, m.max_steps, m.loss, m.grad_norm, m.lr, m.ms, m.mfu * 100, m.tokens_per_sec);
  if (m.loss_mask_fraction) s += fmt::format(" | in loss {:.1f}%", 100 * *m.loss_mask_fraction);
  if (m.val_loss) s += fmt::format(" | val loss {:.4f}", *m.val_loss);
  return s;
}

train::TrainHooks train_progress_hooks(const train::TrainConfig* cfg) {
  train::TrainHooks hooks;
  hooks.on_message = [](const std::string& m) { log_info("{}", m); };
  hooks.on_step = [cfg](const train::StepMetrics& m) {
    bool tty = ::isatty(2) != 0, show = log_level() >= LogLevel::kInfo;
    if (!show) return;
    bool line = m.step == 1 || m.step == m.max_steps || m.val_loss ||
                (cfg->log_interval > 0 && m.step % cfg->log_interval == 0);
    if (tty)
      fmt::print(stderr, "\r\033[K{}{}", train_progress_line(m), line && m.val_loss ? "\n" : "");
    else if (line)
      fmt::print(stderr, "{}\n", train_progress_line(m));
    if (tty && m.step == m.max_steps) fmt::print(stderr, "\n");
  };
  return hooks;
}

}  // namespace lm::cli
