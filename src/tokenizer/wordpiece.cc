// wordpiece.cc: the WordPiece model (greedy longest-match-first over code points, "##"
// continuations, [UNK]), its encode/decode, and vocab.txt / HF tokenizer.json reading and
// writing. Special tokens written literally in the text ("[MASK]") are matched before
// normalization, as HF's added tokens are.
#include "tokenizer/wordpiece.h"

#include <algorithm>
#include <unordered_map>

#include "core/file_util.h"
#include "tokenizer/bert_pretokenizer.h"
#include "tokenizer/normalizer.h"
#include "uni/utf8.h"

namespace lm::tok {
namespace {

BertNormalizerOptions bert_options(const WordPieceOptions& o) {
  return {.clean_text = o.clean_text,
          .handle_chinese_chars = o.handle_chinese_chars,
          .strip_accents = o.strip_accents.value_or(o.lowercase),
          .lowercase = o.lowercase};
}

void replace_all(std::string* s, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = s->find(from, pos)) != std::string::npos) {
    s->replace(pos, from.size(), to);
    pos += to.size();
  }
}

// HF's WordPiece decoder cleanup (applied per token, as HF does).
void cleanup(std::string* t) {
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."},   {" ?", "?"},     {" !", "!"},    {" ,", ","},
      {" ' ", "'"},  {" n't", "n't"}, {" 'm", "'m"},  {" do not", " don't"},
      {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : kRules) replace_all(t, from, to);
}

nlohmann::json added_token(const std::string& content, uint32_t id) {
  return {{"id", id},        {"content", content},  {"single_word", false}, {"lstrip", false},
          {"rstrip", false}, {"normalized", false}, {"special", true}};
}

nlohmann::json template_piece(const char* kind, const std::string& id, int type_id) {
  return {{kind, {{"id", id}, {"type_id", type_id}}}};
}

}  // namespace

Result<WordPiece> WordPiece::from_vocab(std::vector<std::string> vocab, WordPieceOptions opts) {
  WordPiece wp;
  wp.opts_ = std::move(opts);
  wp.ids_.reserve(vocab.size());
  for (size_t i = 0; i < vocab.size(); ++i) {
    if (!wp.ids_.emplace(vocab[i], static_cast<uint32_t>(i)).second) {
      return invalid_argument("token {} ('{}') appears twice in the vocabulary", i, vocab[i]);
    }
  }
  wp.vocab_ = std::move(vocab);
  auto unk = wp.ids_.find(wp.opts_.unk_token);
  if (unk == wp.ids_.end()) {
    return Status(Code::kInvalidArgument,
                  "the unknown token '" + wp.opts_.unk_token + "' is not in the vocabulary",
                  "add [UNK] to the vocabulary");
  }
  wp.unk_id_ = unk->second;
  for (const auto& s : bert_special_tokens()) {
    if (auto it = wp.ids_.find(s); it != wp.ids_.end()) wp.special_ids_.push_back(it->second);
  }
  std::sort(wp.special_ids_.begin(), wp.special_ids_.end());
  return wp;
}

Result<WordPiece> WordPiece::from_vocab_txt(const std::string& path, WordPieceOptions opts) {
  LM_ASSIGN_OR_RETURN(std::string data, read_file(path));
  std::vector<std::string> vocab;
  std::unordered_map<std::string_view, size_t> seen;  // token -> line
  size_t pos = 0;
  while (pos < data.size()) {
    size_t end = data.find('\n', pos);
    if (end == std::string::npos) end = data.size();
    std::string_view line(data.data() + pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t line_no = vocab.size() + 1;
    if (!uni::utf8_valid(line))
      return corrupt("{}:{}: not valid UTF-8 (truncated or corrupt?)", path, line_no)
          .with_hint("a vocab.txt has one UTF-8 token a line");
    if (auto [it, fresh] = seen.emplace(line, line_no); !fresh)
      return corrupt("{}:{}: the token '{}' appears twice (first on line {})", path, line_no, line,
                     it->second);
    vocab.emplace_back(line);
    pos = end + 1;
  }
  if (vocab.empty()) {
    return Status(Code::kCorrupt, path + ": empty vocabulary", "a vocab.txt has one token a line");
  }
  auto wp = from_vocab(std::move(vocab), std::move(opts));
  if (!wp.ok()) return wp.status().with_context(path);
  return wp;
}

static Status read_bert_normalizer(const nlohmann::json& n, WordPieceOptions* o) {
  if (n.is_null()) {
    o->clean_text = o->handle_chinese_chars = o->lowercase = false;
    o->strip_accents = false;
    return ok_status();
  }
  if (!n.is_object() || n.value("type", "") != "BertNormalizer") {
    return Status(Code::kUnimplemented,
                  "normalizer: only BertNormalizer (or null) is supported "
                  "with a WordPiece model");
  }
  o->clean_text = n.value("clean_text", true);
  o->handle_chinese_chars = n.value("handle_chinese_chars", true);
  o->lowercase = n.value("lowercase", true);
  if (n.contains("strip_accents") && n["strip_accents"].is_boolean()) {
    o->strip_accents = n["strip_accents"].get<bool>();
  } else {
    o->strip_accents.reset();
  }
  return ok_status();
}

static Result<std::vector<std::string>> read_vocab_object(const nlohmann::json& v) {
  if (!v.is_object()) return corrupt("model.vocab: expected an object of token -> id");
  std::vector<std::string> vocab(v.size());
  std::vector<bool> seen(v.size(), false);
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!it.value().is_number_unsigned()) {
      return corrupt("model.vocab: the id of '{}' is not a non-negative integer", it.key());
    }
    uint64_t id = it.value().get<uint64_t>();
    if (id >= vocab.size() || seen[id]) {
      return corrupt("model.vocab: id {} of '{}' is out of range or repeated (ids must be 0..{})",
                     id, it.key(), vocab.size() - 1);
    }
    seen[id] = true;
    vocab[id] = it.key();
  }
  return vocab;
}

