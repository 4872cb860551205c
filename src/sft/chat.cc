// chat.cc: the turn loop behind `lmforge chat`.
#include "sft/chat.h"

#include "model/checkpoint.h"
#include "sft/sft.h"

namespace lm::sft {

Result<std::unique_ptr<ChatSession>> ChatSession::open(const std::string& path,
                                                       const generate::GenerateOptions& options,
                                                       const std::string& system) {
  std::string dir = model::checkpoint_dir(path);
  if (!file_exists(dir + "/model.safetensors"))
    return not_found("{}: no checkpoint here (no model.safetensors)", path)
        .with_hint("pass --checkpoint RUN of a `lmforge sft` run");
  std::unique_ptr<ChatSession> s(new ChatSession());
  LM_ASSIGN_OR_RETURN(tok::Tokenizer t, load_chat_tokenizer(dir));
  s->tok_ = std::make_unique<tok::Tokenizer>(std::move(t));
  LM_ASSIGN_OR_RETURN(s->model_, model::load_model(dir, kernels::cpu_kernels()));
  LM_RETURN_IF_ERROR(options.sampler.validate());
  s->opt_ = options;
  s->opt_.stop_token = (int)*s->tok_->token_id(tok::kChatEnd);
  if (!system.empty()) s->history_.push_back({"system", system});
  return s;
}

int ChatSession::n_ctx() const { return model_->config().n_ctx; }

void ChatSession::reset() {
  bool sys = !history_.empty() && history_.front().role == "system";
  history_.resize(sys ? 1 : 0);
}

Result<std::string> ChatSession::reply(const std::string& user,
                                       const std::function<void(const std::string&)>& on_text) {
  history_.push_back({"user", user});
  const int budget = n_ctx() - std::min(opt_.max_new_tokens, n_ctx() / 2);
  tok::ChatTokens prompt;
  while (true) {
    auto p = tok::encode_chat(*tok_, history_, true);
    if (!p.ok()) {
      history_.pop_back();
      return p.status();
    }
    prompt = std::move(p).value();
    size_t first = !history_.empty() && history_.front().role == "system" ? 1 : 0;
    if ((int)prompt.ids.size() <= budget || history_.size() - first <= 1) break;
    history_.erase(history_.begin() + first, history_.begin() + first + 2);  // oldest exchange
    dropped_++;
  }
  std::vector<int> ids(prompt.ids.begin(), prompt.ids.end());
  if ((int)ids.size() > budget) ids.erase(ids.begin(), ids.end() - budget);  // one long turn
  std::vector<uint32_t> got;
  size_t shown = 0;
  auto on_token = [&](int id) {
    if (id == opt_.stop_token) return true;
    got.push_back((uint32_t)id);
    std::string text = tok_->decode_lossy(got);
    size_t stable = text.size();
    if (stable >= 3 && text.compare(stable - 3, 3, "\xEF\xBF\xBD") == 0) stable -= 3;
    if (stable > shown && on_text) on_text(text.substr(0, stable));
    shown = std::max(shown, stable);
    return true;
  };
  auto out = generate::generate_tokens(*model_, ids, opt_, on_token);
  if (!out.ok()) {
    history_.pop_back();
    return out.status();
  }
  std::string text = tok_->decode_lossy(got);
  if (on_text) on_text(text);
  history_.push_back({"assistant", text});
  return text;
}

}  // namespace lm::sft
