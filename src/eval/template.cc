// template.cc: a small parser and evaluator for the Jinja subset of template.h: the source is cut
// into text / {{ }} / {% %} / {# #} pieces, statements nest into a tree, expressions are parsed
// by recursive descent and evaluated over JSON values. No autoescaping, no macros, no set.
#include "eval/template.h"

#include <fmt/core.h>

#include <cctype>
#include <vector>

namespace lm::eval {
namespace {

struct Expr;
using ExprP = std::unique_ptr<Expr>;
struct Expr {
  enum Kind { kName, kLiteral, kAttr, kIndex, kFilter, kList, kBinary, kNot } kind;
  std::string name;  // field / attribute / filter / operator
  Json literal;
  std::vector<ExprP> args;  // kAttr/kIndex/kFilter: args[0] is the object
};

struct Node {
  enum Kind { kText, kOutput, kFor, kIf } kind;
  std::string text;
  ExprP expr;  // output / for iterable
  std::string var;
  std::vector<Node> body;
  std::vector<std::pair<ExprP, std::vector<Node>>> branches;  // if / elif
  std::vector<Node> else_body;
};

std::string py_repr_string(const std::string& s) {
  bool has_single = s.find('\'') != std::string::npos;
  bool has_double = s.find('"') != std::string::npos;
  char q = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, q);
  for (unsigned char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == q)
      out += std::string("\\") + (char)c;
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (c < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += (char)c;
  }
  return out + q;
}

std::string py_repr(const Json& v) {
  if (v.is_string()) return py_repr_string(v.get<std::string>());
  return python_str(v);
}

bool truthy(const Json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return v.get<int64_t>() != 0;
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return !v.get<std::string>().empty();
  return !v.empty();
}

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace((unsigned char)s[b])) b++;
  while (e > b && std::isspace((unsigned char)s[e - 1])) e--;
  return s.substr(b, e - b);
}

std::string ascii_case(std::string s, bool upper) {
  for (char& c : s)
    c = upper ? (char)std::toupper((unsigned char)c) : (char)std::tolower((unsigned char)c);
  return s;
}

// ---- expression lexer / parser ----
struct Tok {
  enum Kind { kIdent, kNumber, kString, kOp, kEnd } kind;
  std::string text;
};

class ExprParser {
 public:
  ExprParser(const std::string& src, const std::string& where) : src_(src), where_(where) {}

  Status lex() {
    size_t i = 0;
    while (i < src_.size()) {
      char c = src_[i];
      if (std::isspace((unsigned char)c)) {
        i++;
        continue;
      }
      if (std::isalpha((unsigned char)c) || c == '_') {
        size_t j = i;
        while (j < src_.size() && (std::isalnum((unsigned char)src_[j]) || src_[j] == '_')) j++;
        toks_.push_back({Tok::kIdent, src_.substr(i, j - i)});
        i = j;
      } else if (std::isdigit((unsigned char)c)) {
        size_t j = i;
        while (j < src_.size() && std::isdigit((unsigned char)src_[j])) j++;
        if (j < src_.size() && src_[j] == '.')
          return invalid_argument("{}: float literal in '{}' is not in the template subset", where_,
                                  src_);
        toks_.push_back({Tok::kNumber, src_.substr(i, j - i)});
        i = j;
      } else if (c == '\'' || c == '"') {
        std::string s;
        size_t j = i + 1;
        while (j < src_.size() && src_[j] != c) {
          if (src_[j] == '\\' && j + 1 < src_.size()) {
            char e = src_[++j];
            s += e == 'n' ? '\n' : e == 't' ? '\t' : e;
          } else {
            s += src_[j];
          }
          j++;
        }
        if (j >= src_.size())
          return invalid_argument("{}: unterminated string in '{}'", where_, src_);
        toks_.push_back({Tok::kString, s});
        i = j + 1;
      } else {
        static const char* two[] = {"==", "!=", "<=", ">="};
        bool done = false;
        for (const char* t : two) {
          if (src_.compare(i, 2, t) == 0) {
            toks_.push_back({Tok::kOp, t});
            i += 2;
            done = true;
            break;
          }
        }
        if (done) continue;
        if (std::string(".[](),|~<>").find(c) == std::string::npos)
          return invalid_argument(
              "{}: operator '{}' in '{}' is not in the template subset "
              "(see docs/eval.md)",
              where_, c, src_);
        toks_.push_back({Tok::kOp, std::string(1, c)});
        i++;
      }
    }
    toks_.push_back({Tok::kEnd, ""});
    return ok_status();
  }