Result<WordPiece> WordPiece::from_json(const nlohmann::json& j, const std::string& path) {
  auto fail = [&](const Status& s) { return s.with_context(path); };
  if (!j.is_object() || !j.contains("model") || !j["model"].is_object()) {
    return fail(corrupt("missing \"model\" object"));
  }
  const auto& m = j["model"];
  // No "type": HF's older files (bert-base-uncased) leave it out and HF infers WordPiece.
  if (std::string type = m.value("type", ""); !type.empty() && type != "WordPiece")
    return fail(corrupt("model.type is \"{}\", not \"WordPiece\"", type));
  WordPieceOptions o;
  o.unk_token = m.value("unk_token", "[UNK]");
  o.continuing_subword_prefix = m.value("continuing_subword_prefix", "##");
  o.max_input_chars_per_word = m.value("max_input_chars_per_word", size_t{100});
  Status st = read_bert_normalizer(j.value("normalizer", nlohmann::json()), &o);
  if (!st.ok()) return fail(st);
  if (j.contains("pre_tokenizer") && !j["pre_tokenizer"].is_null() &&
      j["pre_tokenizer"].value("type", "") != "BertPreTokenizer") {
    return fail(Status(Code::kUnimplemented,
                       "pre_tokenizer: only BertPreTokenizer is supported with WordPiece"));
  }
  if (!m.contains("vocab")) return fail(corrupt("model.vocab is missing"));
  auto vocab = read_vocab_object(m["vocab"]);
  if (!vocab.ok()) return fail(vocab.status());
  auto wp = from_vocab(std::move(vocab).value(), std::move(o));
  if (!wp.ok()) return fail(wp.status());
  return wp;
}

nlohmann::json WordPiece::to_json() const {
  nlohmann::json added = nlohmann::json::array();
  for (const auto& [text, id] : special_tokens()) added.push_back(added_token(text, id));
  nlohmann::json norm = {{"type", "BertNormalizer"},
                         {"clean_text", opts_.clean_text},
                         {"handle_chinese_chars", opts_.handle_chinese_chars},
                         {"strip_accents", nullptr},
                         {"lowercase", opts_.lowercase}};
  if (opts_.strip_accents.has_value()) norm["strip_accents"] = *opts_.strip_accents;
  nlohmann::json post = nullptr;
  auto cls = token_id(opts_.cls_token), sep = token_id(opts_.sep_token);
  if (cls && sep) {
    const std::string &c = opts_.cls_token, &s = opts_.sep_token;
    post = {{"type", "TemplateProcessing"},
            {"single",
             {template_piece("SpecialToken", c, 0), template_piece("Sequence", "A", 0),
              template_piece("SpecialToken", s, 0)}},
            {"pair",
             {template_piece("SpecialToken", c, 0), template_piece("Sequence", "A", 0),
              template_piece("SpecialToken", s, 0), template_piece("Sequence", "B", 1),
              template_piece("SpecialToken", s, 1)}},
            {"special_tokens",
             {{c, {{"id", c}, {"ids", {*cls}}, {"tokens", {c}}}},
              {s, {{"id", s}, {"ids", {*sep}}, {"tokens", {s}}}}}}};
  }
  nlohmann::json vocab = nlohmann::json::object();
  for (size_t i = 0; i < vocab_.size(); ++i) vocab[vocab_[i]] = i;
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", added},
          {"normalizer", norm},
          {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
          {"post_processor", post},
          {"decoder",
           {{"type", "WordPiece"}, {"prefix", opts_.continuing_subword_prefix}, {"cleanup", true}}},
          {"model",
           {{"type", "WordPiece"},
            {"unk_token", opts_.unk_token},
            {"continuing_subword_prefix", opts_.continuing_subword_prefix},
            {"max_input_chars_per_word", opts_.max_input_chars_per_word},
            {"vocab", vocab}}}};
}

