// byte_level.h: GPT-2's reversible byte <-> Unicode mapping (bytes_to_unicode), the form in
// which encoder.json, vocab.bpe and HF tokenizer.json (ByteLevel) store token bytes: printable
// Latin-1 bytes map to themselves, the other 68 bytes to U+0100.. in order.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lm::tok {

// Raw bytes -> GPT-2 unicode form (UTF-8).
std::string bytes_to_gpt2(std::string_view bytes);
// GPT-2 unicode form (UTF-8) -> raw bytes; nullopt when a character is not in the mapping.
std::optional<std::string> gpt2_to_bytes(std::string_view text);

}  // namespace lm::tok
