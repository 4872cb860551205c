// formats.cc: tiktoken rank files, GPT-2 encoder.json + vocab.bpe, HF tokenizer.json (BPE):
// parsing with errors that name the file and line/member, and the writers.
#include "tokenizer/formats.h"

#include <filesystem>

#include "core/file_util.h"
#include "tokenizer/byte_level.h"

namespace lm::tok {
namespace {

using Specials = std::vector<std::pair<std::string, uint32_t>>;

std::string file_name(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

std::string sibling(const std::string& path, const char* name) {
  return (std::filesystem::path(path).parent_path() / name).string();
}

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string base64_encode(std::string_view in) {
  static constexpr char kAlpha[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out.push_back(kAlpha[(v >> k) & 63]);
  }
  if (size_t rest = in.size() - i) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(kAlpha[(v >> 18) & 63]);
    out.push_back(kAlpha[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlpha[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = in[i + k];
      if (c == '=' && i + 4 == in.size() && k >= 2) {
        v[k] = 0, ++pad;
      } else {
        if (pad) return std::nullopt;
        v[k] = b64_value(c);
        if (v[k] < 0) return std::nullopt;
      }
    }
    uint32_t w = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push_back(static_cast<char>(w >> 16));
    if (pad < 2) out.push_back(static_cast<char>((w >> 8) & 255));
    if (pad < 1) out.push_back(static_cast<char>(w & 255));
  }
  return out;
}

bool known_encoding(std::string_view name, std::string* pattern, Specials* specials) {
  const std::string kEot = "<|endoftext|>";
  if (name == "r50k_base" || name == "gpt2" || name == "p50k_base") {
    *pattern = kGpt2Pattern, *specials = {{kEot, 50256}};
  } else if (name == "p50k_edit") {
    *pattern = kGpt2Pattern;
    *specials = {{kEot, 50256},
                 {"<|fim_prefix|>", 50281},
                 {"<|fim_middle|>", 50282},
                 {"<|fim_suffix|>", 50283}};
  } else if (name == "cl100k_base") {
    *pattern = kCl100kPattern;
    *specials = {{kEot, 100257},
                 {"<|fim_prefix|>", 100258},
                 {"<|fim_middle|>", 100259},
                 {"<|fim_suffix|>", 100260},
                 {"<|endofprompt|>", 100276}};
  } else if (name == "o200k_base") {
    *pattern = kO200kPattern, *specials = {{kEot, 199999}, {"<|endofprompt|>", 200018}};
  } else {
    return false;
  }
  return true;
}

std::string encoding_from_file_name(const std::string& path) {
  std::string name = file_name(path);
  for (const char* e : {"r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base"}) {
    if (name.find(e) != std::string::npos) return e;
  }
  if (name.rfind("gpt2", 0) == 0) return "gpt2";
  return "";
}

Result<std::vector<std::string>> parse_tiktoken_ranks(std::string_view text,
                                                      const std::string& path) {
  std::vector<std::string> tokens;
  size_t line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    size_t sp = line.find(' ');
    auto bad = [&](const char* what) {
      return corrupt("{}:{}: {}", path, line_no, what)
          .with_hint("a .tiktoken file has lines \"<base64 token bytes> <rank>\"");
    };
    if (sp == std::string_view::npos) return bad("expected \"<base64> <rank>\"");
    auto bytes = base64_decode(line.substr(0, sp));
    if (!bytes || bytes->empty()) return bad("the token is not valid base64");
    std::string_view num = line.substr(sp + 1);
    uint64_t rank = 0;
    if (num.empty() || num.size() > 9) return bad("the rank is not a number below 1e9");
    for (char c : num) {
      if (c < '0' || c > '9') return bad("the rank is not a number");
      rank = rank * 10 + static_cast<uint64_t>(c - '0');
    }
    if (rank >= tokens.size()) tokens.resize(rank + 1);
    if (!tokens[rank].empty()) return bad("this rank appears twice");
    tokens[rank] = std::move(*bytes);
  }
  if (tokens.empty()) return corrupt("{}: no tokens (empty rank file)", path);
  return tokens;
}

Result<LoadedBpe> load_tiktoken(const std::string& path) {
  LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  LoadedBpe out;
  LM_ASSIGN_OR_RETURN(out.spec.tokens, parse_tiktoken_ranks(text, path));
  std::string enc = encoding_from_file_name(path);
  if (!known_encoding(enc, &out.spec.pattern, &out.spec.special_tokens)) {
    out.spec.pattern = kCl100kPattern;  // unknown name: GPT-4's split, no special tokens
  }
  for (const auto& [s, id] : out.spec.special_tokens) {
    if (id < out.spec.tokens.size() && !out.spec.tokens[id].empty())
      return corrupt("{}: rank {} is the special token {} of {}, but the file has a token there",
                     path, id, s, enc)
          .with_hint("rename the file if it is not " + enc);
  }
  return out;
}

Result<LoadedBpe> load_gpt2(const std::string& encoder_path) {
  // GPT-2 names the pair encoder.json + vocab.bpe, HF vocab.json + merges.txt; a renamed
  // encoder.json takes whichever of the two merges files is beside it.
  std::string name = file_name(encoder_path);
  std::string first = sibling(encoder_path, name == "vocab.json" ? "merges.txt" : "vocab.bpe");
  std::string second = sibling(encoder_path, name == "vocab.json" ? "vocab.bpe" : "merges.txt");
  std::string merges_path = file_exists(first) ? first : second;
  if (!file_exists(merges_path))
    return not_found(
               "{}: a GPT-2 encoder.json (token -> id) whose merges are missing: neither {} "
               "nor {} exists",
               encoder_path, first, second)
        .with_hint(
            "put GPT-2's vocab.bpe (HF: merges.txt) beside it, or pass a tokenizer.json that "
            "holds both");
  LM_ASSIGN_OR_RETURN(std::string enc_text, read_file(encoder_path));
  nlohmann::json j = nlohmann::json::parse(enc_text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return corrupt("{}: not a JSON object of token -> id (truncated or corrupt?)", encoder_path);
  nlohmann::json wrapped = {{"model", {{"type", "BPE"}, {"vocab", j}}}};
  LM_ASSIGN_OR_RETURN(std::string merges_text, read_file(merges_path));
  nlohmann::json merges = nlohmann::json::array();
  size_t line_no = 0;
  for (size_t pos = 0; pos < merges_text.size();) {
    size_t nl = merges_text.find('\n', pos);
    if (nl == std::string::npos) nl = merges_text.size();
    std::string_view line(merges_text.data() + pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || (line_no == 1 && line.rfind("#version", 0) == 0)) continue;
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 0 || sp + 1 == line.size() ||
        line.find(' ', sp + 1) != std::string_view::npos)
      return corrupt("{}:{}: expected two tokens separated by one space", merges_path, line_no);
    merges.push_back(std::string(line));
  }
  wrapped["model"]["merges"] = std::move(merges);
  wrapped["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}};
  LM_ASSIGN_OR_RETURN(LoadedBpe out, load_hf_bpe(wrapped, encoder_path + " + " + merges_path));
  // GPT-2 keeps <|endoftext|> in encoder.json: it is the special end-of-text token.
  for (uint32_t id = 0; id < out.spec.tokens.size(); ++id) {
    if (out.spec.tokens[id] == "<|endoftext|>") {
      out.spec.special_tokens.emplace_back("<|endoftext|>", id);
      out.spec.tokens[id].clear();
    }
  }
  return out;
}

namespace {

// The split pattern of an HF pre_tokenizer (ByteLevel, or Sequence[Split, ByteLevel]).
Result<std::string> hf_pattern(const nlohmann::json& pt, const std::string& path) {
  auto unsupported = [&](const std::string& what) {
    return invalid_argument("{}: unsupported pre_tokenizer: {}", path, what)
        .with_hint(
            "lmforge reads byte-level BPE: ByteLevel, or Split(Regex, Isolated) + ByteLevel");
  };
  if (pt.is_null()) return unsupported("none (byte-level BPE needs ByteLevel)");
  std::string type = pt.value("type", "");
  if (type == "ByteLevel") {
    if (pt.value("add_prefix_space", false)) return unsupported("ByteLevel add_prefix_space=true");
    if (!pt.value("use_regex", true)) return unsupported("ByteLevel use_regex=false alone");
    return std::string(kGpt2Pattern);
  }
  if (type != "Sequence" || !pt.contains("pretokenizers") || !pt["pretokenizers"].is_array())
    return unsupported(type.empty() ? "no type" : type);
  const auto& seq = pt["pretokenizers"];
  if (seq.size() == 1) return hf_pattern(seq[0], path);
  if (seq.size() != 2 || seq[0].value("type", "") != "Split" ||
      seq[1].value("type", "") != "ByteLevel" || seq[1].value("use_regex", true) ||
      seq[1].value("add_prefix_space", false))
    return unsupported("a Sequence other than [Split, ByteLevel(use_regex=false)]");
  const auto& split = seq[0];
  if (split.value("behavior", "") != "Isolated" || split.value("invert", false))
    return unsupported("Split behavior other than Isolated (or invert=true)");
  const auto& pat = split.value("pattern", nlohmann::json());
  if (pat.contains("Regex") && pat["Regex"].is_string()) return pat["Regex"].get<std::string>();
  if (pat.contains("String") && pat["String"].is_string())
    return "\\Q" + pat["String"].get<std::string>() + "\\E";
  return unsupported("Split without a Regex or String pattern");
}

}  // namespace

namespace {

// model.merges of a tokenizer.json ("a b" strings or [a, b] pairs, GPT-2 byte-level form).
Status parse_hf_merges(const nlohmann::json& model, const std::string& path, BpeSpec* spec) {
  auto bad = [&](const std::string& what) { return corrupt("{}: {}", path, what); };
  const auto merges = model.value("merges", nlohmann::json::array());
  if (!merges.is_array()) return bad("model.merges is not an array");
  spec->merges.reserve(merges.size());
  for (size_t r = 0; r < merges.size(); ++r) {
    const auto& m = merges[r];
    std::string a, b;
    if (m.is_string()) {
      const std::string& s = m.get_ref<const std::string&>();
      size_t sp = s.find(' ');
      if (sp == std::string::npos) return bad(fmt::format("model.merges[{}]: no space", r));
      a = s.substr(0, sp), b = s.substr(sp + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      a = m[0].get<std::string>(), b = m[1].get<std::string>();
    } else {
      return bad(fmt::format("model.merges[{}]: not \"a b\" or [a, b]", r));
    }
    auto ba = gpt2_to_bytes(a), bb = gpt2_to_bytes(b);
    if (!ba || !bb || ba->empty() || bb->empty())
      return bad(fmt::format("model.merges[{}]: not in GPT-2's byte-level form", r));
    spec->merges.emplace_back(std::move(*ba), std::move(*bb));
  }
  return ok_status();
}

}  // namespace

Result<LoadedBpe> load_hf_bpe(const nlohmann::json& j, const std::string& path) {
  if (!j.is_object() || !j.contains("model") || !j["model"].is_object())
    return corrupt("{}: no \"model\" object (not a tokenizer.json?)", path);
  const auto& model = j["model"];
  auto bad = [&](const std::string& what) { return corrupt("{}: {}", path, what); };
  if (!model.contains("vocab") || !model["vocab"].is_object())
    return bad("model.vocab is missing or not an object");
  auto prefix = model.value("continuing_subword_prefix", nlohmann::json());
  auto suffix = model.value("end_of_word_suffix", nlohmann::json());
  if (model.value("byte_fallback", false) || (!prefix.is_null() && prefix != "") ||
      (!suffix.is_null() && suffix != ""))
    return invalid_argument("{}: only byte-level BPE is supported (no byte_fallback/prefixes)",
                            path);
  LoadedBpe out;
  if (j.contains("normalizer")) {
    auto norm = NormalizerSequence::from_json(j["normalizer"]);
    if (!norm.ok())
      return Status(norm.status().code(), fmt::format("{}: {}", path, norm.status().message()),
                    norm.status().hint());
    out.normalizer = std::move(norm).value();
  }
  out.options.ignore_merges = model.value("ignore_merges", false);
  if (j.contains("pre_tokenizer")) {
    LM_ASSIGN_OR_RETURN(out.spec.pattern, hf_pattern(j["pre_tokenizer"], path));
  } else {
    out.spec.pattern = kGpt2Pattern;
  }
  std::vector<uint8_t> added;
  if (j.contains("added_tokens") && j["added_tokens"].is_array()) {
    for (const auto& t : j["added_tokens"]) {
      if (!t.contains("id") || !t["id"].is_number_unsigned() || !t.contains("content") ||
          !t["content"].is_string())
        return bad("added_tokens: an entry lacks id or content");
      uint32_t id = t["id"].get<uint32_t>();
      out.spec.special_tokens.emplace_back(t["content"].get<std::string>(), id);
      if (id >= added.size()) added.resize(id + 1ULL);
      added[id] = 1;
    }
  }
  for (const auto& [key, val] : model["vocab"].items()) {
    if (!val.is_number_unsigned() || val.get<uint64_t>() >= (1ULL << 31))
      return bad(fmt::format("model.vocab[\"{}\"]: the id is not a non-negative integer", key));
    uint32_t id = val.get<uint32_t>();
    if (id < added.size() && added[id]) continue;  // an added token: kept as special
    auto bytes = gpt2_to_bytes(key);
    if (!bytes || bytes->empty())
      return bad(fmt::format("model.vocab[\"{}\"] is not in GPT-2's byte-level form", key));
    if (id >= out.spec.tokens.size()) out.spec.tokens.resize(id + 1ULL);
    if (!out.spec.tokens[id].empty()) return bad(fmt::format("model.vocab: id {} twice", id));
    out.spec.tokens[id] = std::move(*bytes);
  }
  LM_RETURN_IF_ERROR(parse_hf_merges(model, path, &out.spec));
  return out;
}

Result<std::string> bpe_to_hf_json(const BpeModel& model, const NormalizerSequence& normalizer) {
  size_t unreachable = 0;
  auto merges = model.merges(&unreachable);
  if (unreachable > 0)
    return invalid_argument(
        "{} tokens cannot be reached by merges; tokenizer.json cannot hold "
        "this vocabulary",
        unreachable);
  // vocab and merges are written by hand: ordered_json inserts are linear in the object size.
  auto str = [](const std::string& s) {
    return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  std::string vocab = "{";
  const auto& tokens = model.tokens();
  for (uint32_t id = 0; id < tokens.size(); ++id) {
    if (!model.has_id(id) || model.is_special(id)) continue;
    if (vocab.size() > 1) vocab += ",\n";
    vocab += str(bytes_to_gpt2(tokens[id])) + ":" + std::to_string(id);
  }
  vocab += "}";
  std::string jm = "[";
  for (const auto& [a, b] : merges) {
    if (jm.size() > 1) jm += ",\n";
    jm += str(bytes_to_gpt2(a) + " " + bytes_to_gpt2(b));
  }
  jm += "]";
  nlohmann::ordered_json added = nlohmann::ordered_json::array();
  for (const auto& [text, id] : model.special_tokens()) {
    added.push_back({{"id", id},
                     {"content", text},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  // Always Split + ByteLevel(use_regex=false): equivalent to ByteLevel's own regex in HF, and
  // ports that run ByteLevel's regex with JavaScript's \s (no U+0085) then agree too. The
  // known patterns are written in tiktoken's npm spelling: Oniguruma (HF) reads the possessive
  // `{1,3}+` of the Python spelling as a stacked quantifier.
  std::string pattern = model.pattern();
  switch (split_kind_of(pattern)) {
    case SplitKind::kGpt2:
      pattern = kGpt2Pattern;
      break;
    case SplitKind::kCl100k:
      pattern = kCl100kNpmPattern;
      break;
    default:
      break;
  }
  nlohmann::ordered_json pre = {{"type", "Sequence"},
                                {"pretokenizers",
                                 {{{"type", "Split"},
                                   {"pattern", {{"Regex", pattern}}},
                                   {"behavior", "Isolated"},
                                   {"invert", false}},
                                  {{"type", "ByteLevel"},
                                   {"add_prefix_space", false},
                                   {"trim_offsets", true},
                                   {"use_regex", false}}}}};
  nlohmann::ordered_json j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  j["added_tokens"] = std::move(added);
  j["normalizer"] = nlohmann::ordered_json::parse(normalizer.to_json().dump());
  j["pre_tokenizer"] = std::move(pre);
  j["post_processor"] = nullptr;
  j["decoder"] = {{"type", "ByteLevel"},
                  {"add_prefix_space", true},
                  {"trim_offsets", true},
                  {"use_regex", true}};
  j["model"] = {{"type", "BPE"},
                {"dropout", nullptr},
                {"unk_token", nullptr},
                {"continuing_subword_prefix", nullptr},
                {"end_of_word_suffix", nullptr},
                {"fuse_unk", false},
                {"byte_fallback", false},
                {"ignore_merges", model.rank_mode() || model.options().ignore_merges},
                {"vocab", "@VOCAB@"},
                {"merges", "@MERGES@"}};
  std::string text = j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace);
  size_t v = text.find("\"@VOCAB@\"");
  text.replace(v, 9, vocab);
  size_t m = text.find("\"@MERGES@\"", v + vocab.size());
  text.replace(m, 10, jm);
  return text + "\n";
}

Status save_tiktoken(const BpeModel& model, const std::string& path) {
  std::string out;
  const auto& tokens = model.tokens();
  for (uint32_t id = 0; id < tokens.size(); ++id) {
    if (!model.has_id(id) || model.is_special(id)) continue;
    out += base64_encode(tokens[id]);
    out += ' ';
    out += std::to_string(id);
    out += '\n';
  }
  return write_file_atomic(path, out);
}

}  // namespace lm::tok
