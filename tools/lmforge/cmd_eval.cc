// cmd_eval.cc: `lmforge eval --checkpoint RUN_DIR --data PREFIX`: mean next-token loss (nats)
// and perplexity over the validation split (or all of PREFIX); --json prints one object.
// `lmforge eval tasks --checkpoint DIR --tasks T[,..] --output OUT ...`: lm-evaluation-harness
// style task scoring (src/eval/eval_tasks.h), the harness's table or --json; `--list` shows the
// built-in tasks.
#include <fmt/core.h>

#include <optional>

#include "cli.h"
#include "core/strings.h"
#include "eval/builtin_tasks.h"
#include "eval/eval_tasks.h"
#include "eval/perplexity.h"

namespace lm::cli {
namespace {

void setup_tasks(CLI::App* eval_cmd) {
  auto* sub = eval_cmd->add_subcommand(
      "tasks",
      "Score a model on harness-style tasks (YAML + JSONL) and compare prompting strategies");
  static eval::EvalTasksOptions o;
  static std::string tasks, strategies = "direct";
  static int num_fewshot = -1;
  static bool json = false, list = false;
  sub->add_option("--checkpoint", o.checkpoint,
                  "lmforge run / checkpoint folder, or a Hugging Face GPT-2 folder");
  sub->add_option("--tokenizer", o.tokenizer, "Tokenizer file (default: the checkpoint's own)");
  sub->add_option("--tasks", tasks, "Built-in task names or task YAML files, comma-separated");
  sub->add_option("--output", o.output, "Folder for results.json (and samples_<task>.jsonl)");
  sub->add_option("--num-fewshot", num_fewshot,
                  "Shots per prompt (default: the task's num_fewshot)");
  sub->add_option("--limit", o.limit, "Score only the first N documents of each task (0 = all)");
  sub->add_flag("--log-samples", o.log_samples, "Write OUT/samples_<task>.jsonl");
  sub->add_option("--seed", o.seed, "Few-shot, sampling and bootstrap seed")->capture_default_str();
  sub->add_option("--strategies", strategies, "direct,cot,zs-cot,sc (one table)")
      ->capture_default_str();
  sub->add_option("--sc-samples", o.strategy.sc_samples, "Self-consistency paths")
      ->capture_default_str();
  sub->add_option("--sc-temperature", o.strategy.sc_temperature, "Self-consistency temperature")
      ->capture_default_str();
  sub->add_option("--sc-top-k", o.strategy.sc_top_k, "Self-consistency top-k (0 = none)")
      ->capture_default_str();
  sub->add_option("--answer-trigger", o.strategy.answer_trigger, "Zero-shot CoT stage-2 trigger")
      ->capture_default_str();
  sub->add_option("--bootstrap-iters", o.bootstrap_iters,
                  "Bootstrap resamples for perplexity-type standard errors (the harness: 100000)")
      ->capture_default_str();
  sub->add_option("--batch-size", o.batch_size, "Rows per forward pass")->capture_default_str();
  sub->add_option("--task-data", o.task_data_dir,
                  "Folder of task documents (default: $LMFORGE_TASK_DATA, else out/tasks)");
  sub->add_option("--tasks-dir", o.tasks_dir,
                  "Folder of task YAML files (default: the built-in tasks/)");
  sub->add_flag("--list", list, "List the built-in tasks and whether their documents exist");
  add_threads_option(sub, &o.threads);
  add_json_flag(sub, &json);
  set_action(sub, [] {
    if (list) {
      std::string dir = o.tasks_dir.empty() ? eval::default_tasks_dir() : o.tasks_dir;
      std::string data = o.task_data_dir.empty() ? eval::default_task_data_dir() : o.task_data_dir;
      LM_ASSIGN_OR_RETURN(auto tasks_list, eval::list_builtin_tasks(dir, data));
      if (json) {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& t : tasks_list)
          a.push_back({{"name", t.name},
                       {"yaml", t.yaml},
                       {"summary", t.summary},
                       {"data", t.data_present},
                       {"data_file", t.data_file}});
        print_json({{"tasks_dir", dir}, {"task_data", data}, {"tasks", a}});
      } else {
        for (const auto& t : tasks_list)
          fmt::print("{:<24} {:<8} {}\n", t.name, t.data_present ? "data" : "no data", t.summary);
        fmt::print(stderr,
                   "tasks: {}; documents: {} (make them: lmforge eval make-data --sample "
                   "out/sample --out {})\n",
                   dir, data, data);
      }
      return ok_status();
    }
    if (o.checkpoint.empty()) return invalid_argument("eval tasks: --checkpoint is required");
    if (tasks.empty())
      return invalid_argument("eval tasks: --tasks is required")
          .with_hint("lmforge eval tasks --list");
    o.tasks = split_commas(tasks);
    if (num_fewshot >= 0) o.num_fewshot = num_fewshot;
    LM_ASSIGN_OR_RETURN(o.strategies, eval::parse_strategies(strategies));
    LM_ASSIGN_OR_RETURN(eval::EvalTasksReport rep, eval::run_eval_tasks(o));
    if (json) {
      print_json(nlohmann::json::parse(rep.results_json.dump()));
    } else {
      fmt::print("{}", rep.table);
      if (!o.output.empty()) fmt::print(stderr, "wrote {}/results.json\n", o.output);
    }
    return ok_status();
  });
}

void setup(CLI::App& app) {
  auto* sub = app.add_subcommand("eval", "Loss and perplexity of a checkpoint on packed data");
  static eval::EvalOptions o;
  static bool json = false;
  auto* checkpoint =
      sub->add_option("--checkpoint", o.checkpoint, "Run directory or checkpoint directory");
  auto* data = sub->add_option("--data", o.data, "Packed data PREFIX (lmforge pack --out)");
  sub->add_option("--split", o.split, "auto (val if present, else train) | val | train")
      ->capture_default_str();
  sub->add_option("--batch-size", o.batch_size, "Rows per batch")->capture_default_str();
  sub->add_option("--seq-len", o.seq_len, "Tokens per row (0 = the model's context)");
  sub->add_option("--loader-mode", o.loader_mode,
                  "concatenate | pad | docmask (attention within documents; use the run's mode)")
      ->capture_default_str();
  sub->add_option("--max-batches", o.max_batches, "Evaluate at most this many batches (0 = all)");
  add_threads_option(sub, &o.threads);
  add_json_flag(sub, &json);
  setup_tasks(sub);
  // --checkpoint and --data are required unless a subcommand (tasks) is given.
  set_action(sub, [sub, checkpoint, data] {
    if (!sub->get_subcommands().empty()) return ok_status();
    if (checkpoint->count() == 0) return invalid_argument("--checkpoint is required");
    if (data->count() == 0) return invalid_argument("--data is required");
    LM_ASSIGN_OR_RETURN(eval::EvalReport r, eval::evaluate_checkpoint(o));
    if (json) {
      print_json({{"loss", r.loss},
                  {"perplexity", r.perplexity},
                  {"tokens", r.tokens},
                  {"batches", r.batches},
                  {"split", r.split},
                  {"seconds", r.seconds}});
    } else {
      fmt::print("{} split: loss {:.4f} nats/token, perplexity {:.2f} ({} tokens, {} batches)\n",
                 r.split, r.loss, r.perplexity, r.tokens, r.batches);
    }
    return ok_status();
  });
}

Registrar reg(60, "eval", setup);

}  // namespace
}  // namespace lm::cli
