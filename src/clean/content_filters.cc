// content_filters.cc: normalisation, language id, gibberish ratios and toxicity (word lists per
// language, a fastText classifier), and make_filters (the recipe's stages in order).
#include <unordered_set>

#include "clean/filter.h"
#include "core/file_util.h"
#include "langid/fasttext_model.h"
#include "langid/langid.h"
#include "text/normalize.h"
#include "uni/chars.h"
#include "uni/utf8.h"

namespace lm::clean {
namespace {

class Normalize : public Filter {
 public:
  explicit Normalize(std::unique_ptr<text::CleanNormalizer> n) : n_(std::move(n)) {}
  std::string_view stage() const override { return "normalize"; }
  Verdict apply(io::Document* doc, FilterContext* ctx) const override {
    if (n_->normalize_in_place(&doc->text)) ctx->invalidate();
    if (doc->text.empty()) return Verdict::remove("empty", 0);
    return {};
  }

 private:
  std::unique_ptr<text::CleanNormalizer> n_;
};

class Language : public Filter {
 public:
  Language(const LanguageConfig& c, std::unique_ptr<langid::LanguageIdentifier> id)
      : c_(c), id_(std::move(id)) {}
  std::string_view stage() const override { return "language"; }
  Verdict apply(io::Document* doc, FilterContext*) const override {
    langid::LangPrediction p = id_->predict(doc->text);
    if (doc->lang.empty() && p.lang != "un") doc->lang = p.lang;
    if (c_.langs.empty()) return {};
    if (std::find(c_.langs.begin(), c_.langs.end(), p.lang) == c_.langs.end()) {
      return Verdict::remove("langs", p.score, p.lang);
    }
    if (p.score < c_.min_score) return Verdict::remove("min_score", p.score, p.lang);
    return {};
  }

 private:
  LanguageConfig c_;
  std::unique_ptr<langid::LanguageIdentifier> id_;
};

bool is_url_start(std::string_view s) {
  return s.starts_with("http://") || s.starts_with("https://") || s.starts_with("www.");
}

class Gibberish : public Filter {
 public:
  explicit Gibberish(const GibberishConfig& c) : c_(c) {}
  std::string_view stage() const override { return "gibberish"; }
  Verdict apply(io::Document* doc, FilterContext*) const override {
    const std::string& t = doc->text;
    size_t chars = 0, non_space = 0, symbols = 0, digits = 0, alpha = 0, url = 0;
    bool in_url = false, token_start = true;
    for (size_t pos = 0; pos < t.size();) {
      if (token_start) in_url = is_url_start(std::string_view(t).substr(pos));
      char32_t cp = uni::utf8_decode(t, &pos);
      ++chars;
      if (uni::is_space(cp)) {
        in_url = false;
        token_start = true;
        continue;
      }
      token_start = false;
      ++non_space;
      url += in_url;
      if (uni::is_alpha(cp)) {
        ++alpha;
      } else if (uni::is_digit(cp)) {
        ++digits;
      } else if (uni::is_punct(cp)) {
        ++symbols;
      }
    }
    if (non_space == 0) return Verdict::remove("empty", 0);
    double n = static_cast<double>(non_space);
    if (symbols / n > c_.max_symbol_ratio) return Verdict::remove("max_symbol_ratio", symbols / n);
    if (digits / n > c_.max_digit_ratio) return Verdict::remove("max_digit_ratio", digits / n);
    double u = static_cast<double>(url) / chars;
    if (u > c_.max_url_ratio) return Verdict::remove("max_url_ratio", u);
    if (alpha / n < c_.min_alpha_ratio) return Verdict::remove("min_alpha_ratio", alpha / n);
    return {};
  }

