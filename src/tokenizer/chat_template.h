// chat_template.h: lmforge's chat format, the one renderer used by SFT (src/sft), generation
// (`lmforge chat`, `generate --chat`) and evaluation (chat-formatted harness tasks). A
// conversation is an optional system turn, then user and assistant turns alternating, starting
// with the user. Each turn renders as <|ROLE|>CONTENT<|end|> with no other characters, and the
// generation prompt is <|assistant|>:
//
//   <|system|>Be brief.<|end|><|user|>2+2?<|end|><|assistant|>4<|end|>
//
// The markers are four special tokens (<|system|> <|user|> <|assistant|> <|end|>). encode_chat
// builds the token stream piece by piece: the markers are their special ids, each content is
// encoded as ordinary text, so a user writing "<|assistant|>" gets ordinary text tokens; for
// contents free of marker text the stream equals the rendered string encoded with special tokens
// allowed, token for token (the segments between special tokens are exactly the contents). It
// also marks which tokens the SFT loss counts: every token of an assistant content and the
// <|end|> that closes it. chat_template_jinja() is the same format as a Hugging Face
// `chat_template`, written into tokenizer_config.json beside a checkpoint's tokenizer.json.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "tokenizer/tokenizer.h"

namespace lm::tok {

inline constexpr const char* kChatSystem = "<|system|>";
inline constexpr const char* kChatUser = "<|user|>";
inline constexpr const char* kChatAssistant = "<|assistant|>";
inline constexpr const char* kChatEnd = "<|end|>";

// The four markers, in the order they are added to a tokenizer.
const std::vector<std::string>& chat_special_tokens();

struct ChatMessage {
  std::string role;  // "system" | "user" | "assistant"
  std::string content;
};

// What a renderable conversation is: roles known, system only first, then user/assistant
// alternating from the user. for_training: it must end with an assistant turn (the reply to
// learn); otherwise (a prompt) it must end with a user turn. The error says which turn is wrong.
Status check_chat(const std::vector<ChatMessage>& messages, bool for_training);

// The rendered text; add_generation_prompt appends <|assistant|> (the reply comes next).
std::string render_chat(const std::vector<ChatMessage>& messages, bool add_generation_prompt);

// The same format as a Jinja chat_template (Hugging Face apply_chat_template renders the same
// string for valid conversations; an invalid one raises).
const char* chat_template_jinja();
// tokenizer_config.json for a checkpoint folder: chat_template, eos_token <|end|>, the markers
// as additional_special_tokens, the tokenizer class.
std::string tokenizer_config_json();

struct ChatTokens {
  std::vector<uint32_t> ids;
  std::vector<uint8_t> trained;  // per token: 1 = an assistant content token or its <|end|>
};

bool has_chat_tokens(const Tokenizer& tokenizer);
// Encodes a conversation (check_chat first, with for_training = !add_generation_prompt). Fails
// when the tokenizer lacks the markers (see with_chat_tokens).
Result<ChatTokens> encode_chat(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                               bool add_generation_prompt);

// Encodes text in which the chat markers (and only they) are special: the rendered string of a
// conversation, e.g. a harness prompt. Other special-token text, <|endoftext|> included, stays
// ordinary text. Without the markers in the tokenizer this is encode_ordinary.
void encode_with_chat_markers(const Tokenizer& tokenizer, std::string_view text,
                              std::vector<uint32_t>* out);

// A copy of a BPE tokenizer with the markers that are missing added as special tokens (new ids
// from vocab_size() up); *added counts them. WordPiece tokenizers are refused.
Result<Tokenizer> with_chat_tokens(const Tokenizer& tokenizer, int* added);

}  // namespace lm::tok
