// config.cc: strict TOML parsing of the cleaning recipe (toml++). Every table and key is
// checked: unknown ones and values of the wrong type or out of range are errors naming the file,
// line and key.
#include "clean/config.h"

#include <toml++/toml.h>

#include <set>

#include "core/file_util.h"

namespace lm::clean {
namespace {

// Reads the keys of one table, remembering which were used.
class Section {
 public:
  Section(const toml::table* t, std::string name, std::string file)
      : t_(t), name_(std::move(name)), file_(std::move(file)) {}

  Status get(const char* key, bool* out) {
    const toml::node* n = find(key);
    if (!n) return ok_status();
    if (!n->is_boolean()) return bad(key, n, "true or false");
    *out = n->as_boolean()->get();
    return ok_status();
  }
  Status get(const char* key, int* out, int lo, int hi) {
    const toml::node* n = find(key);
    if (!n) return ok_status();
    if (!n->is_integer()) return bad(key, n, fmt::format("an integer in [{}, {}]", lo, hi));
    int64_t v = n->as_integer()->get();
    if (v < lo || v > hi) return bad(key, n, fmt::format("an integer in [{}, {}]", lo, hi));
    *out = static_cast<int>(v);
    return ok_status();
  }
  Status get(const char* key, uint64_t* out) {
    const toml::node* n = find(key);
    if (!n) return ok_status();
    if (!n->is_integer() || n->as_integer()->get() < 0) {
      return bad(key, n, "a non-negative integer");
    }
    *out = static_cast<uint64_t>(n->as_integer()->get());
    return ok_status();
  }
  Status get(const char* key, double* out, double lo, double hi) {
    const toml::node* n = find(key);
    if (!n) return ok_status();
    auto v = n->value<double>();
    if (!v || *v < lo || *v > hi) return bad(key, n, fmt::format("a number in [{}, {}]", lo, hi));
    *out = *v;
    return ok_status();
  }
  // Several numbers in [0, 1].
  Status get_fractions(std::initializer_list<std::pair<const char*, double*>> keys) {
    for (const auto& [key, out] : keys) LM_RETURN_IF_ERROR(get(key, out, 0, 1));
    return ok_status();
  }
  Status get(const char* key, std::string* out, const std::vector<std::string>& allowed = {}) {
    const toml::node* n = find(key);
    if (!n) return ok_status();
    std::string what = allowed.empty() ? "a string" : "one of " + fmt_list(allowed);
    if (!n->is_string()) return bad(key, n, what);
    std::string v = n->as_string()->get();
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
      return bad(key, n, what);
    }
    *out = v;
    return ok_status();
  }
  Status get(const char* key, std::vector<std::string>* out) {
    const toml::node* n = find(key);
    if (!n) return ok_status();
    if (!n->is_array()) return bad(key, n, "an array of strings");
    std::vector<std::string> v;
    for (const auto& e : *n->as_array()) {
      if (!e.is_string()) return bad(key, n, "an array of strings");
      v.push_back(e.as_string()->get());
    }
    *out = std::move(v);
    return ok_status();
  }
  Status get(const char* key, std::vector<double>* out, double lo, double hi) {
    const toml::node* n = find(key);
    if (!n) return ok_status();
    std::string what = fmt::format("an array of {} numbers in [{}, {}]", out->size(), lo, hi);
    if (!n->is_array() || n->as_array()->size() != out->size()) return bad(key, n, what);
    std::vector<double> v;
    for (const auto& e : *n->as_array()) {
      auto d = e.value<double>();
      if (!d || *d < lo || *d > hi) return bad(key, n, what);
      v.push_back(*d);
    }
    *out = std::move(v);
    return ok_status();
  }
  Status get(const char* key, std::map<std::string, std::string>* out) {
    const toml::node* n = find(key);
    if (!n) return ok_status();
    if (!n->is_table()) return bad(key, n, "a table of lang = \"file\"");
    for (const auto& [k, v] : *n->as_table()) {
      if (!v.is_string()) return bad(key, n, "a table of lang = \"file\"");
      (*out)[std::string(k.str())] = v.as_string()->get();
    }
    return ok_status();
  }
  // An error about the value of `key` (which must be present).
  Status error(const char* key, const std::string& what) const {
    const toml::node* n = t_->get(key);
    return invalid_argument("{}:{}: [{}].{}: {}", file_, n ? n->source().begin.line : 0, name_, key,
                            what);
  }
  // Unknown keys are errors.
  Status finish() const {
    for (const auto& [k, v] : *t_) {
      std::string key(k.str());
      if (!used_.count(key)) {
        return invalid_argument("{}:{}: unknown key [{}].{}", file_, v.source().begin.line, name_,
                                key)
            .with_hint("check the spelling; examples/clean.toml lists every key");
      }
    }
    return ok_status();
  }