 private:
  GibberishConfig c_;
};

using WordSet = std::unordered_set<std::string>;

Status load_words(const std::string& path, WordSet* out) {
  LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  std::vector<std::string_view> lines;
  split_lines(text, &lines);
  std::string low;
  for (auto l : lines) {
    while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.remove_suffix(1);
    if (l.empty() || l.front() == '#') continue;
    ascii_lower(l, &low);
    out->insert(low);
  }
  return ok_status();
}

class Toxicity : public Filter {
 public:
  Toxicity(const ToxicityConfig& c, WordSet all, std::map<std::string, WordSet> by_lang,
           std::unique_ptr<langid::FastTextModel> model)
      : c_(c), all_(std::move(all)), by_lang_(std::move(by_lang)), model_(std::move(model)) {
    for (const auto& w : all_) max_phrase_words_ = std::max(max_phrase_words_, words_in(w));
    for (const auto& [l, set] : by_lang_)
      for (const auto& w : set) max_phrase_words_ = std::max(max_phrase_words_, words_in(w));
  }
  std::string_view stage() const override { return "toxicity"; }
  Verdict apply(io::Document* doc, FilterContext* ctx) const override {
    auto it = by_lang_.find(doc->lang);
    const WordSet* lang = it == by_lang_.end() ? nullptr : &it->second;
    if (c_.scope == "lines") return apply_lines(doc, lang, ctx);
    size_t hits = count_hits(doc->text, lang);
    if (hits > static_cast<size_t>(c_.max_hits)) return Verdict::remove("words", hits);
    if (model_) {
      float p = toxic_prob(doc->text);
      if (p >= c_.threshold) return Verdict::remove("model", p);
    }
    return {};
  }

