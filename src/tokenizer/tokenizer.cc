// tokenizer.cc: the Tokenizer facade: picks the loader by file name/content, dispatches to the
// BPE model or WordPiece, applies tiktoken's special-token policy and checks ids on decode.
#include "tokenizer/tokenizer.h"

#include <filesystem>

#include "core/file_util.h"
#include "tokenizer/bpe.h"
#include "tokenizer/formats.h"
#include "tokenizer/wordpiece.h"

namespace lm::tok {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Result<Tokenizer> from_loaded(Result<LoadedBpe> loaded, const std::string& path);

// True when every member of `j` is an integer: GPT-2's encoder.json / HF's vocab.json shape
// (its tokens include "model", so a "model" member alone does not make a tokenizer.json).
bool is_token_id_map(const nlohmann::json& j) {
  if (j.empty()) return false;
  for (const auto& [key, val] : j.items()) {
    if (!val.is_number_integer()) return false;
  }
  return true;
}

// HF's model type of a `model` object, inferred as HF's ModelWrapper deserializer does when
// "type" is absent (older files, e.g. bert-base-uncased): it tries BPE (vocab + merges), then
// WordPiece (any token -> id vocab; WordLevel is a subset of WordPiece and never wins), then
// Unigram (vocab as a list of [piece, score]).
std::string hf_model_type(const nlohmann::json& model) {
  std::string type = model.value("type", "");
  if (!type.empty()) return type;
  const auto vocab = model.value("vocab", nlohmann::json());
  if (vocab.is_object() && model.contains("merges")) return "BPE";
  if (vocab.is_object()) return "WordPiece";
  if (vocab.is_array()) return "Unigram";
  return "";
}

Result<Tokenizer> load_json(const std::string& path) {
  std::string name = std::filesystem::path(path).filename().string();
  if (name == "encoder.json" || name == "vocab.json") return from_loaded(load_gpt2(path), path);
  LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded())
    return corrupt("{}: not valid JSON (truncated or corrupt?)", path)
        .with_hint("pass a tokenizer.json, GPT-2's encoder.json, a .tiktoken file or a vocab.txt");
  if (!j.is_object()) return corrupt("{}: not a JSON object", path);
  // An encoder.json under another name: token -> id with a vocab.bpe (or merges.txt) beside it.
  if (is_token_id_map(j)) return from_loaded(load_gpt2(path), path);
  if (!j.contains("model") || !j["model"].is_object())
    return corrupt("{}: no \"model\" object (not a tokenizer.json)", path)
        .with_hint("pass a tokenizer.json, GPT-2's encoder.json, a .tiktoken file or a vocab.txt");
  std::string type = hf_model_type(j["model"]);
  Tokenizer t;
  if (type == "BPE") {
    LM_ASSIGN_OR_RETURN(t, from_loaded(load_hf_bpe(j, path), path));
  } else if (type == "WordPiece") {
    LM_ASSIGN_OR_RETURN(WordPiece wp, WordPiece::from_json(j, path));
    t = Tokenizer::from_wordpiece(std::move(wp));
  } else if (type == "Unigram") {
    return invalid_argument("{}: a Unigram model (SentencePiece-style) is not supported", path)
        .with_hint("lmforge reads byte-level BPE and WordPiece tokenizer.json files");
  } else {
    return invalid_argument("{}: model type \"{}\" is not supported", path,
                            type.empty() ? "(none, and no vocab to infer it from)" : type)
        .with_hint("lmforge reads byte-level BPE and WordPiece tokenizer.json files");
  }
  LM_ASSIGN_OR_RETURN(HfPostProcess post, parse_hf_post_process(j, path));
  t.set_hf_post_process(std::move(post));
  return t;
}

Result<Tokenizer> from_loaded(Result<LoadedBpe> loaded, const std::string& path) {
  if (!loaded.ok()) return loaded.status();
  auto model = BpeModel::create(std::move(loaded->spec), loaded->options);
  if (!model.ok()) return model.status().with_context(path);
  Tokenizer t = Tokenizer::from_model(std::move(model).value());
  t.set_normalizer(std::move(loaded->normalizer));
  return t;
}

}  // namespace

Tokenizer::Tokenizer() = default;
Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

