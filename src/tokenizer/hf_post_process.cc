// hf_post_process.cc: parsing and applying an HF tokenizer.json's truncation, post_processor and
// padding for one sequence, step for step as tokenizers' TokenizerImpl::post_process,
// truncate_encodings and pad_encodings do it.
#include "tokenizer/hf_post_process.h"

#include <fmt/core.h>

#include <algorithm>

namespace lm::tok {
namespace {

using nlohmann::json;

Status bad(const std::string& path, const std::string& what) {
  return corrupt("{}: {}", path, what)
      .with_hint("the file's sections should be as HF tokenizers writes them (save_pretrained)");
}

// A [token, id] pair of BertProcessing / RobertaProcessing.
Result<uint32_t> pair_id(const json& p, const std::string& path, const char* member) {
  if (!p.is_array() || p.size() != 2 || !p[1].is_number_unsigned())
    return bad(path, fmt::format("post_processor.{} is not [token, id]", member));
  return p[1].get<uint32_t>();
}

Status parse_template(const json& pp, const std::string& path, PostTemplate* t) {
  if (pp.is_null()) return ok_status();
  if (!pp.is_object()) return bad(path, "post_processor is not an object");
  std::string type = pp.value("type", "");
  if (t->kind.empty()) t->kind = type;
  if (type == "ByteLevel") return ok_status();  // offsets only: no ids
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    LM_ASSIGN_OR_RETURN(uint32_t cls, pair_id(pp.value("cls", json()), path, "cls"));
    LM_ASSIGN_OR_RETURN(uint32_t sep, pair_id(pp.value("sep", json()), path, "sep"));
    t->prefix.insert(t->prefix.begin(), cls);
    t->suffix.push_back(sep);
    return ok_status();
  }
  if (type == "Sequence") {
    const json procs = pp.value("processors", json::array());
    if (!procs.is_array()) return bad(path, "post_processor.processors is not an array");
    for (const auto& p : procs) LM_RETURN_IF_ERROR(parse_template(p, path, t));
    return ok_status();
  }
  if (type != "TemplateProcessing")
    return invalid_argument("{}: post_processor type \"{}\" is not supported", path, type)
        .with_hint(
            "lmforge reads TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel "
            "and Sequence post-processors");
  const json single = pp.value("single", json());
  const json specials = pp.value("special_tokens", json::object());
  if (!single.is_array()) return bad(path, "post_processor.single is not an array of pieces");
  std::vector<uint32_t> before, after;
  bool seen_a = false;
  for (size_t i = 0; i < single.size(); ++i) {
    const json& piece = single[i];
    if (piece.contains("Sequence")) {
      if (seen_a) return bad(path, "post_processor.single holds the sequence twice");
      seen_a = true;
      continue;
    }
    if (!piece.contains("SpecialToken") || !piece["SpecialToken"].contains("id") ||
        !piece["SpecialToken"]["id"].is_string())
      return bad(path, fmt::format("post_processor.single[{}] is neither Sequence nor "
                                   "SpecialToken",
                                   i));
    std::string id = piece["SpecialToken"]["id"].get<std::string>();
    if (!specials.contains(id) || !specials[id].contains("ids") || !specials[id]["ids"].is_array())
      return bad(path, fmt::format("post_processor.special_tokens has no ids for {}", id));
    for (const auto& v : specials[id]["ids"]) {
      if (!v.is_number_unsigned())
        return bad(path, fmt::format("post_processor.special_tokens[{}].ids: not an id", id));
      (seen_a ? after : before).push_back(v.get<uint32_t>());
    }
  }
  if (!seen_a) return bad(path, "post_processor.single has no Sequence piece");
  t->prefix.insert(t->prefix.begin(), before.begin(), before.end());
  t->suffix.insert(t->suffix.end(), after.begin(), after.end());
  return ok_status();
}

Result<std::optional<Truncation>> parse_truncation(const json& j, const std::string& path) {
  if (j.is_null()) return std::optional<Truncation>();
  if (!j.is_object() || !j.contains("max_length") || !j["max_length"].is_number_unsigned())
    return bad(path, "truncation has no max_length");
  Truncation t;
  t.max_length = j["max_length"].get<size_t>();
  t.stride = j.value("stride", size_t{0});
  std::string dir = j.value("direction", "Right");
  if (dir != "Right" && dir != "Left")
    return bad(path, "truncation.direction is \"" + dir + "\" (Right or Left)");
  t.left = dir == "Left";
  std::string s = j.value("strategy", "LongestFirst");
  if (s == "LongestFirst") {
    t.strategy = Truncation::Strategy::kLongestFirst;
  } else if (s == "OnlyFirst") {
    t.strategy = Truncation::Strategy::kOnlyFirst;
  } else if (s == "OnlySecond") {
    t.strategy = Truncation::Strategy::kOnlySecond;
  } else {
    return bad(path, "truncation.strategy is \"" + s + "\"");
  }
  return std::optional<Truncation>(t);
}

Result<std::optional<Padding>> parse_padding(const json& j, const std::string& path) {
  if (j.is_null()) return std::optional<Padding>();
  if (!j.is_object()) return bad(path, "padding is not an object");
  Padding p;
  const json s = j.value("strategy", json("BatchLongest"));
  if (s.is_object() && s.contains("Fixed") && s["Fixed"].is_number_unsigned()) {
    p.fixed = s["Fixed"].get<size_t>();
  } else if (s != "BatchLongest") {
    return bad(path, "padding.strategy is neither \"BatchLongest\" nor {\"Fixed\": n}");
  }
  std::string dir = j.value("direction", "Right");
  if (dir != "Right" && dir != "Left")
    return bad(path, "padding.direction is \"" + dir + "\" (Right or Left)");
  p.left = dir == "Left";
  const json m = j.value("pad_to_multiple_of", json());
  if (m.is_number_unsigned()) p.pad_to_multiple_of = m.get<size_t>();
  const json id = j.value("pad_id", json(0));
  if (!id.is_number_unsigned()) return bad(path, "padding.pad_id is not an id");
  p.pad_id = id.get<uint32_t>();
  p.pad_token = j.value("pad_token", "[PAD]");
  return std::optional<Padding>(p);
}

// truncate_encodings for one sequence of `ids` to `max_length`.
Status truncate(const Truncation& t, size_t max_length, std::vector<uint32_t>* ids) {
  auto cut = [&](size_t n) {
    if (ids->size() <= n) return;
    if (t.left)
      ids->erase(ids->begin(), ids->end() - static_cast<std::ptrdiff_t>(n));
    else
      ids->resize(n);
  };
  if (max_length == 0) {
    ids->clear();
    return ok_status();
  }
  if (ids->size() <= max_length) return ok_status();
  if (t.strategy == Truncation::Strategy::kOnlySecond)
    return invalid_argument("truncation: strategy OnlySecond needs a second sequence")
        .with_hint("HF fails the same way (\"Second sequence not provided\"); --no-truncation");
  cut(max_length);  // LongestFirst and OnlyFirst agree on a single sequence
  return ok_status();
}

}  // namespace

