// generate.h: text generation from a trained checkpoint: the prompt is fed through the KV cache,
// then tokens are sampled one by one and handed to a callback as they come (streaming). Also
// the text codec recorded with a run (its tokenizer file, or raw bytes) to turn text into ids.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "generate/sampler.h"
#include "model/gpt.h"

namespace lm::tok {
class Tokenizer;
}

namespace lm::generate {

struct GenerateOptions {
  SamplerOptions sampler;
  int max_new_tokens = 128;
  uint64_t seed = 1;
  int stop_token = -1;  // stop after sampling this id (e.g. the EOT); -1 = never
  // HF's repetition_penalty over the prompt and the generated ids (apply_repetition_penalty,
  // before temperature, top-k and top-p); 1 = none, HF's default. Must be > 0.
  float repetition_penalty = 1.0f;
};

// Returns the generated ids (without the prompt). on_token(id) returning false stops early.
// Past the context length it conditions on the last n_ctx tokens (nanoGPT's crop), rebuilding
// the KV cache for each token there.
Result<std::vector<int>> generate_tokens(const model::Gpt& model, const std::vector<int>& prompt,
                                         const GenerateOptions& options,
                                         const std::function<bool(int)>& on_token = {});

// Text <-> ids for a run: a tokenizer file, or "bytes" (ids 0-255 are bytes, 256 is the EOT).
class TextCodec {
 public:
  // From a checkpoint directory's train_state.json ("tokenizer"), or an explicit override.
  static Result<TextCodec> for_checkpoint(const std::string& dir, const std::string& override_path);
  ~TextCodec();
  TextCodec(TextCodec&&) noexcept;
  // Text to ids; the chat markers (tokenizer/chat_template.h) are special when the tokenizer has
  // them, every other special-token text is ordinary text.
  Result<std::vector<int>> encode(const std::string& text) const;
  std::string decode(const std::vector<int>& ids) const;  // invalid ids become U+FFFD
  int eot() const { return eot_; }
  const tok::Tokenizer* tokenizer() const;  // null for "bytes"
  const std::string& name() const { return name_; }

 private:
  TextCodec() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int eot_ = -1;
  std::string name_;
};

}  // namespace lm::generate
