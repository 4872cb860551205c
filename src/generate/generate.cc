// generate.cc: the sampling loop over the KV decoder, and the run's text codec.
#include "generate/generate.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "generate/kv_decoder.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace lm::generate {

Result<std::vector<int>> generate_tokens(const model::Gpt& model, const std::vector<int>& prompt,
                                         const GenerateOptions& o,
                                         const std::function<bool(int)>& on_token) {
  LM_RETURN_IF_ERROR(o.sampler.validate());
  if (!(o.repetition_penalty > 0) || !std::isfinite(o.repetition_penalty))
    return invalid_argument("repetition penalty {} must be > 0", o.repetition_penalty)
        .with_hint("1 = no penalty; 1.1-1.3 are usual");
  const model::GptConfig& cfg = model.config();
  if (prompt.empty())
    return invalid_argument("generate: the prompt is empty").with_hint("pass --prompt TEXT");
  if ((int)prompt.size() >= cfg.n_ctx)
    return invalid_argument("generate: the prompt has {} tokens, the model's context is {}",
                            prompt.size(), cfg.n_ctx);
  for (int t : prompt)
    if (t < 0 || t >= cfg.vocab_size)
      return invalid_argument("generate: prompt token {} is outside the model's vocabulary {}", t,
                              cfg.vocab_size)
          .with_hint("use the tokenizer the model was trained with");
  KvDecoder dec(model);
  const float* logits = nullptr;
  for (int t : prompt) logits = dec.step(t);
  Sampler sampler(o.sampler);
  Rng rng(o.seed);
  std::vector<int> out, seq(prompt);
  std::vector<float> penalized;
  for (int i = 0; i < o.max_new_tokens; i++) {
    if (o.repetition_penalty != 1.0f) {
      penalized.assign(logits, logits + cfg.vocab_size);
      apply_repetition_penalty(penalized, seq, o.repetition_penalty);
      logits = penalized.data();
    }
    int next = sampler.sample(logits, cfg.vocab_size, rng);
    out.push_back(next);
    seq.push_back(next);
    if (on_token && !on_token(next)) break;
    if (next == o.stop_token || i + 1 == o.max_new_tokens) break;
    if (dec.full()) {
      // Past the context, condition on the last n_ctx tokens, as nanoGPT's
      // idx[:, -block_size:] does: positions shift, so the cache is rebuilt for the window.
      dec.reset();
      for (size_t k = seq.size() - cfg.n_ctx; k + 1 < seq.size(); ++k) dec.step(seq[k]);
    }
    logits = dec.step(next);
  }
  return out;
}

struct TextCodec::Impl {
  std::unique_ptr<tok::Tokenizer> tok;
};

TextCodec::~TextCodec() = default;
TextCodec::TextCodec(TextCodec&&) noexcept = default;

Result<TextCodec> TextCodec::for_checkpoint(const std::string& dir,
                                            const std::string& override_path) {
  TextCodec c;
  c.impl_ = std::make_unique<Impl>();
  std::string name = override_path;
  if (name.empty()) {
    auto text = read_file(dir + "/train_state.json");
    if (!text.ok())
      return text.status().with_hint("pass --tokenizer FILE (the checkpoint records none)");
    auto st = nlohmann::json::parse(*text, nullptr, false);
    name = st.is_object() ? st.value("tokenizer", std::string()) : std::string();
    if (!name.empty() && name != "bytes" && name.find('/') == std::string::npos)
      name = dir + "/" + name;
  }
  c.name_ = name;
  if (name == "bytes") {
    c.eot_ = 256;
    return c;
  }
  if (name.empty())
    return not_found("{}: no tokenizer recorded with the run", dir)
        .with_hint("pass --tokenizer FILE");
  LM_ASSIGN_OR_RETURN(tok::Tokenizer t, tok::Tokenizer::load(name));
  c.eot_ = t.eot_id() ? (int)*t.eot_id() : -1;
  c.impl_->tok = std::make_unique<tok::Tokenizer>(std::move(t));
  return c;
}

Result<std::vector<int>> TextCodec::encode(const std::string& text) const {
  if (impl_->tok) {
    std::vector<uint32_t> ids;
    tok::encode_with_chat_markers(*impl_->tok, text, &ids);
    return std::vector<int>(ids.begin(), ids.end());
  }
  std::vector<int> ids;
  for (unsigned char ch : text) ids.push_back(ch);
  return ids;
}

const tok::Tokenizer* TextCodec::tokenizer() const { return impl_->tok.get(); }

std::string TextCodec::decode(const std::vector<int>& ids) const {
  if (impl_->tok) {
    std::vector<uint32_t> u(ids.begin(), ids.end());
    return impl_->tok->decode_lossy(u);
  }
  std::string s;
  for (int id : ids) {
    if (id >= 0 && id < 256)
      s.push_back((char)id);
    else if (id != eot_)
      s += "\xEF\xBF\xBD";
  }
  return s;
}

}  // namespace lm::generate
