// cmd_eval.cc: `lmforge eval --checkpoint RUN_DIR --data PREFIX`: mean next-token loss (nats)
// and perplexity over the validation split (or all of PREFIX); --json prints one object.
#include <fmt/core.h>

#include "cli.h"
#include "eval/perplexity.h"

namespace lm::cli {
namespace {

void setup(CLI::App& app) {
  auto* sub = app.add_subcommand("eval", "Loss and perplexity of a checkpoint on packed data");
  static eval::EvalOptions o;
  static bool json = false;
  // Required unless a sub-subcommand (eval make-data) is used: checked in the action.
  sub->add_option("--checkpoint", o.checkpoint, "Run directory or checkpoint directory");
  sub->add_option("--data", o.data, "Packed data PREFIX (lmforge pack --out)");
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
  set_action(sub, [sub] {
    if (!sub->get_subcommands().empty()) return ok_status();
    if (o.checkpoint.empty() || o.data.empty())
      return invalid_argument("eval: --checkpoint and --data are required");
    LM_ASSIGN_OR_RETURN(eval::EvalReport r, eval::evaluate_checkpoint(o));
    if (json) {
      print_json({{"loss", r.loss}, {"perplexity", r.perplexity}, {"tokens", r.tokens},
                  {"batches", r.batches}, {"split", r.split}, {"seconds", r.seconds}});
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
