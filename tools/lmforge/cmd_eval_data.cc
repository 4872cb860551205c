// cmd_eval_data.cc: `lmforge eval make-data --out DIR [--sample DIR] [--seed S]`: writes the
// built-in tasks' documents (DIR/<dataset>/{train,validation,test}.jsonl) from the seeded
// generators and, given the sample corpus, from the KJV and GCIDE. Point `lmforge eval tasks
// --task-data DIR` (or $LMFORGE_TASK_DATA) at DIR.
#include <fmt/core.h>

#include "cli.h"
#include "eval/builtin_tasks.h"

namespace lm::cli {
namespace {

void setup(CLI::App& app) {
  CLI::App* parent = nullptr;
  try {
    parent = app.get_subcommand("eval");
  } catch (const CLI::Error&) {
    parent = app.add_subcommand("eval", "Evaluate models");
  }
  static eval::MakeDataOptions o;
  static bool json = false;
  auto* sub = parent->add_subcommand(
      "make-data",
      "Write the built-in tasks' documents (arithmetic, induction; KJV and GCIDE "
      "with --sample)");
  sub->add_option("--out", o.out_dir, "Task-data folder to write (DIR/<dataset>/<split>.jsonl)")
      ->required();
  sub->add_option("--sample", o.sample_dir,
                  "Sample corpus folder (lmforge corpus sample --out DIR) for kjv_cloze and "
                  "gcide_define; without it only the synthetic tasks are written");
  sub->add_option("--seed", o.seed, "Generator seed (same seed, same bytes)")
      ->capture_default_str();
  add_json_flag(sub, &json);
  set_action(sub, [] {
    std::vector<eval::TaskDataSummary> written;
    LM_RETURN_IF_ERROR(eval::make_builtin_task_data(o, &written));
    if (json) {
      nlohmann::json d = nlohmann::json::object();
      for (const auto& w : written)
        d[w.dataset] = {{"train", w.train}, {"validation", w.validation}, {"test", w.test}};
      print_json({{"out", o.out_dir}, {"seed", o.seed}, {"datasets", d}});
      return ok_status();
    }
    for (const auto& w : written)
      fmt::print("{:<16} train {:>5}  validation {:>4}  test {:>4}\n", w.dataset, w.train,
                 w.validation, w.test);
    if (o.sample_dir.empty())
      fmt::print(stderr,
                 "note: kjv_cloze and gcide_define need --sample DIR (the sample corpus)\n");
    fmt::print("wrote {} datasets to {} (seed {})\n", written.size(), o.out_dir, o.seed);
    return ok_status();
  });
}

Registrar reg(61, "eval make-data", setup);

}  // namespace
}  // namespace lm::cli
