// byte_level.cc: GPT-2's bytes_to_unicode table and its inverse.
#include "tokenizer/byte_level.h"

#include <array>
#include <cstdint>

#include "uni/utf8.h"

namespace lm::tok {
namespace {

struct Tables {
  std::array<uint16_t, 256> to_cp{};   // byte -> code point
  std::array<int16_t, 324> to_byte{};  // code point (< 324) -> byte, or -1
  Tables() {
    to_byte.fill(-1);
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      to_cp[b] = static_cast<uint16_t>(printable ? b : 256 + extra++);
      to_byte[to_cp[b]] = static_cast<int16_t>(b);
    }
  }
};

const Tables& tables() {
  static const Tables kTables;
  return kTables;
}

}  // namespace

std::string bytes_to_gpt2(std::string_view bytes) {
  const Tables& t = tables();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) uni::utf8_append(&out, t.to_cp[b]);
  return out;
}

std::optional<std::string> gpt2_to_bytes(std::string_view text) {
  const Tables& t = tables();
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const char32_t cp = uni::utf8_decode(text, &i);  // invalid UTF-8: U+FFFD, not in the table
    if (cp >= t.to_byte.size() || t.to_byte[cp] < 0) return std::nullopt;
    out.push_back(static_cast<char>(t.to_byte[cp]));
  }
  return out;
}

}  // namespace lm::tok