Result<Tokenizer> Tokenizer::load(const std::string& path) {
  if (!file_exists(path))
    return not_found("{}: no such tokenizer file", path)
        .with_hint("pass a tokenizer.json, a .tiktoken file, encoder.json or vocab.txt");
  try {
    if (ends_with(path, ".tiktoken")) return from_loaded(load_tiktoken(path), path);
    if (ends_with(path, ".json")) return load_json(path);
    if (ends_with(path, ".bpe") || ends_with(path, "merges.txt")) {
      std::string enc = (std::filesystem::path(path).parent_path() / "encoder.json").string();
      if (!file_exists(enc))
        enc = (std::filesystem::path(path).parent_path() / "vocab.json").string();
      return from_loaded(load_gpt2(enc), enc);
    }
    if (ends_with(path, ".txt")) {
      LM_ASSIGN_OR_RETURN(WordPiece wp, WordPiece::from_vocab_txt(path));
      return from_wordpiece(std::move(wp));
    }
  } catch (const std::exception& e) {  // nlohmann type errors on unexpected JSON shapes
    return corrupt("{}: unexpected content: {}", path, e.what());
  }
  return invalid_argument("{}: unknown tokenizer format", path)
      .with_hint("use a .json (tokenizer.json / encoder.json), .tiktoken or vocab.txt file");
}

Result<Tokenizer> Tokenizer::from_bpe(BpeSpec spec) {
  LM_ASSIGN_OR_RETURN(auto model, BpeModel::create(std::move(spec)));
  Tokenizer t;
  t.bpe_ = std::move(model);
  return t;
}

Tokenizer Tokenizer::from_model(std::unique_ptr<BpeModel> model) {
  Tokenizer t;
  t.bpe_ = std::move(model);
  return t;
}

Tokenizer Tokenizer::from_wordpiece(WordPiece wp) {
  Tokenizer t;
  t.wp_ = std::make_unique<WordPiece>(std::move(wp));
  // BERT's template for a bare vocab.txt (a tokenizer.json brings its own post_processor).
  auto cls = t.wp_->token_id(t.wp_->options().cls_token);
  auto sep = t.wp_->token_id(t.wp_->options().sep_token);
  if (cls && sep) t.post_.post = {.kind = "BertProcessing", .prefix = {*cls}, .suffix = {*sep}};
  return t;
}

void Tokenizer::encode_ordinary(std::string_view text, std::vector<uint32_t>* out) const {
  if (bpe_) {
    if (norm_.empty()) {
      bpe_->encode_ordinary(text, out);
    } else {
      bpe_->encode_ordinary(norm_.normalize(text), out);
    }
  } else if (wp_) {
    wp_->encode(text, out);
  }
}

std::vector<uint32_t> Tokenizer::encode_ordinary(std::string_view text) const {
  std::vector<uint32_t> out;
  encode_ordinary(text, &out);
  return out;
}

Status Tokenizer::encode_model(std::string_view text, SpecialPolicy policy,
                               std::vector<uint32_t>* out) const {
  if (!bpe_ || policy == SpecialPolicy::kAsText) {
    encode_ordinary(text, out);
    return ok_status();
  }
  auto hit = bpe_->find_special(text, 0);
  if (hit && policy == SpecialPolicy::kDisallow) {
    return invalid_argument("the text contains the special token {} at byte {}",
                            text.substr(hit->pos, hit->len), hit->pos)
        .with_hint(
            "allow special tokens (--allow-special) or encode them as text (--special-as-text)");
  }
  size_t pos = 0;
  while (hit) {  // special tokens match the raw text; the text between them is normalized
    encode_ordinary(text.substr(pos, hit->pos - pos), out);
    out->push_back(hit->id);
    pos = hit->pos + hit->len;
    hit = bpe_->find_special(text, pos);
  }
  encode_ordinary(text.substr(pos), out);
  return ok_status();
}

Status Tokenizer::encode(std::string_view text, SpecialPolicy policy,
                         std::vector<uint32_t>* out) const {
  bool post = post_.truncation || post_.padding || (add_special_tokens_ && post_.post.added());
  if (!post) return encode_model(text, policy, out);
  std::vector<uint32_t> ids;
  LM_RETURN_IF_ERROR(encode_model(text, policy, &ids));
  LM_RETURN_IF_ERROR(apply_hf_post_process(post_, add_special_tokens_, &ids));
  out->insert(out->end(), ids.begin(), ids.end());
  return ok_status();
}

