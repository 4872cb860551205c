// chat_template.cc: rendering, encoding and the Jinja form of lmforge's chat format.
#include "tokenizer/chat_template.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "tokenizer/bpe.h"

namespace lm::tok {

const std::vector<std::string>& chat_special_tokens() {
  static const std::vector<std::string> t = {kChatSystem, kChatUser, kChatAssistant, kChatEnd};
  return t;
}

namespace {

const char* marker(const std::string& role) {
  if (role == "system") return kChatSystem;
  if (role == "user") return kChatUser;
  return kChatAssistant;
}

}  // namespace

Status check_chat(const std::vector<ChatMessage>& m, bool for_training) {
  if (m.empty()) return invalid_argument("the conversation has no turns");
  size_t first = 0;
  for (size_t i = 0; i < m.size(); i++) {
    const std::string& r = m[i].role;
    if (r != "system" && r != "user" && r != "assistant")
      return invalid_argument("turn {}: unknown role '{}'", i + 1, r)
          .with_hint("roles are system, user and assistant");
    if (r == "system" && i != 0)
      return invalid_argument("turn {}: a system turn is only allowed first", i + 1);
    if (i == 0 && r == "system") {
      first = 1;
      continue;
    }
    const char* want = (i - first) % 2 == 0 ? "user" : "assistant";
    if (r != want)
      return invalid_argument(
          "turn {}: '{}' where the template needs '{}' (after an optional "
          "system turn, user and assistant alternate, user first)",
          i + 1, r, want);
  }
  if (m.size() == first) return invalid_argument("the conversation has only a system turn");
  const std::string& last = m.back().role;
  if (for_training && last != "assistant")
    return invalid_argument("{}", m.size() - first == 1
                                      ? "the conversation has no assistant turn"
                                      : "the conversation ends with a user turn that has no reply");
  if (!for_training && last != "user")
    return invalid_argument("a prompt must end with a user turn (the reply is generated)");
  return ok_status();
}

std::string render_chat(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  std::string s;
  for (const auto& m : messages) {
    s += marker(m.role);
    s += m.content;
    s += kChatEnd;
  }
  if (add_generation_prompt) s += kChatAssistant;
  return s;
}

const char* chat_template_jinja() {
  return "{% for message in messages %}"
         "{% if message['role'] not in ['system', 'user', 'assistant'] %}"
         "{{ raise_exception('unknown role ' + message['role']) }}{% endif %}"
         "{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}"
         "{% endfor %}"
         "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}";
}

std::string tokenizer_config_json() {
  nlohmann::ordered_json j = {{"tokenizer_class", "PreTrainedTokenizerFast"},
                              {"chat_template", chat_template_jinja()},
                              {"eos_token", kChatEnd},
                              {"additional_special_tokens", chat_special_tokens()},
                              {"clean_up_tokenization_spaces", false}};
  return j.dump(2) + "\n";
}

bool has_chat_tokens(const Tokenizer& t) {
  for (const auto& s : chat_special_tokens())
    if (!t.is_bpe() || !t.bpe()->special_id(s)) return false;
  return true;
}

Result<ChatTokens> encode_chat(const Tokenizer& t, const std::vector<ChatMessage>& messages,
                               bool add_generation_prompt) {
  LM_RETURN_IF_ERROR(check_chat(messages, !add_generation_prompt));
  if (!has_chat_tokens(t))
    return invalid_argument(
               "the tokenizer lacks the chat tokens <|system|> <|user|> "
               "<|assistant|> <|end|>")
        .with_hint("train it with --special-tokens chat, or let `lmforge sft` add them");
  const BpeModel& bpe = *t.bpe();
  uint32_t end = *bpe.special_id(kChatEnd);
  ChatTokens out;
  std::vector<uint32_t> piece;
  for (const auto& m : messages) {
    out.ids.push_back(*bpe.special_id(marker(m.role)));
    out.trained.push_back(0);
    piece.clear();
    t.encode_ordinary(m.content, &piece);
    uint8_t tr = m.role == "assistant" ? 1 : 0;
    out.ids.insert(out.ids.end(), piece.begin(), piece.end());
    out.trained.insert(out.trained.end(), piece.size(), tr);
    out.ids.push_back(end);
    out.trained.push_back(tr);
  }
  if (add_generation_prompt) {
    out.ids.push_back(*bpe.special_id(kChatAssistant));
    out.trained.push_back(0);
  }
  return out;
}

void encode_with_chat_markers(const Tokenizer& t, std::string_view text,
                              std::vector<uint32_t>* out) {
  if (!has_chat_tokens(t)) return t.encode_ordinary(text, out);
  const BpeModel& bpe = *t.bpe();
  size_t pos = 0;
  while (pos < text.size()) {
    size_t best = std::string_view::npos, len = 0;
    uint32_t id = 0;
    for (const auto& s : chat_special_tokens()) {
      size_t p = text.find(s, pos);
      if (p < best) {
        best = p;
        len = s.size();
        id = *bpe.special_id(s);
      }
    }
    if (best == std::string_view::npos) {
      t.encode_ordinary(text.substr(pos), out);
      return;
    }
    if (best > pos) t.encode_ordinary(text.substr(pos, best - pos), out);
    out->push_back(id);
    pos = best + len;
  }
}

Result<Tokenizer> with_chat_tokens(const Tokenizer& t, int* added) {
  *added = 0;
  if (!t.is_bpe())
    return invalid_argument("chat tokens can only be added to a byte-level BPE tokenizer")
        .with_hint("use a BPE tokenizer (lmforge tokenizer train --algo bpe)");
  BpeSpec spec = t.bpe()->spec();
  uint32_t next = (uint32_t)t.vocab_size();
  for (const auto& s : chat_special_tokens()) {
    if (t.bpe()->special_id(s)) continue;
    if (t.bpe()->bytes_id(s))
      return invalid_argument("the tokenizer has '{}' as an ordinary token", s)
          .with_hint("train a tokenizer with --special-tokens chat");
    spec.special_tokens.emplace_back(s, next++);
    ++*added;
  }
  LM_ASSIGN_OR_RETURN(auto model, BpeModel::create(std::move(spec), t.bpe()->options()));
  Tokenizer out = Tokenizer::from_model(std::move(model));
  out.set_normalizer(t.normalizer());
  out.set_hf_post_process(t.hf_post_process());
  out.set_add_special_tokens(t.add_special_tokens());
  return out;
}

}  // namespace lm::tok
