// cmd_emergence.cc: `lmforge emergence --config examples/emergence.toml [--out DIR] [--resume]
// [--dry-run]`: the size-ladder study of emergent abilities (src/emergence/study.h). Prints the
// plan (a dry run: with the trainer's measured tokens/s and estimated CPU time per shape), then
// the mirage test and ICL scores; --json prints emergence.json (or the plan).
#include <fmt/core.h>

#include "cli.h"
#include "emergence/study.h"

namespace lm::cli {
namespace {

void setup(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "emergence",
      "Size-ladder study of emergent abilities: train, evaluate every checkpoint, mirage test, "
      "ICL score");
  static std::string config, out;
  static emergence::StudyOptions o;
  static int threads = -1;
  static bool json = false;
  sub->add_option("--config", config, "Study config (TOML, examples/emergence.toml)")->required();
  sub->add_option("--out", out, "Study folder (overrides the config's out)");
  sub->add_flag("--resume", o.resume, "Continue the study in OUT (kept checkpoints are reused)");
  sub->add_flag("--dry-run", o.dry_run,
                "Print the plan with each shape's measured tokens/s and estimated CPU time");
  sub->add_option("--threads", threads, "Threads for training and evaluation (overrides config)");
  add_json_flag(sub, &json);
  set_action(sub, [] {
    LM_ASSIGN_OR_RETURN(emergence::EmergenceConfig c, emergence::load_emergence_config(config));
    if (!out.empty()) c.out = out;
    if (threads >= 0) c.threads = threads;
    LM_ASSIGN_OR_RETURN(emergence::StudyResult r, emergence::run_study(c, o));
    if (json && !o.dry_run) {
      print_json(nlohmann::json::parse(r.json.dump()));
      return ok_status();
    }
    if (json) {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& m : r.models)
        a.push_back({{"name", m.name},
                     {"role", m.role},
                     {"non_embedding_params", m.non_embedding_params},
                     {"params", m.params},
                     {"tokens", m.tokens},
                     {"steps", m.steps},
                     {"checkpoints", m.checkpoint_steps},
                     {"tokens_per_sec", m.tokens_per_sec},
                     {"est_seconds", m.est_seconds}});
      print_json({{"models", a}, {"train_tokens", r.mixture.train_tokens}});
      return ok_status();
    }
    fmt::print("{}", emergence::format_study(c, r, o.dry_run));
    return ok_status();
  });
}

Registrar reg(95, "emergence", setup);

}  // namespace
}  // namespace lm::cli