Result<HfPostProcess> parse_hf_post_process(const json& j, const std::string& path) {
  HfPostProcess p;
  if (!j.is_object()) return p;
  if (j.contains("post_processor"))
    LM_RETURN_IF_ERROR(parse_template(j["post_processor"], path, &p.post));
  if (j.contains("truncation")) {
    LM_ASSIGN_OR_RETURN(p.truncation, parse_truncation(j["truncation"], path));
  }
  if (j.contains("padding")) {
    LM_ASSIGN_OR_RETURN(p.padding, parse_padding(j["padding"], path));
  }
  return p;
}

Status apply_hf_post_process(const HfPostProcess& p, bool add_special_tokens,
                             std::vector<uint32_t>* ids) {
  size_t added = add_special_tokens ? p.post.added() : 0;
  if (p.truncation) {
    const Truncation& t = *p.truncation;
    if (added > t.max_length)
      return invalid_argument(
                 "truncation: max_length {} is smaller than the {} special tokens the "
                 "post_processor adds",
                 t.max_length, added)
          .with_hint("encode without special tokens, or turn truncation off (--no-truncation)");
    LM_RETURN_IF_ERROR(truncate(t, t.max_length - added, ids));
  }
  if (added > 0) {
    ids->insert(ids->begin(), p.post.prefix.begin(), p.post.prefix.end());
    ids->insert(ids->end(), p.post.suffix.begin(), p.post.suffix.end());
  }
  if (p.padding) {
    const Padding& pad = *p.padding;
    size_t target = pad.fixed.value_or(ids->size());
    if (pad.pad_to_multiple_of > 0 && target % pad.pad_to_multiple_of > 0)
      target += pad.pad_to_multiple_of - target % pad.pad_to_multiple_of;
    if (ids->size() < target) {
      size_t n = target - ids->size();
      ids->insert(pad.left ? ids->begin() : ids->end(), n, pad.pad_id);
    }
  }
  return ok_status();
}

std::string describe_hf_post_process(const HfPostProcess& p) {
  std::string out;
  if (p.truncation) {
    const Truncation& t = *p.truncation;
    out = fmt::format("truncation: each text is cut to its {} {} ids{}", t.left ? "last" : "first",
                      t.max_length,
                      p.post.added() ? " (special tokens included, when they are added)" : "");
  }
  if (p.padding) {
    const Padding& pad = *p.padding;
    std::string what =
        pad.fixed ? fmt::format("padded to {} ids", *pad.fixed) : std::string("not padded");
    if (pad.pad_to_multiple_of > 0)
      what = fmt::format("{} to a multiple of {} ids", pad.fixed ? what + ", then" : "padded",
                         pad.pad_to_multiple_of);
    if (pad.fixed || pad.pad_to_multiple_of > 0) {
      out += fmt::format("{}padding: each text is {} with {} (id {}) on the {}",
                         out.empty() ? "" : "; ", what, pad.pad_token, pad.pad_id,
                         pad.left ? "left" : "right");
    }
  }
  if (!out.empty()) out += " (the tokenizer.json's own sections, applied as HF applies them)";
  return out;
}

}  // namespace lm::tok
