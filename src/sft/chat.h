// chat.h: a conversation with a fine-tuned model, turn by turn (`lmforge chat`,
// `lmforge generate --chat`). The history is rendered with the chat template on every turn
// (tokenizer/chat_template.h, user text never becomes special tokens); when the prompt plus the
// reply budget would not fit the context, the oldest user/assistant exchanges are dropped (the
// system turn stays) and dropped() counts them. The reply streams token by token and ends at
// <|end|> (or max_new_tokens).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "generate/generate.h"
#include "tokenizer/chat_template.h"

namespace lm::sft {

class ChatSession {
 public:
  // dir: a run folder or checkpoint folder of `lmforge sft`.
  static Result<std::unique_ptr<ChatSession>> open(const std::string& dir,
                                                   const generate::GenerateOptions& options,
                                                   const std::string& system = "");
  // One reply to `user`; on_text receives the reply's text as it grows (only complete UTF-8).
  Result<std::string> reply(const std::string& user,
                            const std::function<void(const std::string&)>& on_text = {});
  void reset();  // forgets every turn but the system one
  const std::vector<tok::ChatMessage>& history() const { return history_; }
  int dropped() const { return dropped_; }
  int n_ctx() const;

 private:
  ChatSession() = default;
  std::unique_ptr<model::Gpt> model_;
  std::unique_ptr<tok::Tokenizer> tok_;
  generate::GenerateOptions opt_;
  std::vector<tok::ChatMessage> history_;
  int dropped_ = 0;
};

}  // namespace lm::sft
