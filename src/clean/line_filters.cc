// line_filters.cc: line-level rules: C4 (Raffel et al. 2020, datatrove c4_filters.py), FineWeb's
// extra rules (datatrove fineweb_quality_filter.py) and boilerplate/ad lines. C4 and
// boilerplate drop lines (counted per rule) and may remove the whole document.
#include <algorithm>

#include "clean/filter.h"
#include "core/hash.h"
#include "uni/utf8.h"

namespace lm::clean {
namespace {

std::string_view strip(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool ends_with_any(std::string_view s, std::initializer_list<std::string_view> ends) {
  for (auto e : ends)
    if (s.ends_with(e)) return true;
  return false;
}

// Removes "[12]", "[]", "[edit]", "[citation needed]" (C4's citation regex).
std::string remove_citations(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (size_t i = 0; i < line.size();) {
    if (line[i] == '[') {
      size_t j = i + 1;
      while (j < line.size() && line[j] >= '0' && line[j] <= '9') ++j;
      if (j < line.size() && line[j] == ']') {
        i = j + 1;
        continue;
      }
      auto rest = line.substr(i);
      if (rest.starts_with("[edit]")) {
        i += 6;
        continue;
      }
      if (rest.starts_with("[citation needed]")) {
        i += 17;
        continue;
      }
    }
    out.push_back(line[i++]);
  }
  return out;
}

// Sentences in a line: terminators followed by a space or the end (at least one per line).
size_t count_sentences(std::string_view line) {
  size_t n = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    bool end = c == '.' || c == '!' || c == '?';
    size_t len = 1;
    if (!end && i + 2 < line.size() && static_cast<unsigned char>(c) >= 0xE3) {
      std::string_view s = line.substr(i, 3);
      end = s == "\u3002" || s == "\uFF01" || s == "\uFF1F";
      len = 3;
    }
    if (!end) continue;
    size_t next = i + len;
    while (next < line.size() && (line[next] == '.' || line[next] == '!' || line[next] == '?'))
      ++next;
    if (next >= line.size() || line[next] == ' ' || line[next] == '"' || line[next] == '\'' ||
        len == 3) {
      ++n;
    }
    i = next - 1;
  }
  return std::max<size_t>(n, 1);
}

class C4 : public Filter {
 public:
  explicit C4(const C4Config& c) : c_(c) {}
  std::string_view stage() const override { return "c4"; }

  Verdict apply(io::Document* doc, FilterContext* ctx) const override {
    std::vector<std::string_view> lines;
    split_lines(doc->text, &lines);
    std::string out;
    out.reserve(doc->text.size());
    size_t sentences = 0;
    for (uint32_t index = 0; index < lines.size(); ++index) {
      const std::string_view raw = lines[index];
      std::string_view line = strip(raw);
      if (line.empty()) continue;
      size_t n_tokens = 0, longest = 0;
      whitespace_tokens(line, &n_tokens, &longest);
      std::string_view rule;
      if (longest > static_cast<size_t>(c_.max_word_length)) rule = "max_word_length";
      std::string cleaned;
      if (rule.empty() && c_.remove_citations && line.find('[') != std::string_view::npos) {
        cleaned = remove_citations(line);
        if (cleaned.size() != line.size()) {
          ctx->remove_line(stage(), "remove_citations", index, raw, 0,
                           line.size() - cleaned.size());
          line = cleaned;
        }
      }
      if (rule.empty()) rule = line_rule(line, n_tokens, ctx);
      if (rule == "drop_lorem_ipsum" || rule == "drop_curly_bracket") {
        return Verdict::remove(rule, 1);
      }
      if (!rule.empty()) {
        ctx->remove_line(stage(), rule, index, raw, 1, raw.size() + 1);
        continue;
      }
      sentences += c_.min_sentences > 0 ? count_sentences(line) : 1;
      if (!out.empty()) out.push_back('\n');
      out.append(line);
    }
    if (sentences < static_cast<size_t>(c_.min_sentences)) {
      return Verdict::remove("min_sentences", sentences);
    }
    if (out.empty()) return Verdict::remove("empty", 0);
    if (out != doc->text) {
      doc->text = std::move(out);
      ctx->invalidate();
    }
    return {};
  }

 private:
  // Whitespace-separated tokens (Python's str.split()) and the longest one in code points.
  static void whitespace_tokens(std::string_view line, size_t* n, size_t* longest) {
    size_t len = 0;
    for (unsigned char c : line) {
      if (c == ' ' || c == '\t') {
        if (len) ++*n;
        *longest = std::max(*longest, len);
        len = 0;
      } else if ((c & 0xC0) != 0x80) {
        ++len;
      }
    }
    if (len) ++*n;
    *longest = std::max(*longest, len);
  }
  std::string_view line_rule(std::string_view line, size_t n_tokens, FilterContext* ctx) const {
    if (c_.require_terminal_punct &&
        (!ends_with_any(line, {".", "?", "!", "\"", "'", "\u3002", "\uFF01", "\uFF1F"}) ||
         line.ends_with("..."))) {
      return "require_terminal_punct";
    }
    if (n_tokens < static_cast<size_t>(c_.min_words_per_line)) return "min_words_per_line";
    std::string& low = ctx->scratch;
    ascii_lower(line, &low);
    if (c_.drop_lorem_ipsum && low.find("lorem ipsum") != std::string::npos) {
      return "drop_lorem_ipsum";
    }
    if (c_.drop_javascript_lines && low.find("javascript") != std::string::npos) {
      return "drop_javascript_lines";
    }
    if (c_.drop_curly_bracket && line.find('{') != std::string_view::npos) {
      return "drop_curly_bracket";
    }
    if (c_.drop_policy_lines) {
      for (std::string_view p : {"terms of use", "privacy policy", "cookie policy", "uses cookies",
                                 "use of cookies", "use cookies"}) {
        if (low.find(p) != std::string::npos) return "drop_policy_lines";
      }
    }
    return {};
  }
  C4Config c_;
};

class FineWeb : public Filter {
 public:
  explicit FineWeb(const FineWebConfig& c) : c_(c) {}
  std::string_view stage() const override { return "fineweb"; }