 private:
  const toml::node* find(const char* key) {
    used_.insert(key);
    return t_->get(key);
  }
  Status bad(const char* key, const toml::node* n, const std::string& expected) const {
    return invalid_argument("{}:{}: [{}].{}: expected {}", file_, n->source().begin.line, name_,
                            key, expected);
  }
  static std::string fmt_list(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : "|") + x;
    return s;
  }
  const toml::table* t_;
  std::string name_, file_;
  std::set<std::string> used_;
};

Status read_normalize(Section& s, NormalizeConfig* c) {
  auto& o = c->options;
  LM_RETURN_IF_ERROR(s.get("enabled", &c->enabled));
  LM_RETURN_IF_ERROR(s.get("nfkc", &o.nfkc));
  LM_RETURN_IF_ERROR(s.get("remove_controls", &o.remove_controls));
  LM_RETURN_IF_ERROR(s.get("remove_ansi_escapes", &o.remove_ansi_escapes));
  LM_RETURN_IF_ERROR(s.get("collapse_whitespace", &o.collapse_whitespace));
  LM_RETURN_IF_ERROR(s.get("map_punctuation", &o.map_punctuation));
  LM_RETURN_IF_ERROR(s.get("lowercase", &o.lowercase));
  return s.get("strip_accents", &o.strip_accents);
}

Status read_language(Section& s, LanguageConfig* c) {
  LM_RETURN_IF_ERROR(s.get("enabled", &c->enabled));
  LM_RETURN_IF_ERROR(s.get("langs", &c->langs));
  LM_RETURN_IF_ERROR(s.get("backend", &c->backend, {"cld2", "fasttext"}));
  LM_RETURN_IF_ERROR(s.get("model", &c->model));
  LM_RETURN_IF_ERROR(s.get("min_score", &c->min_score, 0, 1));
  return s.get("max_bytes", &c->max_bytes, 0, 1 << 30);
}

Status read_gopher_quality(Section& s, GopherQualityConfig* c) {
  LM_RETURN_IF_ERROR(s.get("enabled", &c->enabled));
  LM_RETURN_IF_ERROR(s.get("min_words", &c->min_words, 0, 1 << 30));
  LM_RETURN_IF_ERROR(s.get("max_words", &c->max_words, 0, 1 << 30));
  LM_RETURN_IF_ERROR(s.get("min_avg_word_length", &c->min_avg_word_length, 0, 1e9));
  LM_RETURN_IF_ERROR(s.get("max_avg_word_length", &c->max_avg_word_length, 0, 1e9));
  LM_RETURN_IF_ERROR(s.get("max_hash_ratio", &c->max_hash_ratio, 0, 1e9));
  LM_RETURN_IF_ERROR(s.get("max_ellipsis_ratio", &c->max_ellipsis_ratio, 0, 1e9));
  LM_RETURN_IF_ERROR(s.get("max_bullet_lines", &c->max_bullet_lines, 0, 1));
  LM_RETURN_IF_ERROR(s.get("max_ellipsis_lines", &c->max_ellipsis_lines, 0, 1));
  LM_RETURN_IF_ERROR(s.get("min_alpha_words", &c->min_alpha_words, 0, 1));
  LM_RETURN_IF_ERROR(s.get("min_stop_words", &c->min_stop_words, 0, 1 << 30));
  LM_RETURN_IF_ERROR(s.get("stop_words", &c->stop_words));
  return s.get("stop_word_langs", &c->stop_word_langs);
}

Status read_gopher_repetition(Section& s, GopherRepetitionConfig* c) {
  LM_RETURN_IF_ERROR(s.get("enabled", &c->enabled));
  LM_RETURN_IF_ERROR(s.get_fractions({{"max_dup_line_frac", &c->max_dup_line_frac},
                                      {"max_dup_para_frac", &c->max_dup_para_frac},
                                      {"max_dup_line_char_frac", &c->max_dup_line_char_frac},
                                      {"max_dup_para_char_frac", &c->max_dup_para_char_frac}}));
  LM_RETURN_IF_ERROR(s.get("max_top_ngram", &c->max_top_ngram, 0, 1));
  return s.get("max_dup_ngram", &c->max_dup_ngram, 0, 1);
}

