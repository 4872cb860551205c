// template.h: the Jinja subset that task files use in doc_to_text / doc_to_target /
// doc_to_choice / description: {{ expr }}, {% for x in list %}..{% endfor %}, {% if %} / {% elif %}
// / {% else %} / {% endif %}, {# comments #} and the -}} / {%- whitespace control. Expressions:
// fields, a.b, a[0], a['k'], string / integer literals, [x, y] lists, the filters trim, lower,
// upper, join(sep), the methods .strip() .lower() .upper(), ~ (concatenation), ==, !=, <, <=, >,
// >=, in, not in, and, or, not, is [not] defined, loop.index / index0 / first / last. Anything else
// is refused with its name. Values render as Python's str() does (lists as ['a', 'b'], None, True).
// Strict: a field the document lacks is an error naming it (jinja2's StrictUndefined, as the
// harness uses).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"

namespace lm::eval {

using Json = nlohmann::ordered_json;

class Template {
 public:
  // `where` names the template in parse errors (e.g. "tasks/x.yaml:4: doc_to_text").
  static Result<Template> parse(const std::string& source, const std::string& where);
  // Renders against a document (a JSON object). Errors name the missing field.
  Result<std::string> render(const Json& doc) const;
  // A template that is one {{ expr }} and nothing else yields the expression's value (a list
  // stays a list: doc_to_choice "{{choices}}"); any other template yields its rendered string.
  Result<Json> evaluate(const Json& doc) const;
  const std::string& source() const { return source_; }

  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;
  ~Template();

 private:
  Template();
  std::string source_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Python's str() of a JSON value: strings as-is, lists / dicts as repr, None, True / False.
std::string python_str(const Json& value);

}  // namespace lm::eval