  Verdict apply(io::Document* doc, FilterContext* ctx) const override {
    std::vector<std::string_view> all, lines;
    split_lines(doc->text, &all);
    for (auto l : all)
      if (!strip(l).empty()) lines.push_back(l);
    if (lines.empty()) return Verdict::remove("empty", 0);
    double n = static_cast<double>(lines.size());
    size_t punct = 0, short_lines = 0;
    for (auto l : lines) {
      auto s = strip(l);
      if (ends_with_any(s, {".", "!", "?", "\u2026", "\u3002", "\uFF01", "\uFF1F", "\uFF0E",
                            "\u061F", "\u0964", "\u06D4"})) {
        ++punct;
      }
      if (uni::utf8_length_valid(l) <= static_cast<size_t>(c_.short_line_length)) ++short_lines;
    }
    if (punct / n < c_.min_line_punct_ratio)
      return Verdict::remove("min_line_punct_ratio", punct / n);
    if (short_lines / n >= c_.max_short_line_ratio) {
      return Verdict::remove("max_short_line_ratio", short_lines / n);
    }
    ctx->counter.reset(lines.size());
    size_t dup_chars = 0, chars = 0;
    for (auto l : lines) {
      if (ctx->counter.add(hash64(l)) > 1) dup_chars += uni::utf8_length_valid(l);
    }
    for (auto l : all) chars += uni::utf8_length_valid(l);
    double r = chars ? static_cast<double>(dup_chars) / chars : 0;
    if (r >= c_.max_dup_line_char_ratio) return Verdict::remove("max_dup_line_char_ratio", r);
    size_t newlines = std::count(doc->text.begin(), doc->text.end(), '\n');
    size_t n_words = 0;
    for (const auto& w : ctx->words(doc->text)) n_words += !w.symbol;
    double nl = static_cast<double>(newlines) / std::max<size_t>(n_words, 1);
    if (nl > c_.max_newline_ratio) return Verdict::remove("max_newline_ratio", nl);
    return {};
  }

 private:
  FineWebConfig c_;
};

class Boilerplate : public Filter {
 public:
  explicit Boilerplate(const BoilerplateConfig& c) : c_(c) {
    for (auto& p : c_.phrases) ascii_lower(std::string(p), &p);
  }
  std::string_view stage() const override { return "boilerplate"; }

  Verdict apply(io::Document* doc, FilterContext* ctx) const override {
    std::vector<std::string_view> lines;
    split_lines(doc->text, &lines);
    std::string out;
    size_t non_empty = 0;
    std::vector<uint32_t> dropped;
    for (uint32_t i = 0; i < lines.size(); ++i) {
      bool empty = strip(lines[i]).empty();
      non_empty += !empty;
      if (!empty && is_boilerplate(lines[i], ctx)) {
        dropped.push_back(i);
        continue;
      }
      out.append(lines[i]);
      out.push_back('\n');
    }
    if (dropped.empty()) return {};
    double r = non_empty ? static_cast<double>(dropped.size()) / non_empty : 0;
    if (r > c_.max_line_ratio) return Verdict::remove("max_line_ratio", r);
    for (uint32_t i : dropped)
      ctx->remove_line(stage(), "phrases", i, lines[i], 1, lines[i].size() + 1);
    if (!doc->text.ends_with('\n') && !out.empty()) out.pop_back();
    doc->text = std::move(out);
    ctx->invalidate();
    return {};
  }

 private:
  bool is_boilerplate(std::string_view line, FilterContext* ctx) const {
    if (line.size() > 400) return false;  // long lines are content that mentions a phrase
    ascii_lower(line, &ctx->scratch);
    for (const auto& p : c_.phrases)
      if (ctx->scratch.find(p) != std::string::npos) return true;
    return false;
  }
  BoilerplateConfig c_;
};

}  // namespace

std::unique_ptr<Filter> make_c4(const C4Config& c) { return std::make_unique<C4>(c); }
std::unique_ptr<Filter> make_fineweb(const FineWebConfig& c) {
  return std::make_unique<FineWeb>(c);
}
std::unique_ptr<Filter> make_boilerplate(const BoilerplateConfig& c) {
  return std::make_unique<Boilerplate>(c);
}

}  // namespace lm::clean