  Result<ExprP> parse_all() {
    LM_RETURN_IF_ERROR(lex());
    LM_ASSIGN_OR_RETURN(ExprP e, parse_or());
    if (peek().kind != Tok::kEnd) return unexpected();
    return e;
  }
  // For "x in expr" of a for statement: the parser is given "expr" only.

 private:
  const Tok& peek() const { return toks_[pos_]; }
  bool is_op(const char* t) const { return peek().kind == Tok::kOp && peek().text == t; }
  bool is_kw(const char* t) const { return peek().kind == Tok::kIdent && peek().text == t; }
  Status unexpected() const {
    const Tok& t = peek();
    if (t.kind == Tok::kEnd) return invalid_argument("{}: '{}' ends early", where_, src_);
    return invalid_argument("{}: '{}' in '{}' is not in the template subset (see docs/eval.md)",
                            where_, t.text, src_);
  }
  static ExprP make(Expr::Kind k, std::string name = {}) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->name = std::move(name);
    return e;
  }
  static ExprP binary(std::string op, ExprP a, ExprP b) {
    ExprP e = make(Expr::kBinary, std::move(op));
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    return e;
  }

  Result<ExprP> parse_or() {
    LM_ASSIGN_OR_RETURN(ExprP a, parse_and());
    while (is_kw("or")) {
      pos_++;
      LM_ASSIGN_OR_RETURN(ExprP b, parse_and());
      a = binary("or", std::move(a), std::move(b));
    }
    return a;
  }
  Result<ExprP> parse_and() {
    LM_ASSIGN_OR_RETURN(ExprP a, parse_not());
    while (is_kw("and")) {
      pos_++;
      LM_ASSIGN_OR_RETURN(ExprP b, parse_not());
      a = binary("and", std::move(a), std::move(b));
    }
    return a;
  }
  Result<ExprP> parse_not() {
    if (is_kw("not")) {
      pos_++;
      LM_ASSIGN_OR_RETURN(ExprP a, parse_not());
      ExprP e = make(Expr::kNot);
      e->args.push_back(std::move(a));
      return e;
    }
    return parse_cmp();
  }
  Result<ExprP> parse_cmp() {
    LM_ASSIGN_OR_RETURN(ExprP a, parse_concat());
    std::string op;
    if (is_op("==") || is_op("!=") || is_op("<") || is_op(">") || is_op("<=") || is_op(">=")) {
      op = peek().text;
      pos_++;
    } else if (is_kw("in")) {
      op = "in";
      pos_++;
    } else if (is_kw("not") && toks_[pos_ + 1].kind == Tok::kIdent &&
               toks_[pos_ + 1].text == "in") {
      op = "not in";
      pos_ += 2;
    } else if (is_kw("is")) {
      pos_++;
      bool negate = is_kw("not");
      if (negate) pos_++;
      if (!is_kw("defined"))
        return invalid_argument(
            "{}: only 'is defined' / 'is not defined' tests are in the template "
            "subset ('{}')",
            where_, src_);
      pos_++;
      ExprP e = make(Expr::kBinary, negate ? "is not defined" : "is defined");
      e->args.push_back(std::move(a));
      return e;
    } else {
      return a;
    }
    LM_ASSIGN_OR_RETURN(ExprP b, parse_concat());
    return binary(op, std::move(a), std::move(b));
  }
  Result<ExprP> parse_concat() {
    LM_ASSIGN_OR_RETURN(ExprP a, parse_filtered());
    while (is_op("~")) {
      pos_++;
      LM_ASSIGN_OR_RETURN(ExprP b, parse_filtered());
      a = binary("~", std::move(a), std::move(b));
    }
    return a;
  }
  Result<ExprP> parse_filtered() {
    LM_ASSIGN_OR_RETURN(ExprP a, parse_postfix());
    while (is_op("|")) {
      pos_++;
      if (peek().kind != Tok::kIdent) return unexpected();
      std::string f = peek().text;
      if (f != "trim" && f != "lower" && f != "upper" && f != "join")
        return invalid_argument(
            "{}: the filter '{}' in '{}' is not in the template subset (trim, "
            "lower, upper, join; see docs/eval.md)",
            where_, f, src_);
      pos_++;
      ExprP e = make(Expr::kFilter, f);
      e->args.push_back(std::move(a));
      if (is_op("(")) {
        pos_++;
        if (!is_op(")")) {
          LM_ASSIGN_OR_RETURN(ExprP arg, parse_or());
          e->args.push_back(std::move(arg));
        }
        if (!is_op(")")) return unexpected();
        pos_++;
      }
      if (f != "join" && e->args.size() > 1)
        return invalid_argument("{}: the filter '{}' takes no argument in '{}'", where_, f, src_);
      a = std::move(e);
    }
    return a;
  }
  Result<ExprP> parse_postfix() {
    LM_ASSIGN_OR_RETURN(ExprP a, parse_primary());
    while (true) {
      if (is_op(".")) {
        pos_++;
        if (peek().kind != Tok::kIdent) return unexpected();
        std::string name = peek().text;
        pos_++;
        if (is_op("(")) {  // method call: only strip / lower / upper with no arguments
          pos_++;
          if (!is_op(")") || (name != "strip" && name != "lower" && name != "upper"))
            return invalid_argument(
                "{}: the method call '.{}(...)' in '{}' is not in the template "
                "subset (.strip(), .lower(), .upper())",
                where_, name, src_);
          pos_++;
          ExprP e = make(Expr::kFilter, name == "strip" ? "trim" : name);
          e->args.push_back(std::move(a));
          a = std::move(e);
          continue;
        }
        ExprP e = make(Expr::kAttr, name);
        e->args.push_back(std::move(a));
        a = std::move(e);
      } else if (is_op("[")) {
        pos_++;
        ExprP e = make(Expr::kIndex);
        e->args.push_back(std::move(a));
        if (is_op("-") || is_op(":")) return unexpected();
        LM_ASSIGN_OR_RETURN(ExprP idx, parse_or());
        e->args.push_back(std::move(idx));
        if (!is_op("]")) {
          if (is_op(":"))
            return invalid_argument("{}: slices in '{}' are not in the template subset", where_,
                                    src_);
          return unexpected();
        }
        pos_++;
        a = std::move(e);
      } else if (is_op("(")) {
        return invalid_argument("{}: function calls in '{}' are not in the template subset", where_,
                                src_);
      } else {
        return a;
      }
    }
  }
  Result<ExprP> parse_primary() {
    const Tok& t = peek();
    if (t.kind == Tok::kNumber) {
      ExprP e = make(Expr::kLiteral);
      e->literal = std::stoll(t.text);
      pos_++;
      return e;
    }
    if (t.kind == Tok::kString) {
      ExprP e = make(Expr::kLiteral);
      e->literal = t.text;
      pos_++;
      return e;
    }
    if (t.kind == Tok::kIdent) {
      ExprP e = make(Expr::kName, t.text);
      if (t.text == "true" || t.text == "True")
        e = make(Expr::kLiteral), e->literal = true;
      else if (t.text == "false" || t.text == "False")
        e = make(Expr::kLiteral), e->literal = false;
      else if (t.text == "none" || t.text == "None")
        e = make(Expr::kLiteral), e->literal = nullptr;
      pos_++;
      return e;
    }
    if (is_op("(")) {
      pos_++;
      LM_ASSIGN_OR_RETURN(ExprP e, parse_or());
      if (!is_op(")")) return unexpected();
      pos_++;
      return e;
    }
    if (is_op("[")) {
      pos_++;
      ExprP e = make(Expr::kList);
      while (!is_op("]")) {
        LM_ASSIGN_OR_RETURN(ExprP item, parse_or());
        e->args.push_back(std::move(item));
        if (is_op(","))
          pos_++;
        else if (!is_op("]"))
          return unexpected();
      }
      pos_++;
      return e;
    }
    return unexpected();
  }

  std::string src_, where_;
  std::vector<Tok> toks_;
  size_t pos_ = 0;
};

