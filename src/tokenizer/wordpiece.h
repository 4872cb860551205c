// wordpiece.h: WordPiece (BERT) tokenizer: the BERT basic tokenizer (bert_pretokenizer.h) then
// greedy longest-match-first with "##" continuations, [UNK] for a word that cannot be matched
// or is longer than max_input_chars_per_word; the [CLS] A [SEP] template on request. Reads and
// writes vocab.txt and HF tokenizer.json (BertNormalizer, BertPreTokenizer, WordPiece model,
// TemplateProcessing, WordPiece decoder). Not here: training (wordpiece_trainer.h).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/status.h"

namespace lm::tok {

struct WordPieceOptions {
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  size_t max_input_chars_per_word = 100;
  // BertNormalizer (HF): clean text, pad CJK ideographs, strip accents, lowercase.
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool lowercase = true;
  std::optional<bool> strip_accents;  // unset: follows `lowercase` (as HF and BERT do)
  // TemplateProcessing "[CLS] $A [SEP]": encode() adds them when true.
  bool add_special_tokens = false;
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
};

// The BERT special tokens, in the order a trained vocabulary starts with.
inline const std::vector<std::string>& bert_special_tokens() {
  static const std::vector<std::string> kTokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  return kTokens;
}

class WordPiece {
 public:
  WordPiece() = default;
  // vocab.txt: one token per line, id = line number (0-based); a trailing "\r" is dropped.
  static Result<WordPiece> from_vocab_txt(const std::string& path, WordPieceOptions opts = {});
  // A parsed HF tokenizer.json whose model.type is "WordPiece".
  static Result<WordPiece> from_json(const nlohmann::json& tokenizer_json,
                                     const std::string& path_for_errors);
  // id -> token; fails on a duplicate token or a missing unk token.
  static Result<WordPiece> from_vocab(std::vector<std::string> vocab, WordPieceOptions opts = {});

  nlohmann::json to_json() const;  // the whole HF tokenizer.json
  Status save_vocab_txt(const std::string& path) const;
  Status save_json(const std::string& path) const;

  // Normalizes, pre-tokenizes and appends the ids of `text` (with [CLS] ... [SEP] when
  // options().add_special_tokens). Thread-safe.
  void encode(std::string_view text, std::vector<uint32_t>* out) const;
  // Greedy longest-match of one already normalized, pre-tokenized word.
  void encode_word(std::string_view word, std::vector<uint32_t>* out) const;
  // WordPiece decoder with HF's cleanup; special tokens are skipped when skip_special (HF's
  // default). An id out of range becomes U+FFFD.
  std::string decode(std::span<const uint32_t> ids, bool skip_special = true) const;

  size_t vocab_size() const { return vocab_.size(); }
  std::optional<uint32_t> token_id(std::string_view token) const;
  const std::string& token(uint32_t id) const { return vocab_[id]; }
  const std::vector<std::string>& vocab() const { return vocab_; }
  uint32_t unk_id() const { return unk_id_; }
  const WordPieceOptions& options() const { return opts_; }
  void set_add_special_tokens(bool on) { opts_.add_special_tokens = on; }
  // The BERT special tokens present in the vocabulary (text, id), in id order.
  std::vector<std::pair<std::string, uint32_t>> special_tokens() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  bool is_special(uint32_t id) const;

  WordPieceOptions opts_;
  std::vector<std::string> vocab_;
  std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> ids_;
  uint32_t unk_id_ = 0;
  std::vector<uint32_t> special_ids_;  // sorted
};

}  // namespace lm::tok
