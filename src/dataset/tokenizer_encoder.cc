// tokenizer_encoder.cc: load_encoder(): the Encoder of packer.h over lm::tok::Tokenizer, or the
// byte encoder.
#include <memory>

#include "core/file_util.h"
#include "core/hash.h"
#include "dataset/packer.h"
#include "tokenizer/tokenizer.h"

namespace lm::dataset {

Result<Encoder> load_encoder(const std::string& path) {
  if (path == "bytes") return byte_encoder();
  LM_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  LM_ASSIGN_OR_RETURN(tok::Tokenizer t, tok::Tokenizer::load(path));
  auto tk = std::make_shared<tok::Tokenizer>(std::move(t));
  const auto eot = tk->eot_id();
  if (!eot) {
    return invalid_argument("{}: the tokenizer has no end-of-text token", path)
        .with_hint("packing separates documents with it: add <|endoftext|> to the tokenizer");
  }
  Encoder e;
  e.encode = [tk](std::string_view text, std::vector<uint32_t>* out) {
    tk->encode_ordinary(text, out);
  };
  e.vocab_size = tk->vocab_size();
  e.eot_id = *eot;
  e.name = path;
  e.hash = hash64(bytes);
  return e;
}

}  // namespace lm::dataset