Status read_c4(Section& s, C4Config* c) {
  LM_RETURN_IF_ERROR(s.get("enabled", &c->enabled));
  LM_RETURN_IF_ERROR(s.get("remove_citations", &c->remove_citations));
  LM_RETURN_IF_ERROR(s.get("require_terminal_punct", &c->require_terminal_punct));
  LM_RETURN_IF_ERROR(s.get("min_words_per_line", &c->min_words_per_line, 0, 1 << 30));
  LM_RETURN_IF_ERROR(s.get("max_word_length", &c->max_word_length, 1, 1 << 30));
  LM_RETURN_IF_ERROR(s.get("drop_javascript_lines", &c->drop_javascript_lines));
  LM_RETURN_IF_ERROR(s.get("drop_policy_lines", &c->drop_policy_lines));
  LM_RETURN_IF_ERROR(s.get("drop_lorem_ipsum", &c->drop_lorem_ipsum));
  LM_RETURN_IF_ERROR(s.get("drop_curly_bracket", &c->drop_curly_bracket));
  return s.get("min_sentences", &c->min_sentences, 0, 1 << 30);
}

Status read_fineweb(Section& s, FineWebConfig* c) {
  LM_RETURN_IF_ERROR(s.get("enabled", &c->enabled));
  LM_RETURN_IF_ERROR(s.get_fractions({{"min_line_punct_ratio", &c->min_line_punct_ratio},
                                      {"max_short_line_ratio", &c->max_short_line_ratio},
                                      {"max_dup_line_char_ratio", &c->max_dup_line_char_ratio}}));
  LM_RETURN_IF_ERROR(s.get("short_line_length", &c->short_line_length, 0, 1 << 30));
  return s.get("max_newline_ratio", &c->max_newline_ratio, 0, 1e9);
}

Status read_gibberish(Section& s, GibberishConfig* c) {
  LM_RETURN_IF_ERROR(s.get("enabled", &c->enabled));
  return s.get_fractions({{"max_symbol_ratio", &c->max_symbol_ratio},
                          {"max_digit_ratio", &c->max_digit_ratio},
                          {"max_url_ratio", &c->max_url_ratio},
                          {"min_alpha_ratio", &c->min_alpha_ratio}});
}

Status read_boilerplate(Section& s, BoilerplateConfig* c) {
  LM_RETURN_IF_ERROR(s.get("enabled", &c->enabled));
  LM_RETURN_IF_ERROR(s.get("phrases", &c->phrases));
  return s.get("max_line_ratio", &c->max_line_ratio, 0, 1);
}

Status read_toxicity(Section& s, ToxicityConfig* c) {
  LM_RETURN_IF_ERROR(s.get("enabled", &c->enabled));
  LM_RETURN_IF_ERROR(s.get("words", &c->words));
  LM_RETURN_IF_ERROR(s.get("word_files", &c->word_files));
  LM_RETURN_IF_ERROR(s.get("scope", &c->scope, {"document", "lines"}));
  LM_RETURN_IF_ERROR(s.get("max_hits", &c->max_hits, 0, 1 << 30));
  LM_RETURN_IF_ERROR(s.get("model", &c->model));
  LM_RETURN_IF_ERROR(s.get("label", &c->label));
  return s.get("threshold", &c->threshold, 0, 1);
}

Status read_dedup(Section& s, DedupConfig* c) {
  LM_RETURN_IF_ERROR(s.get("enabled", &c->enabled));
  LM_RETURN_IF_ERROR(s.get("exact", &c->exact));
  LM_RETURN_IF_ERROR(s.get("near", &c->near));
  LM_RETURN_IF_ERROR(s.get("lines", &c->lines));
  LM_RETURN_IF_ERROR(s.get("preset", &c->preset, {"datatrove", "nemo"}));
  LM_RETURN_IF_ERROR(s.get("bands", &c->bands, 0, 100000));
  LM_RETURN_IF_ERROR(s.get("rows", &c->rows, 0, 100000));
  LM_RETURN_IF_ERROR(s.get("ngram", &c->ngram, 1, 100));
  LM_RETURN_IF_ERROR(s.get("memory_mb", &c->memory_mb));
  return s.get("seed", &c->seed);
}

