// tokenizer.h: Tokenizer, the facade over every tokenizer lmforge knows: byte-level BPE (GPT-2,
// tiktoken r50k/p50k/cl100k/o200k, HF tokenizer.json BPE) and WordPiece (BERT, tokwp's
// wordpiece.h). Loads/saves all supported formats by file name, encodes with tiktoken's
// special-token policy and decodes. A BPE tokenizer may carry a normalizer (from a
// tokenizer.json): it is applied to the text between special tokens before pre-tokenization,
// as HF does. A tokenizer.json's truncation, post_processor and padding sections apply to
// encode() as HF applies them (hf_post_process.h); encode_ordinary() is the model's ids alone.
// All encode/decode methods are const and thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "tokenizer/bpe_spec.h"
#include "tokenizer/hf_post_process.h"
#include "tokenizer/normalizer.h"

namespace lm::tok {

class WordPiece;  // src/tokenizer/wordpiece.h (tokwp's)
class BpeModel;   // src/tokenizer/bpe.h

// tiktoken: disallowed -> error; allowed -> special ids; as text -> ordinary text.
enum class SpecialPolicy { kDisallow, kAllow, kAsText };

class Tokenizer {
 public:
  Tokenizer();
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  // tokenizer.json (BPE or WordPiece), *.tiktoken (the encoding name in the file name picks
  // pattern and specials: r50k_base/p50k_base/cl100k_base/o200k_base), GPT-2 encoder.json
  // (+ vocab.bpe beside it), vocab.txt (WordPiece).
  static Result<Tokenizer> load(const std::string& path);
  static Result<Tokenizer> from_bpe(BpeSpec spec);
  static Tokenizer from_wordpiece(WordPiece wp);
  static Tokenizer from_model(std::unique_ptr<BpeModel> model);  // an already built BPE model

  // Thread-safe (const). encode_ordinary treats special-token text as ordinary text and adds
  // nothing; encode() then applies the HF steps below (truncation, special tokens, padding).
  void encode_ordinary(std::string_view text, std::vector<uint32_t>* out) const;  // appends
  std::vector<uint32_t> encode_ordinary(std::string_view text) const;
  Result<std::vector<uint32_t>> encode(std::string_view text,
                                       SpecialPolicy policy = SpecialPolicy::kDisallow) const;
  // Appending form of encode().
  Status encode(std::string_view text, SpecialPolicy policy, std::vector<uint32_t>* out) const;
  Result<std::string> decode(std::span<const uint32_t> ids) const;  // id out of range -> error
  // Like decode, but an out-of-range id becomes U+FFFD instead of an error.
  std::string decode_lossy(std::span<const uint32_t> ids) const;

  size_t vocab_size() const;
  std::optional<uint32_t> eot_id() const;  // <|endoftext|> (BPE) or [SEP] (WordPiece)
  std::optional<uint32_t> token_id(std::string_view token_text) const;  // special or vocab token
  Status save(const std::string& path) const;  // .json, .tiktoken, vocab.txt (WordPiece)
  nlohmann::json info() const;                 // type, vocab_size, special tokens, pattern

  // BPE only: the normalizer applied before pre-tokenization (empty: none). Saved in
  // tokenizer.json; a tokenizer with one cannot be saved as .tiktoken.
  void set_normalizer(NormalizerSequence n) { norm_ = std::move(n); }
  const NormalizerSequence& normalizer() const { return norm_; }

  // HF tokenizer.json steps of encode(): the file's "truncation" and "padding" sections (on
  // unless switched off here: set_truncation(std::nullopt)) and its post_processor's special
  // tokens, added only when add_special_tokens is on (off by default; HF's encode adds them
  // unless told not to). A WordPiece vocab.txt gets BERT's [CLS] $A [SEP] as its template.
  const HfPostProcess& hf_post_process() const { return post_; }
  void set_hf_post_process(HfPostProcess p) { post_ = std::move(p); }
  void set_truncation(std::optional<Truncation> t) { post_.truncation = std::move(t); }
  void set_padding(std::optional<Padding> p) { post_.padding = std::move(p); }
  void set_add_special_tokens(bool on) { add_special_tokens_ = on; }
  bool add_special_tokens() const { return add_special_tokens_; }
  // One line for the user when truncation or padding will change what encode() returns ("" when
  // neither does).
  std::string post_process_notice() const { return describe_hf_post_process(post_); }

  bool is_bpe() const { return bpe_ != nullptr; }
  bool is_wordpiece() const { return wp_ != nullptr; }
  const BpeModel* bpe() const { return bpe_.get(); }        // null unless is_bpe()
  const WordPiece* wordpiece() const { return wp_.get(); }  // null unless is_wordpiece()

 private:
  // encode() without the HF steps: the model's ids and special tokens.
  Status encode_model(std::string_view text, SpecialPolicy policy,
                      std::vector<uint32_t>* out) const;

  std::unique_ptr<BpeModel> bpe_;
  std::unique_ptr<WordPiece> wp_;
  NormalizerSequence norm_;  // BPE: applied before pre-tokenization
  HfPostProcess post_;
  bool add_special_tokens_ = false;
};

}  // namespace lm::tok