// ---- evaluation ----
struct Scope {
  const Json* doc;
  std::vector<std::pair<std::string, Json>> vars;  // innermost last
};

std::string path_of(const Expr& e) {
  if (e.kind == Expr::kName) return e.name;
  if (e.kind == Expr::kAttr) return path_of(*e.args[0]) + "." + e.name;
  if (e.kind == Expr::kIndex && e.args[1]->kind == Expr::kLiteral)
    return path_of(*e.args[0]) + "[" + e.args[1]->literal.dump() + "]";
  return "expression";
}

std::string fields_of(const Json& j) {
  std::string s;
  if (!j.is_object()) return "not an object";
  for (auto it = j.begin(); it != j.end(); ++it) s += (s.empty() ? "" : ", ") + it.key();
  return s.empty() ? "none" : s;
}

Result<Json> eval(const Expr& e, const Scope& scope);

Result<Json> eval_binary(const Expr& e, const Scope& scope) {
  if (e.name == "is defined" || e.name == "is not defined") {
    bool defined = eval(*e.args[0], scope).ok();
    return Json(e.name == "is defined" ? defined : !defined);
  }
  LM_ASSIGN_OR_RETURN(Json a, eval(*e.args[0], scope));
  if (e.name == "and" && !truthy(a)) return a;
  if (e.name == "or" && truthy(a)) return a;
  LM_ASSIGN_OR_RETURN(Json b, eval(*e.args[1], scope));
  if (e.name == "and" || e.name == "or") return b;
  if (e.name == "~") return Json(python_str(a) + python_str(b));
  if (e.name == "==") return Json(a == b);
  if (e.name == "!=") return Json(a != b);
  if (e.name == "in" || e.name == "not in") {
    bool found = false;
    if (b.is_string() && a.is_string())
      found = b.get<std::string>().find(a.get<std::string>()) != std::string::npos;
    else if (b.is_array())
      for (const auto& x : b) found = found || x == a;
    else if (b.is_object() && a.is_string())
      found = b.contains(a.get<std::string>());
    else
      return invalid_argument("'in' needs a string, list or object on its right ({})",
                              path_of(*e.args[1]));
    return Json(e.name == "in" ? found : !found);
  }
  bool comparable = (a.is_number() && b.is_number()) || (a.is_string() && b.is_string());
  if (!comparable)
    return invalid_argument("cannot compare {} with {} using '{}'", py_repr(a), py_repr(b), e.name);
  if (e.name == "<") return Json(a < b);
  if (e.name == ">") return Json(b < a);
  if (e.name == "<=") return Json(!(b < a));
  return Json(!(a < b));
}