Result<std::vector<uint32_t>> Tokenizer::encode(std::string_view text, SpecialPolicy policy) const {
  std::vector<uint32_t> out;
  LM_RETURN_IF_ERROR(encode(text, policy, &out));
  return out;
}

Result<std::string> Tokenizer::decode(std::span<const uint32_t> ids) const {
  if (wp_) {
    for (size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] >= wp_->vocab_size())
        return invalid_argument(
            "id {} (position {}) is out of range: the vocabulary has {} "
            "tokens",
            ids[i], i, wp_->vocab_size());
    }
    return wp_->decode(ids);
  }
  std::string out;
  if (!bpe_) return out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!bpe_->append_bytes(ids[i], &out))
      return invalid_argument("id {} (position {}) is not a token: the vocabulary has {} ids",
                              ids[i], i, bpe_->vocab_size())
          .with_hint("decode ids made with the same tokenizer (or use the lossy option)");
  }
  return out;
}

std::string Tokenizer::decode_lossy(std::span<const uint32_t> ids) const {
  if (wp_) return wp_->decode(ids);
  std::string out;
  if (!bpe_) return out;
  for (uint32_t id : ids) {
    if (!bpe_->append_bytes(id, &out)) out += "\xEF\xBF\xBD";
  }
  return out;
}

size_t Tokenizer::vocab_size() const {
  return bpe_ ? bpe_->vocab_size() : wp_ ? wp_->vocab_size() : 0;
}

std::optional<uint32_t> Tokenizer::eot_id() const {
  if (bpe_) return bpe_->special_id("<|endoftext|>");
  if (wp_) return wp_->token_id("[SEP]");
  return std::nullopt;
}

std::optional<uint32_t> Tokenizer::token_id(std::string_view token_text) const {
  if (bpe_) {
    if (auto id = bpe_->special_id(token_text)) return id;
    return bpe_->bytes_id(token_text);
  }
  if (wp_) return wp_->token_id(token_text);
  return std::nullopt;
}

Status Tokenizer::save(const std::string& path) const {
  if (!bpe_ && !wp_) return invalid_argument("{}: nothing to save (empty tokenizer)", path);
  if (ends_with(path, ".tiktoken")) {
    if (!bpe_)
      return invalid_argument("{}: a WordPiece tokenizer cannot be saved as .tiktoken", path);
    if (!norm_.empty())
      return invalid_argument("{}: this tokenizer has a normalizer, which .tiktoken cannot hold",
                              path)
          .with_hint("save it as tokenizer.json");
    return save_tiktoken(*bpe_, path);
  }
  if (ends_with(path, ".json")) {
    if (wp_) return wp_->save_json(path);
    LM_ASSIGN_OR_RETURN(std::string text, bpe_to_hf_json(*bpe_, norm_));
    return write_file_atomic(path, text);
  }
  if (ends_with(path, ".txt")) {
    if (!wp_) return invalid_argument("{}: a BPE tokenizer cannot be saved as vocab.txt", path);
    return wp_->save_vocab_txt(path);
  }
  return invalid_argument("{}: unknown output format", path)
      .with_hint("save as tokenizer.json (.json), .tiktoken (BPE) or vocab.txt (WordPiece)");
}

nlohmann::json Tokenizer::info() const {
  nlohmann::json j;
  j["vocab_size"] = vocab_size();
  nlohmann::json sp = nlohmann::json::object();
  if (bpe_) {
    j["type"] = "bpe";
    static constexpr const char* kKinds[] = {"gpt2", "cl100k_base", "o200k_base", "pcre2"};
    j["pattern"] = bpe_->pattern();
    j["scanner"] = kKinds[static_cast<int>(bpe_->pretokenizer().kind())];
    j["ranks"] = bpe_->rank_mode() ? "tiktoken" : "merges";
    j["merges"] = bpe_->rank_mode() ? 0 : bpe_->merges().size();
    for (const auto& [text, id] : bpe_->special_tokens()) sp[text] = id;
    j["normalizer"] = norm_.to_json();
  } else if (wp_) {
    j["type"] = "wordpiece";
    j["pattern"] = nullptr;
    for (const auto& [text, id] : wp_->special_tokens()) sp[text] = id;
  }
  j["special_tokens"] = sp;
  if (auto eot = eot_id()) j["eot_id"] = *eot;
  return j;
}

}  // namespace lm::tok
