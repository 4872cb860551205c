// prompt.cc: doc_to_text / doc_to_target / doc_to_choice as the harness resolves them (a field
// name present in the document is that field; otherwise a template; a digit-string target of a
// multiple-choice task is an index), and fewshot_context's concatenation.
#include "eval/prompt.h"

#include <algorithm>

#include "tokenizer/chat_template.h"

namespace lm::eval {
namespace {

bool is_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

Result<std::vector<Template>> compile(const DocField& f) {
  std::vector<Template> out;
  if (f.kind == DocField::kString) {
    LM_ASSIGN_OR_RETURN(Template t, Template::parse(f.text, f.where));
    out.push_back(std::move(t));
  } else if (f.kind == DocField::kList) {
    for (const auto& s : f.items) {
      LM_ASSIGN_OR_RETURN(Template t, Template::parse(s, f.where));
      out.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace

Result<DocRenderer> DocRenderer::create(const TaskConfig& c) {
  DocRenderer r;
  r.text_f_ = c.doc_to_text;
  r.target_f_ = c.doc_to_target;
  r.choice_f_ = c.doc_to_choice;
  r.choice_kind_ = c.doc_to_choice.kind;
  if (c.doc_to_text.kind == DocField::kInt || c.doc_to_text.kind == DocField::kList)
    return invalid_argument(
        "{}: an integer or list doc_to_text (several contexts) is not supported",
        c.doc_to_text.where);
  if (c.doc_to_choice.kind == DocField::kInt)
    return invalid_argument("{}: doc_to_choice must be a list, a list field or a template",
                            c.doc_to_choice.where);
  if (c.doc_to_choice.kind == DocField::kList && c.doc_to_choice.items.empty())
    return invalid_argument("{}: the choice list is empty", c.doc_to_choice.where);
  LM_ASSIGN_OR_RETURN(r.text_, compile(c.doc_to_text));
  LM_ASSIGN_OR_RETURN(r.target_, compile(c.doc_to_target));
  LM_ASSIGN_OR_RETURN(r.choice_, compile(c.doc_to_choice));
  if (!c.description.empty()) {
    LM_ASSIGN_OR_RETURN(Template t, Template::parse(c.description, c.file + ": description"));
    r.description_.push_back(std::move(t));
  }
  return r;
}

Result<Json> DocRenderer::field(const DocField& f, const std::vector<Template>& t,
                                const Json& doc) const {
  if (f.kind == DocField::kInt) return Json(f.index);
  if (f.kind == DocField::kList) {
    Json out = Json::array();
    for (const auto& x : t) {
      LM_ASSIGN_OR_RETURN(std::string s, x.render(doc));
      out.push_back(s);
    }
    return out;
  }
  if (doc.is_object() && doc.contains(f.text)) return doc[f.text];  // a field name
  auto v = t[0].evaluate(doc);
  if (!v.ok())
    return Status(v.status().code(), f.where + ": " + v.status().message(), v.status().hint());
  return *v;
}

Result<std::string> DocRenderer::description(const Json& doc) const {
  if (description_.empty()) return std::string();
  return description_[0].render(doc);
}

Result<std::string> DocRenderer::text(const Json& doc) const {
  LM_ASSIGN_OR_RETURN(Json v, field(text_f_, text_, doc));
  return python_str(v);
}

Result<Json> DocRenderer::target(const Json& doc) const {
  LM_ASSIGN_OR_RETURN(Json v, field(target_f_, target_, doc));
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (has_choices() && is_digits(s) && s.size() < 10) return Json(std::stoll(s));
    return v;
  }
  if (v.is_number_integer() && !has_choices()) return Json(python_str(v));
  return v;
}

Result<std::vector<std::string>> DocRenderer::choices(const Json& doc) const {
  if (!has_choices()) return internal_error("choices() of a task without doc_to_choice");
  LM_ASSIGN_OR_RETURN(Json v, field(choice_f_, choice_, doc));
  if (v.is_string()) {
    // A template that rendered a list's repr: accept the JSON spelling (["a", "b"]).
    Json parsed = Json::parse(v.get<std::string>(), nullptr, false);
    if (parsed.is_discarded() || !parsed.is_array())
      return invalid_argument("{}: doc_to_choice gave '{}', not a list", choice_f_.where,
                              v.get<std::string>())
          .with_hint("use a list field, \"{{field}}\" of a list, \"{{[a, b]}}\" or a YAML list");
    v = parsed;
  }
  if (v.is_object()) {
    Json vals = Json::array();
    for (auto& x : v) vals.push_back(x);
    v = vals;
  }
  if (!v.is_array()) return invalid_argument("{}: doc_to_choice is not a list", choice_f_.where);
  if (v.empty()) return invalid_argument("{}: the choice list is empty", choice_f_.where);
  std::vector<std::string> out;
  for (const auto& x : v) out.push_back(python_str(x));
  return out;
}

Result<std::vector<int>> DocRenderer::gold(const Json& doc) const {
  LM_ASSIGN_OR_RETURN(std::vector<std::string> ch, choices(doc));
  LM_ASSIGN_OR_RETURN(Json t, target(doc));
  std::vector<Json> items;
  if (t.is_array())
    items.assign(t.begin(), t.end());
  else
    items.push_back(t);
  std::vector<int> out;
  for (const auto& x : items) {
    if (x.is_number_integer()) {
      int64_t i = x.get<int64_t>();
      if (i < 0 || i >= (int64_t)ch.size())
        return invalid_argument("{}: choice index {} is out of range ({} choices)", target_f_.where,
                                i, ch.size());
      out.push_back((int)i);
    } else if (x.is_string()) {
      auto it = std::find(ch.begin(), ch.end(), x.get<std::string>());
      if (it == ch.end())
        return invalid_argument("{}: the target '{}' is not one of the {} choices", target_f_.where,
                                x.get<std::string>(), ch.size());
      out.push_back((int)(it - ch.begin()));
    } else {
      return invalid_argument("{}: the target {} is neither an index nor a choice", target_f_.where,
                              x.dump());
    }
  }
  if (out.empty()) return invalid_argument("{}: the target list is empty", target_f_.where);
  return out;
}

Result<std::string> DocRenderer::target_text(const Json& doc) const {
  LM_ASSIGN_OR_RETURN(Json t, target(doc));
  if (t.is_array()) {
    if (t.empty()) return std::string();
    t = t[0];
  }
  if (has_choices() && t.is_number_integer()) {
    LM_ASSIGN_OR_RETURN(std::vector<int> g, gold(doc));
    LM_ASSIGN_OR_RETURN(std::vector<std::string> ch, choices(doc));
    return ch[g[0]];
  }
  return python_str(t);
}

Result<std::vector<std::string>> DocRenderer::references(const Json& doc) const {
  LM_ASSIGN_OR_RETURN(Json t, target(doc));
  std::vector<std::string> out;
  if (has_choices()) {
    LM_ASSIGN_OR_RETURN(std::vector<int> g, gold(doc));
    LM_ASSIGN_OR_RETURN(std::vector<std::string> ch, choices(doc));
    for (int i : g) out.push_back(ch[i]);
  } else if (t.is_array()) {
    for (const auto& x : t) out.push_back(python_str(x));
  } else {
    out.push_back(python_str(t));
  }
  return out;
}

Result<std::string> build_context(const TaskConfig& c, const DocRenderer& r, const Json& doc,
                                  const std::vector<const Json*>& shots) {
  LM_ASSIGN_OR_RETURN(std::string ctx, r.description(doc));
  if (c.chat_template) {
    std::vector<tok::ChatMessage> m;
    if (!ctx.empty()) m.push_back({"system", ctx});
    for (size_t i = 0; i < shots.size(); i++) {
      auto text = r.text(*shots[i]);
      auto target = text.ok() ? r.target_text(*shots[i]) : Result<std::string>(text.status());
      if (!target.ok()) return target.status().with_context(fmt::format("few-shot example {}", i));
      m.push_back({"user", *text});
      m.push_back({"assistant", *target});
    }
    LM_ASSIGN_OR_RETURN(std::string text, r.text(doc));
    m.push_back({"user", text});
    return tok::render_chat(m, true);
  }
  for (size_t i = 0; i < shots.size(); i++) {
    auto text = r.text(*shots[i]);
    auto target = text.ok() ? r.target_text(*shots[i]) : Result<std::string>(text.status());
    if (!target.ok()) return target.status().with_context(fmt::format("few-shot example {}", i));
    ctx += *text;
    if (!target->empty()) ctx += c.target_delimiter + *target + c.fewshot_delimiter;
  }
  LM_ASSIGN_OR_RETURN(std::string text, r.text(doc));
  return ctx + text;
}

}  // namespace lm::eval