Status WordPiece::save_vocab_txt(const std::string& path) const {
  std::string out;
  for (const auto& t : vocab_) {
    if (t.find('\n') != std::string::npos) {
      return invalid_argument("{}: token '{}' contains a newline; save as tokenizer.json", path, t);
    }
    out += t;
    out += '\n';
  }
  return write_file_atomic(path, out);
}

Status WordPiece::save_json(const std::string& path) const {
  return write_file_atomic(path, to_json().dump(2) + "\n");
}

std::optional<uint32_t> WordPiece::token_id(std::string_view token) const {
  auto it = ids_.find(token);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::string, uint32_t>> WordPiece::special_tokens() const {
  std::vector<std::pair<std::string, uint32_t>> out;
  for (uint32_t id : special_ids_) out.emplace_back(vocab_[id], id);
  return out;
}

bool WordPiece::is_special(uint32_t id) const {
  return std::binary_search(special_ids_.begin(), special_ids_.end(), id);
}

void WordPiece::encode_word(std::string_view word, std::vector<uint32_t>* out) const {
  std::vector<size_t> bounds;  // byte offset of each code point, plus the end
  for (size_t i = 0; i < word.size();) {
    bounds.push_back(i);
    uni::utf8_decode(word, &i);
  }
  bounds.push_back(word.size());
  size_t nchars = bounds.size() - 1;
  if (nchars > opts_.max_input_chars_per_word) {
    out->push_back(unk_id_);
    return;
  }
  size_t mark = out->size();
  std::string buf;
  size_t start = 0;  // index into bounds
  while (start < nchars) {
    size_t end = nchars;
    std::optional<uint32_t> found;
    for (; end > start; --end) {
      std::string_view piece = word.substr(bounds[start], bounds[end] - bounds[start]);
      if (start > 0) {
        buf.assign(opts_.continuing_subword_prefix);
        buf.append(piece);
        piece = buf;
      }
      if (auto it = ids_.find(piece); it != ids_.end()) {
        found = it->second;
        break;
      }
    }
    if (!found) {
      out->resize(mark);
      out->push_back(unk_id_);
      return;
    }
    out->push_back(*found);
    start = end;
  }
}

void WordPiece::encode(std::string_view text, std::vector<uint32_t>* out) const {
  auto cls = token_id(opts_.cls_token), sep = token_id(opts_.sep_token);
  if (opts_.add_special_tokens && cls) out->push_back(*cls);
  BertNormalizerOptions bo = bert_options(opts_);
  std::vector<std::string_view> words;
  auto encode_plain = [&](std::string_view part) {
    if (part.empty()) return;
    std::string norm = bert_normalize(part, bo);
    words.clear();
    bert_pre_tokenize(norm, &words);
    for (std::string_view w : words) encode_word(w, out);
  };
  size_t pos = 0, plain_start = 0;
  while ((pos = text.find('[', pos)) != std::string_view::npos) {
    bool matched = false;
    for (uint32_t id : special_ids_) {
      const std::string& s = vocab_[id];
      if (text.substr(pos, s.size()) == s) {
        encode_plain(text.substr(plain_start, pos - plain_start));
        out->push_back(id);
        pos += s.size();
        plain_start = pos;
        matched = true;
        break;
      }
    }
    if (!matched) ++pos;
  }
  encode_plain(text.substr(plain_start));
  if (opts_.add_special_tokens && sep) out->push_back(*sep);
}

std::string WordPiece::decode(std::span<const uint32_t> ids, bool skip_special) const {
  std::string out, tok;
  const std::string& prefix = opts_.continuing_subword_prefix;
  bool first = true;
  for (uint32_t id : ids) {
    if (id < vocab_.size() && skip_special && is_special(id)) continue;
    const std::string& t = id < vocab_.size() ? vocab_[id] : std::string("\xEF\xBF\xBD");
    if (first) {
      tok = t;
    } else if (!prefix.empty() && t.compare(0, prefix.size(), prefix) == 0) {
      tok = t.substr(prefix.size());
    } else {
      tok = " " + t;
    }
    first = false;
    cleanup(&tok);
    out += tok;
  }
  return out;
}

}  // namespace lm::tok