Result<Json> eval(const Expr& e, const Scope& scope) {
  switch (e.kind) {
    case Expr::kLiteral:
      return e.literal;
    case Expr::kName: {
      for (auto it = scope.vars.rbegin(); it != scope.vars.rend(); ++it)
        if (it->first == e.name) return it->second;
      if (scope.doc->is_object() && scope.doc->contains(e.name)) return (*scope.doc)[e.name];
      return Status(Code::kInvalidArgument,
                    fmt::format("the document has no field '{}' (its fields: {})", e.name,
                                fields_of(*scope.doc)),
                    "fix the template or the data; fields are case-sensitive");
    }
    case Expr::kAttr: {
      LM_ASSIGN_OR_RETURN(Json obj, eval(*e.args[0], scope));
      if (obj.is_object() && obj.contains(e.name)) return obj[e.name];
      return invalid_argument("the document has no field '{}'", path_of(e));
    }
    case Expr::kIndex: {
      LM_ASSIGN_OR_RETURN(Json obj, eval(*e.args[0], scope));
      LM_ASSIGN_OR_RETURN(Json idx, eval(*e.args[1], scope));
      if (obj.is_array() && idx.is_number_integer()) {
        int64_t i = idx.get<int64_t>(), n = (int64_t)obj.size();
        if (i < 0) i += n;
        if (i < 0 || i >= n)
          return invalid_argument("index {} of '{}' is out of range ({} items)", idx.get<int64_t>(),
                                  path_of(*e.args[0]), n);
        return obj[(size_t)i];
      }
      if (obj.is_string() && idx.is_number_integer()) {
        std::string s = obj.get<std::string>();
        int64_t i = idx.get<int64_t>(), n = (int64_t)s.size();
        if (i < 0) i += n;
        if (i < 0 || i >= n)
          return invalid_argument("index {} of '{}' is out of range", i, path_of(*e.args[0]));
        return Json(s.substr((size_t)i, 1));
      }
      if (obj.is_object() && idx.is_string()) {
        if (obj.contains(idx.get<std::string>())) return obj[idx.get<std::string>()];
        return invalid_argument("the document has no field '{}[\"{}\"]'", path_of(*e.args[0]),
                                idx.get<std::string>());
      }
      return invalid_argument("cannot index '{}' with {}", path_of(*e.args[0]), py_repr(idx));
    }
    case Expr::kFilter: {
      LM_ASSIGN_OR_RETURN(Json v, eval(*e.args[0], scope));
      if (e.name == "join") {
        std::string sep;
        if (e.args.size() > 1) {
          LM_ASSIGN_OR_RETURN(Json s, eval(*e.args[1], scope));
          sep = python_str(s);
        }
        if (!v.is_array())
          return invalid_argument("join needs a list, '{}' is {}", path_of(*e.args[0]), py_repr(v));
        std::string out;
        for (size_t i = 0; i < v.size(); i++) out += (i ? sep : "") + python_str(v[i]);
        return Json(out);
      }
      std::string s = python_str(v);
      if (e.name == "trim") return Json(trim(s));
      return Json(ascii_case(s, e.name == "upper"));
    }
    case Expr::kList: {
      Json out = Json::array();
      for (const auto& a : e.args) {
        LM_ASSIGN_OR_RETURN(Json v, eval(*a, scope));
        out.push_back(std::move(v));
      }
      return out;
    }
    case Expr::kBinary:
      return eval_binary(e, scope);
    case Expr::kNot: {
      LM_ASSIGN_OR_RETURN(Json v, eval(*e.args[0], scope));
      return Json(!truthy(v));
    }
  }
  return internal_error("bad expression");
}