Status read_pipeline(Section& s, PipelineConfig* c) {
  LM_RETURN_IF_ERROR(s.get("order", &c->order));
  std::set<std::string> seen;
  for (const auto& name : c->order) {
    const bool known =
        std::find(kDefaultOrder.begin(), kDefaultOrder.end(), name) != kDefaultOrder.end();
    if (!known || !seen.insert(name).second) {
      return s.error("order", fmt::format("{} stage \"{}\"", known ? "repeated" : "unknown", name))
          .with_hint(
              "stages: normalize language gopher_quality gopher_repetition c4 fineweb "
              "gibberish boilerplate toxicity (dedup always runs last)");
    }
  }
  return ok_status();
}

template <typename T>
Status read_table(const toml::table& root, const char* name, const std::string& file,
                  Status (*reader)(Section&, T*), T* out) {
  const toml::node* n = root.get(name);
  if (!n) return ok_status();
  if (!n->is_table()) {
    return invalid_argument("{}:{}: [{}] must be a table", file, n->source().begin.line, name);
  }
  Section s(n->as_table(), name, file);
  LM_RETURN_IF_ERROR(reader(s, out));
  return s.finish();
}

}  // namespace

Result<CleanConfig> parse_config(std::string_view text, const std::string& name) {
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    return invalid_argument("{}:{}: {}", name, e.source().begin.line, e.description());
  }
  static const std::set<std::string> kTables = {
      "pipeline", "normalize", "language",    "gopher_repetition", "gopher_quality", "c4",
      "fineweb",  "gibberish", "boilerplate", "toxicity",          "dedup"};
  for (const auto& [k, v] : root) {
    if (!kTables.count(std::string(k.str()))) {
      return invalid_argument("{}:{}: unknown key [{}]", name, v.source().begin.line, k.str())
          .with_hint(
              "tables: pipeline normalize language gopher_repetition gopher_quality c4 fineweb "
              "gibberish boilerplate toxicity dedup");
    }
  }
  CleanConfig c;
  LM_RETURN_IF_ERROR(read_table(root, "pipeline", name, read_pipeline, &c.pipeline));
  LM_RETURN_IF_ERROR(read_table(root, "normalize", name, read_normalize, &c.normalize));
  LM_RETURN_IF_ERROR(read_table(root, "language", name, read_language, &c.language));
  LM_RETURN_IF_ERROR(
      read_table(root, "gopher_repetition", name, read_gopher_repetition, &c.gopher_repetition));
  LM_RETURN_IF_ERROR(
      read_table(root, "gopher_quality", name, read_gopher_quality, &c.gopher_quality));
  LM_RETURN_IF_ERROR(read_table(root, "c4", name, read_c4, &c.c4));
  LM_RETURN_IF_ERROR(read_table(root, "fineweb", name, read_fineweb, &c.fineweb));
  LM_RETURN_IF_ERROR(read_table(root, "gibberish", name, read_gibberish, &c.gibberish));
  LM_RETURN_IF_ERROR(read_table(root, "boilerplate", name, read_boilerplate, &c.boilerplate));
  LM_RETURN_IF_ERROR(read_table(root, "toxicity", name, read_toxicity, &c.toxicity));
  LM_RETURN_IF_ERROR(read_table(root, "dedup", name, read_dedup, &c.dedup));
  return c;
}

Result<CleanConfig> load_config(const std::string& path) {
  LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse_config(text, path);
}

std::vector<std::string> stage_order(const PipelineConfig& c) {
  std::vector<std::string> order = c.order;
  for (const auto& name : kDefaultOrder)
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
  return order;
}

Result<dedup::DedupOptions> dedup_options(const DedupConfig& c) {
  dedup::DedupOptions o;
  o.exact = c.exact;
  o.near = c.near;
  o.lines = c.lines;
  LM_ASSIGN_OR_RETURN(o.minhash, dedup::minhash_preset(c.preset));
  if (c.bands > 0) o.minhash.bands = c.bands;
  if (c.rows > 0) o.minhash.rows = c.rows;
  o.minhash.ngram = c.ngram;
  o.minhash.seed = c.seed;
  return o;
}

}  // namespace lm::clean
