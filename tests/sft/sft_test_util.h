// sft_test_util.h: a small byte-level BPE tokenizer (the 256 bytes, <|endoftext|>, no merges)
// with the chat markers added, for the sft tests and the oracle dump.
#pragma once

#include "tokenizer/bpe_spec.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace lm::sft::testing {

inline tok::Tokenizer byte_tokenizer(bool with_chat) {
  tok::BpeSpec spec;
  for (int b = 0; b < 256; b++) spec.tokens.push_back(std::string(1, (char)b));
  spec.pattern = tok::kCl100kPattern;
  spec.special_tokens = {{"<|endoftext|>", 256}};
  tok::Tokenizer t = std::move(tok::Tokenizer::from_bpe(spec)).value();
  if (!with_chat) return t;
  int added = 0;
  return std::move(tok::with_chat_tokens(t, &added)).value();
}

}  // namespace lm::sft::testing