Status render_nodes(const std::vector<Node>& nodes, Scope& scope, std::string* out) {
  for (const Node& n : nodes) {
    if (n.kind == Node::kText) {
      *out += n.text;
    } else if (n.kind == Node::kOutput) {
      LM_ASSIGN_OR_RETURN(Json v, eval(*n.expr, scope));
      *out += python_str(v);
    } else if (n.kind == Node::kFor) {
      LM_ASSIGN_OR_RETURN(Json list, eval(*n.expr, scope));
      if (!list.is_array()) return invalid_argument("for: '{}' is not a list", path_of(*n.expr));
      for (size_t i = 0; i < list.size(); i++) {
        Json loop = {{"index", i + 1},
                     {"index0", i},
                     {"first", i == 0},
                     {"last", i + 1 == list.size()},
                     {"length", list.size()}};
        scope.vars.emplace_back("loop", loop);
        scope.vars.emplace_back(n.var, list[i]);
        Status s = render_nodes(n.body, scope, out);
        scope.vars.pop_back();
        scope.vars.pop_back();
        LM_RETURN_IF_ERROR(s);
      }
    } else {
      bool done = false;
      for (const auto& [cond, body] : n.branches) {
        LM_ASSIGN_OR_RETURN(Json c, eval(*cond, scope));
        if (truthy(c)) {
          LM_RETURN_IF_ERROR(render_nodes(body, scope, out));
          done = true;
          break;
        }
      }
      if (!done) LM_RETURN_IF_ERROR(render_nodes(n.else_body, scope, out));
    }
  }
  return ok_status();
}

