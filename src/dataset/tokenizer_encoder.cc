// tokenizer_encoder.cc: load_encoder(): the Encoder of packer.h over lm::tok::Tokenizer, or the
// byte encoder. Built without the tokenizer module, only "bytes" is available.
#include <memory>

#include "core/file_util.h"
#include "core/hash.h"
#include "dataset/packer.h"
#ifdef LMFORGE_DATASET_HAS_TOKENIZER
#include "tokenizer/tokenizer.h"
#endif

namespace lm::dataset {

Result<Encoder> load_encoder(const std::string& path) {
  if (path == "bytes") return byte_encoder();
#ifdef LMFORGE_DATASET_HAS_TOKENIZER
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
#else
  return Status(Code::kUnimplemented,
                fmt::format("{}: this lmforge was built without the tokenizer module", path),
                "use --tokenizer bytes, or build with the tokenizer module");
#endif
}

}  // namespace lm::dataset
