// template_test.cc: the Jinja subset renders as jinja2 would (values as Python's str()), and
// everything outside it, or a field the document lacks, is an error that names it.
#include "eval/template.h"

#include <gtest/gtest.h>

namespace lm::eval {
namespace {

std::string render(const std::string& t, const Json& doc) {
  auto tpl = Template::parse(t, "test");
  EXPECT_TRUE(tpl.ok()) << tpl.status().to_string();
  if (!tpl.ok()) return "<parse error>";
  auto s = tpl->render(doc);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return s.ok() ? *s : "<render error>";
}

std::string error_of(const std::string& t, const Json& doc) {
  auto tpl = Template::parse(t, "task.yaml:3: doc_to_text");
  if (!tpl.ok()) return tpl.status().to_string();
  auto s = tpl->render(doc);
  return s.ok() ? "" : s.status().to_string();
}

const Json kDoc = Json::parse(R"({"q": " Hi There ", "a": {"b": [1, 2]}, "list": ["x", "y'z"],
  "n": 3, "f": 0.5, "t": true, "none": null, "empty": "", "d": {"k": "v"}})");

TEST(TemplateTest, FieldsAttributesIndicesAndFilters) {
  EXPECT_EQ(render("{{q}}", kDoc), " Hi There ");
  EXPECT_EQ(render("{{ q | trim }}|{{ q|lower }}|{{q | upper}}", kDoc),
            "Hi There| hi there | HI THERE ");
  EXPECT_EQ(render("{{a.b[1]}} {{a['b'][0]}} {{list[0]}}", kDoc), "2 1 x");
  EXPECT_EQ(render("{{ list | join(', ') }}/{{ list|join }}", kDoc), "x, y'z/xy'z");
  EXPECT_EQ(render("{{ q.strip() }}", kDoc), "Hi There");
  EXPECT_EQ(render("{{ 'a' ~ n ~ \"b\" }}", kDoc), "a3b");
}

TEST(TemplateTest, ValuesRenderAsPythonStr) {
  EXPECT_EQ(render("{{list}}", kDoc), "['x', \"y'z\"]");
  EXPECT_EQ(render("{{a}}", kDoc), "{'b': [1, 2]}");
  EXPECT_EQ(render("{{t}} {{none}} {{f}} {{n}}", kDoc), "True None 0.5 3");
}

TEST(TemplateTest, ForIfElifElseAndLoop) {
  EXPECT_EQ(render("{% for x in list %}{{loop.index}}={{x}};{% endfor %}", kDoc), "1=x;2=y'z;");
  EXPECT_EQ(render("{% if empty %}A{% elif n == 3 and t %}B{% else %}C{% endif %}", kDoc), "B");
  EXPECT_EQ(render("{% if not t %}A{% elif n > 5 %}B{% else %}C{% endif %}", kDoc), "C");
  EXPECT_EQ(render("{% if 'x' in list %}in{% endif %}{% if 'k' not in d %}no{% endif %}", kDoc),
            "in");
  EXPECT_EQ(render("a\n  {%- if t -%}  \n b {%- endif %}", kDoc), "ab");
  EXPECT_EQ(render("{# a comment #}x", kDoc), "x");
  EXPECT_EQ(render("{% if answer is defined %}{{answer}}{% else %}{{n}}{% endif %}", kDoc), "3");
  EXPECT_EQ(render("{% if q is not defined %}-{% else %}+{% endif %}", kDoc), "+");
}

TEST(TemplateTest, EvaluateKeepsAListForDocToChoice) {
  auto t = Template::parse("{{ list }}", "t");
  ASSERT_TRUE(t.ok());
  auto v = t->evaluate(kDoc);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->is_array());
  EXPECT_EQ(v->size(), 2u);
  auto t2 = Template::parse("{{ [q, n] }}", "t");
  ASSERT_TRUE(t2.ok());
  EXPECT_EQ(t2->evaluate(kDoc)->dump(), R"([" Hi There ",3])");
}

TEST(TemplateTest, MissingFieldsAreNamed) {
  std::string e = error_of("Q: {{question}}", kDoc);
  EXPECT_NE(e.find("'question'"), std::string::npos) << e;
  EXPECT_NE(e.find("its fields: q, a"), std::string::npos) << e;
  e = error_of("{{a.c}}", kDoc);
  EXPECT_NE(e.find("'a.c'"), std::string::npos) << e;
  e = error_of("{{list[5]}}", kDoc);
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;
}

TEST(TemplateTest, ConstructsOutsideTheSubsetAreRefusedByName) {
  struct Case {
    const char* tpl;
    const char* named;
  } cases[] = {
      {"{{ q | replace('a', 'b') }}", "'replace'"},
      {"{% set x = 1 %}", "'{% set %}'"},
      {"{% macro m() %}{% endmacro %}", "'{% macro %}'"},
      {"{{ range(3) }}", "function calls"},
      {"{{ q.split() }}", "'.split(...)'"},
      {"{{ n + 1 }}", "operator '+'"},
      {"{{ list[0:1] }}", "':'"},
      {"{{ q", "never closed"},
      {"{% for x in list %}", "endfor"},
      {"{% if t %}", "endif"},
      {"{% endif %}", "without its opening"},
  };
  for (const auto& c : cases) {
    std::string e = error_of(c.tpl, kDoc);
    EXPECT_NE(e.find(c.named), std::string::npos) << c.tpl << " -> " << e;
    EXPECT_NE(e.find("task.yaml:3"), std::string::npos) << c.tpl << " -> " << e;
  }
}

}  // namespace
}  // namespace lm::eval