struct Piece {
  enum Kind { kText, kExpr, kStmt } kind;
  std::string text;
};

Result<std::vector<Piece>> split_pieces(const std::string& src, const std::string& where) {
  std::vector<Piece> pieces;
  size_t i = 0;
  bool strip_next = false;
  while (i <= src.size()) {
    size_t open = src.find('{', i);
    while (open != std::string::npos && open + 1 < src.size() && src[open + 1] != '{' &&
           src[open + 1] != '%' && src[open + 1] != '#')
      open = src.find('{', open + 1);
    if (open != std::string::npos && open + 1 >= src.size()) open = std::string::npos;
    std::string text = src.substr(i, open == std::string::npos ? std::string::npos : open - i);
    if (strip_next) {
      size_t b = 0;
      while (b < text.size() && std::isspace((unsigned char)text[b])) b++;
      text = text.substr(b);
      strip_next = false;
    }
    if (open == std::string::npos) {
      if (!text.empty()) pieces.push_back({Piece::kText, text});
      break;
    }
    char kind = src[open + 1];
    std::string close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
    size_t end = src.find(close, open + 2);
    if (end == std::string::npos)
      return invalid_argument("{}: '{{{}' at offset {} is never closed by '{}'", where, kind, open,
                              close);
    std::string inner = src.substr(open + 2, end - open - 2);
    if (!inner.empty() && inner[0] == '-') {
      inner.erase(0, 1);
      size_t e = text.size();
      while (e > 0 && std::isspace((unsigned char)text[e - 1])) e--;
      text.resize(e);
    }
    if (!inner.empty() && inner.back() == '-') {
      inner.pop_back();
      strip_next = true;
    }
    if (!text.empty()) pieces.push_back({Piece::kText, text});
    if (kind == '{')
      pieces.push_back({Piece::kExpr, inner});
    else if (kind == '%')
      pieces.push_back({Piece::kStmt, trim(inner)});
    i = end + 2;
  }
  return pieces;
}

class TreeBuilder {
 public:
  TreeBuilder(std::vector<Piece> pieces, std::string where)
      : pieces_(std::move(pieces)), where_(std::move(where)) {}