 private:
  static size_t words_in(const std::string& s) { return std::count(s.begin(), s.end(), ' ') + 1; }
  Verdict apply_lines(io::Document* doc, const WordSet* lang, FilterContext* ctx) const {
    std::vector<std::string_view> lines;
    split_lines(doc->text, &lines);
    std::string out;
    bool any = false;
    for (uint32_t i = 0; i < lines.size(); ++i) {
      const std::string_view l = lines[i];
      std::string_view rule;
      if (count_hits(l, lang) > 0) {
        rule = "words";
      } else if (model_ && !l.empty() && toxic_prob(l) >= c_.threshold) {
        rule = "model";
      }
      if (!rule.empty()) {
        ctx->remove_line(stage(), rule, i, l, 1, l.size() + 1);
        any = true;
        continue;
      }
      out.append(l);
      out.push_back('\n');
    }
    if (!any) return {};
    if (!out.empty()) out.pop_back();
    doc->text = std::move(out);
    ctx->invalidate();
    if (doc->text.find_first_not_of(" \n\t") == std::string::npos) {
      return Verdict::remove("empty", 0);
    }
    return {};
  }
  // Words and phrases (up to max_phrase_words_ words) of the text found in the lists.
  size_t count_hits(std::string_view text, const WordSet* lang) const {
    if (all_.empty() && (!lang || lang->empty())) return 0;
    std::vector<text::Word> words;
    text::split_words(text, &words);
    std::string key;
    size_t hits = 0;
    for (size_t i = 0; i < words.size(); ++i) {
      if (words[i].symbol) continue;
      key.clear();
      for (size_t n = 0, j = i; j < words.size() && n < max_phrase_words_; ++j) {
        if (words[j].symbol) break;
        if (n++) key.push_back(' ');
        for (char c : words[j].text) key.push_back((c >= 'A' && c <= 'Z') ? c + 32 : c);
        if (all_.count(key) || (lang && lang->count(key))) {
          ++hits;
          break;
        }
      }
    }
    return hits;
  }
  float toxic_prob(std::string_view text) const {
    for (const auto& l : model_->predict(text, 2))
      if (l.label == c_.label) return l.prob;
    return 0;
  }
  ToxicityConfig c_;
  WordSet all_;
  std::map<std::string, WordSet> by_lang_;
  std::unique_ptr<langid::FastTextModel> model_;
  size_t max_phrase_words_ = 1;
};

}  // namespace

std::unique_ptr<Filter> make_gibberish(const GibberishConfig& c) {
  return std::make_unique<Gibberish>(c);
}

Result<std::unique_ptr<Filter>> make_normalize(const NormalizeConfig& c) {
  return std::unique_ptr<Filter>(new Normalize(std::make_unique<text::CleanNormalizer>(c.options)));
}

Result<std::unique_ptr<Filter>> make_language(const LanguageConfig& c) {
  langid::LangIdOptions o{c.backend, c.model, static_cast<size_t>(c.max_bytes)};
  auto id = langid::make_language_identifier(o);
  if (!id.ok()) return id.status().with_context("[language]");
  return std::unique_ptr<Filter>(new Language(c, std::move(id).value()));
}

Result<std::unique_ptr<Filter>> make_toxicity(const ToxicityConfig& c) {
  WordSet all;
  std::string low;
  for (const auto& w : c.words) {
    ascii_lower(w, &low);
    all.insert(low);
  }
  std::map<std::string, WordSet> by_lang;
  for (const auto& [lang, path] : c.word_files) {
    Status s = load_words(path, &by_lang[lang]);
    if (!s.ok()) return s.with_context(fmt::format("[toxicity].word_files.{}", lang));
  }
  std::unique_ptr<langid::FastTextModel> model;
  if (!c.model.empty()) {
    auto m = langid::FastTextModel::load(c.model);
    if (!m.ok()) return m.status().with_context("[toxicity].model");
    model = std::move(m).value();
    auto labels = model->labels();
    if (std::find(labels.begin(), labels.end(), c.label) == labels.end()) {
      return invalid_argument("[toxicity].model: {} has no label \"{}\"", c.model, c.label)
          .with_hint("set [toxicity].label to one of the model's labels");
    }
  }
  if (all.empty() && by_lang.empty() && !model) return std::unique_ptr<Filter>();
  return std::unique_ptr<Filter>(
      new Toxicity(c, std::move(all), std::move(by_lang), std::move(model)));
}

namespace {

// The filter(s) of stage `name` when enabled (none otherwise). `language_later`: the language
// stage runs after this one.
Status add_stage(const CleanConfig& c, const std::string& name, bool language_later,
                 bool quality_before_language, std::vector<std::unique_ptr<Filter>>* f) {
  if (name == "normalize" && c.normalize.enabled) {
    LM_ASSIGN_OR_RETURN(auto n, make_normalize(c.normalize));
    f->push_back(std::move(n));
  } else if (name == "language" && c.language.enabled) {
    LM_ASSIGN_OR_RETURN(auto l, make_language(c.language));
    f->push_back(std::move(l));
    if (quality_before_language) f->push_back(make_stop_word_check(c.gopher_quality));
  } else if (name == "gopher_quality" && c.gopher_quality.enabled) {
    f->push_back(make_gopher_quality(c.gopher_quality, language_later));
  } else if (name == "gopher_repetition" && c.gopher_repetition.enabled) {
    f->push_back(make_gopher_repetition(c.gopher_repetition));
  } else if (name == "c4" && c.c4.enabled) {
    f->push_back(make_c4(c.c4));
  } else if (name == "fineweb" && c.fineweb.enabled) {
    f->push_back(make_fineweb(c.fineweb));
  } else if (name == "gibberish" && c.gibberish.enabled) {
    f->push_back(make_gibberish(c.gibberish));
  } else if (name == "boilerplate" && c.boilerplate.enabled) {
    f->push_back(make_boilerplate(c.boilerplate));
  } else if (name == "toxicity" && c.toxicity.enabled) {
    LM_ASSIGN_OR_RETURN(auto t, make_toxicity(c.toxicity));
    if (t) f->push_back(std::move(t));
  }
  return ok_status();
}

}  // namespace

Result<std::vector<std::unique_ptr<Filter>>> make_filters(const CleanConfig& c) {
  const std::vector<std::string> order = stage_order(c.pipeline);
  auto pos = [&](const char* name) { return std::find(order.begin(), order.end(), name); };
  const bool quality_first =
      c.language.enabled && c.gopher_quality.enabled && pos("gopher_quality") < pos("language");
  std::vector<std::unique_ptr<Filter>> f;
  for (const auto& name : order) {
    const bool language_later = c.language.enabled && pos(name.c_str()) < pos("language");
    LM_RETURN_IF_ERROR(add_stage(c, name, language_later, quality_first, &f));
  }
  return f;
}

}  // namespace lm::clean
