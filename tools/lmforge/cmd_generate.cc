// cmd_generate.cc: `lmforge generate --checkpoint RUN_DIR --prompt "..."`: KV-cache sampling
// (temperature, top-k, top-p, HF's repetition penalty, seed; greedy at temperature 0) with the
// tokenizer recorded with the run, streaming text to stdout as tokens come; --json prints one
// object at the end.
#include <fmt/core.h>

#include <cstdio>

#include "chat_cli.h"
#include "cli.h"
#include "core/threads.h"
#include "generate/generate.h"
#include "model/checkpoint.h"

namespace lm::cli {
namespace {

struct Opts {
  std::string checkpoint, prompt, tokenizer;
  int max_new_tokens = 128, threads = 1;
  bool json = false, stop_at_eot = true, chat = false;
  generate::GenerateOptions gen;
};

Status run(Opts& o) {
  kernels::set_kernel_threads(resolve_threads(o.threads));
  LM_RETURN_IF_ERROR(o.gen.sampler.validate());
  if (o.chat) {
    o.gen.max_new_tokens = o.max_new_tokens;
    return run_chat_turn(o.checkpoint, o.prompt, o.gen, o.json);
  }
  std::string dir = model::checkpoint_dir(o.checkpoint);
  LM_ASSIGN_OR_RETURN(auto codec, generate::TextCodec::for_checkpoint(dir, o.tokenizer));
  LM_ASSIGN_OR_RETURN(auto model, model::load_model(dir, kernels::cpu_kernels()));
  LM_ASSIGN_OR_RETURN(std::vector<int> prompt, codec.encode(o.prompt));
  o.gen.max_new_tokens = o.max_new_tokens;
  o.gen.stop_token = o.stop_at_eot ? codec.eot() : -1;
  std::vector<int> so_far;
  size_t printed = 0;
  auto on_token = [&](int id) {
    if (o.json) return true;
    so_far.push_back(id);
    std::string text = codec.decode(so_far);
    // Hold back a trailing U+FFFD: it may be a character split across tokens.
    size_t stable = text.size();
    if (stable >= 3 && text.compare(stable - 3, 3, "\xEF\xBF\xBD") == 0) stable -= 3;
    if (stable > printed) {
      std::fwrite(text.data() + printed, 1, stable - printed, stdout);
      std::fflush(stdout);
      printed = stable;
    }
    return true;
  };
  if (!o.json) fmt::print("{}", o.prompt);
  LM_ASSIGN_OR_RETURN(std::vector<int> ids,
                      generate::generate_tokens(*model, prompt, o.gen, on_token));
  std::string completion = codec.decode(ids);
  if (o.json) {
    print_json({{"prompt", o.prompt},
                {"completion", completion},
                {"tokens", ids},
                {"prompt_tokens", prompt.size()},
                {"seed", o.gen.seed},
                {"temperature", o.gen.sampler.temperature},
                {"top_k", o.gen.sampler.top_k},
                {"top_p", o.gen.sampler.top_p},
                {"repetition_penalty", o.gen.repetition_penalty},
                {"tokenizer", codec.name()}});
  } else {
    if (completion.size() > printed) fmt::print("{}", completion.substr(printed));
    fmt::print("\n");
  }
  return ok_status();
}

void setup(CLI::App& app) {
  auto* sub = app.add_subcommand("generate", "Sample text from a trained checkpoint (KV cache)");
  static Opts o;
  sub->add_option("--checkpoint", o.checkpoint, "Run directory or checkpoint directory")
      ->required();
  sub->add_option("--prompt", o.prompt, "Text to continue")->required();
  sub->add_option("-n,--max-new-tokens", o.max_new_tokens, "Tokens to generate")
      ->capture_default_str();
  sub->add_option("--temperature", o.gen.sampler.temperature, "0 = greedy")->capture_default_str();
  sub->add_option("--top-k", o.gen.sampler.top_k, "Keep the k most likely tokens (0 = all)");
  sub->add_option("--top-p", o.gen.sampler.top_p, "Nucleus: keep tokens up to this probability");
  sub->add_option("--repetition-penalty", o.gen.repetition_penalty,
                  "HF's repetition_penalty: > 1 makes tokens already in the text less likely")
      ->capture_default_str();
  sub->add_option("--seed", o.gen.seed, "Sampling seed")->capture_default_str();
  sub->add_option("--tokenizer", o.tokenizer, "Tokenizer file (default: the one of the run)");
  sub->add_flag("--chat", o.chat,
                "The prompt is a user turn of the chat template; print the model's reply "
                "(a `lmforge sft` run)");
  sub->add_flag("!--no-stop", o.stop_at_eot, "Do not stop at the end-of-text token");
  add_threads_option(sub, &o.threads);
  add_json_flag(sub, &o.json);
  set_action(sub, [] { return run(o); });
}

Registrar reg(70, "generate", setup);

}  // namespace
}  // namespace lm::cli