  // Parses nodes until a statement in `stops` (returned in *stop) or the end.
  Status parse(std::vector<Node>* out, const std::vector<std::string>& stops, std::string* stop) {
    while (pos_ < pieces_.size()) {
      const Piece& p = pieces_[pos_++];
      if (p.kind == Piece::kText) {
        out->push_back(Node{Node::kText, p.text, nullptr, {}, {}, {}, {}});
        continue;
      }
      if (p.kind == Piece::kExpr) {
        LM_ASSIGN_OR_RETURN(ExprP e, ExprParser(p.text, where_).parse_all());
        out->push_back(Node{Node::kOutput, {}, std::move(e), {}, {}, {}, {}});
        continue;
      }
      std::string word = p.text.substr(0, p.text.find_first_of(" \t\n"));
      std::string rest = trim(p.text.substr(word.size()));
      for (const auto& s : stops) {
        if (word == s) {
          *stop = p.text;
          return ok_status();
        }
      }
      if (word == "for") {
        size_t in = rest.find(" in ");
        if (in == std::string::npos)
          return invalid_argument("{}: '{{% {} %}}' needs 'for x in list'", where_, p.text);
        Node n{Node::kFor, {}, nullptr, trim(rest.substr(0, in)), {}, {}, {}};
        for (char c : n.var)
          if (!std::isalnum((unsigned char)c) && c != '_')
            return invalid_argument(
                "{}: '{{% {} %}}': only one loop variable is in the template subset", where_,
                p.text);
        LM_ASSIGN_OR_RETURN(n.expr, ExprParser(rest.substr(in + 4), where_).parse_all());
        std::string end;
        LM_RETURN_IF_ERROR(parse(&n.body, {"endfor", "else"}, &end));
        if (end != "endfor")
          return invalid_argument(
              "{}: '{{% for %}}' without '{{% endfor %}}' (for-else is not in the subset)", where_);
        out->push_back(std::move(n));
      } else if (word == "if") {
        Node n{Node::kIf, {}, nullptr, {}, {}, {}, {}};
        std::string cond = rest;
        while (true) {
          LM_ASSIGN_OR_RETURN(ExprP c, ExprParser(cond, where_).parse_all());
          std::vector<Node> body;
          std::string end;
          LM_RETURN_IF_ERROR(parse(&body, {"elif", "else", "endif"}, &end));
          n.branches.emplace_back(std::move(c), std::move(body));
          if (end.rfind("elif", 0) == 0) {
            cond = trim(end.substr(4));
            continue;
          }
          if (end == "else") {
            std::string e2;
            LM_RETURN_IF_ERROR(parse(&n.else_body, {"endif"}, &e2));
            if (e2 != "endif")
              return invalid_argument("{}: '{{% if %}}' without '{{% endif %}}'", where_);
          } else if (end != "endif") {
            return invalid_argument("{}: '{{% if %}}' without '{{% endif %}}'", where_);
          }
          break;
        }
        out->push_back(std::move(n));
      } else {
        return invalid_argument(
            "{}: the statement '{{% {} %}}' is not in the template subset "
            "(for, if / elif / else; see docs/eval.md)",
            where_, word);
      }
    }
    return ok_status();
  }
  bool at_end() const { return pos_ >= pieces_.size(); }

 private:
  std::vector<Piece> pieces_;
  std::string where_;
  size_t pos_ = 0;
};

}  // namespace

struct Template::Impl {
  std::vector<Node> nodes;
};

Template::Template() : impl_(std::make_unique<Impl>()) {}
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

Result<Template> Template::parse(const std::string& source, const std::string& where) {
  Template t;
  t.source_ = source;
  LM_ASSIGN_OR_RETURN(std::vector<Piece> pieces, split_pieces(source, where));
  TreeBuilder b(std::move(pieces), where);
  std::string stop;
  LM_RETURN_IF_ERROR(b.parse(&t.impl_->nodes, {"endfor", "endif", "elif", "else"}, &stop));
  if (!stop.empty())
    return invalid_argument("{}: '{{% {} %}}' without its opening statement", where, stop);
  return t;
}

Result<std::string> Template::render(const Json& doc) const {
  Scope scope{&doc, {}};
  std::string out;
  LM_RETURN_IF_ERROR(render_nodes(impl_->nodes, scope, &out));
  return out;
}

Result<Json> Template::evaluate(const Json& doc) const {
  if (impl_->nodes.size() == 1 && impl_->nodes[0].kind == Node::kOutput) {
    Scope scope{&doc, {}};
    return eval(*impl_->nodes[0].expr, scope);
  }
  LM_ASSIGN_OR_RETURN(std::string s, render(doc));
  return Json(s);
}

std::string python_str(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "None";
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_number_float()) {
    std::string s = v.dump();
    if (s.find_first_of(".eE") == std::string::npos &&
        s.find_first_not_of("-0123456789") == std::string::npos)
      s += ".0";
    return s;
  }
  std::string out;
  if (v.is_array()) {
    out = "[";
    for (size_t i = 0; i < v.size(); i++) out += (i ? ", " : "") + py_repr(v[i]);
    return out + "]";
  }
  out = "{";
  bool first = true;
  for (auto it = v.begin(); it != v.end(); ++it) {
    out += (first ? "" : ", ") + py_repr_string(it.key()) + ": " + py_repr(it.value());
    first = false;
  }
  return out + "}";
}

}  // namespace lm::eval
