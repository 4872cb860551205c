// cmd_chat.cc: `lmforge chat --checkpoint RUN`: an interactive terminal chat with a model
// fine-tuned by `lmforge sft` (history kept within the context, the reply streamed as it is
// generated; /reset forgets the conversation, /quit or end of input leaves). Also the one-turn
// reply behind `lmforge generate --chat` (chat_cli.h).
#include <fmt/core.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "chat_cli.h"
#include "cli.h"
#include "core/threads.h"
#include "sft/chat.h"

namespace lm::cli {

Status run_chat_turn(const std::string& checkpoint, const std::string& prompt,
                     const generate::GenerateOptions& gen, bool json) {
  LM_ASSIGN_OR_RETURN(auto chat, sft::ChatSession::open(checkpoint, gen));
  size_t shown = 0;
  auto on_text = [&](const std::string& t) {
    if (json || t.size() <= shown) return;
    std::fwrite(t.data() + shown, 1, t.size() - shown, stdout);
    std::fflush(stdout);
    shown = t.size();
  };
  LM_ASSIGN_OR_RETURN(std::string reply, chat->reply(prompt, on_text));
  if (json)
    print_json({{"prompt", prompt}, {"reply", reply}, {"seed", gen.seed}});
  else
    fmt::print("\n");
  return ok_status();
}

namespace {

struct Opts {
  std::string checkpoint, system;
  int threads = 1;
  generate::GenerateOptions gen;
};

Status run(Opts& o) {
  kernels::set_kernel_threads(resolve_threads(o.threads));
  LM_ASSIGN_OR_RETURN(auto chat, sft::ChatSession::open(o.checkpoint, o.gen, o.system));
  fmt::print(stderr, "chatting with {} (context {} tokens). /reset starts over, /quit leaves.\n",
             o.checkpoint, chat->n_ctx());
  std::string line;
  int dropped = 0;
  while (true) {
    fmt::print("you> ");
    std::fflush(stdout);
    if (!std::getline(std::cin, line)) break;
    if (line == "/quit" || line == "/exit") break;
    if (line == "/reset") {
      chat->reset();
      fmt::print("(conversation reset)\n");
      continue;
    }
    if (line.empty()) continue;
    fmt::print("model> ");
    std::fflush(stdout);
    size_t shown = 0;
    auto on_text = [&](const std::string& t) {
      if (t.size() <= shown) return;
      std::fwrite(t.data() + shown, 1, t.size() - shown, stdout);
      std::fflush(stdout);
      shown = t.size();
    };
    auto r = chat->reply(line, on_text);
    fmt::print("\n");
    if (!r.ok()) {
      fmt::print(stderr, "error: {}\n", r.status().message());
      continue;
    }
    if (chat->dropped() > dropped) {
      fmt::print(stderr, "(the oldest {} exchange(s) no longer fit the context and were dropped)\n",
                 chat->dropped() - dropped);
      dropped = chat->dropped();
    }
  }
  fmt::print("\n");
  return ok_status();
}

void setup(CLI::App& app) {
  auto* sub =
      app.add_subcommand("chat", "Chat in the terminal with a fine-tuned model (lmforge sft)");
  static Opts o;
  o.gen.sampler.temperature = 0.0f;
  o.gen.max_new_tokens = 64;
  sub->add_option("--checkpoint", o.checkpoint, "SFT run or checkpoint folder")->required();
  sub->add_option("--system", o.system, "A system turn kept at the start of the conversation");
  sub->add_option("-n,--max-new-tokens", o.gen.max_new_tokens, "Most tokens per reply")
      ->capture_default_str();
  sub->add_option("--temperature", o.gen.sampler.temperature, "0 = greedy")->capture_default_str();
  sub->add_option("--top-k", o.gen.sampler.top_k, "Keep the k most likely tokens (0 = all)");
  sub->add_option("--top-p", o.gen.sampler.top_p, "Nucleus: keep tokens up to this probability");
  sub->add_option("--repetition-penalty", o.gen.repetition_penalty,
                  "HF's repetition_penalty: > 1 makes tokens already in the text less likely")
      ->capture_default_str();
  sub->add_option("--seed", o.gen.seed, "Sampling seed")->capture_default_str();
  add_threads_option(sub, &o.threads);
  set_action(sub, [] { return run(o); });
}

Registrar reg(72, "chat", setup);

}  // namespace
}  // namespace lm::cli
