// config.h: the cleaning recipe: one struct per stage with every threshold named, the built-in
// default (a Gopher + C4 + FineWeb recipe, thresholds from the papers / datatrove defaults, see
// examples/clean.toml), and strict TOML parsing: an unknown key or a bad value is an error
// naming the file and key. Stage order: [pipeline].order (default kDefaultOrder: the cheap
// gopher_quality word counts before CLD2), then dedup.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "dedup/dedup.h"
#include "text/normalize.h"

namespace lm::clean {

struct NormalizeConfig {
  bool enabled = true;
  text::NormalizeOptions options;
};

struct LanguageConfig {
  bool enabled = true;
  std::vector<std::string> langs = {"en"};  // keep these; empty = keep all (still tags)
  std::string backend = "cld2";             // cld2 | fasttext
  std::string model;                        // fastText model file
  double min_score = 0.65;                  // datatrove LanguageFilter
  int max_bytes = 512;  // prefix given to the identifier (the slowest stage); 0 = all
};

struct GopherQualityConfig {
  bool enabled = true;
  int min_words = 50, max_words = 100000;  // non-symbol words
  double min_avg_word_length = 3, max_avg_word_length = 10;
  double max_hash_ratio = 0.1, max_ellipsis_ratio = 0.1;  // per word
  double max_bullet_lines = 0.9, max_ellipsis_lines = 0.3;
  double min_alpha_words = 0.8;
  int min_stop_words = 2;
  std::vector<std::string> stop_words = {"the", "be", "to", "of", "and", "that", "have", "with"};
  // The stop-word rule applies to documents in these languages (or untagged); empty = all.
  std::vector<std::string> stop_word_langs = {"en"};
};

struct GopherRepetitionConfig {
  bool enabled = true;
  double max_dup_line_frac = 0.3, max_dup_para_frac = 0.3;
  double max_dup_line_char_frac = 0.2, max_dup_para_char_frac = 0.2;
  std::vector<double> max_top_ngram = {0.20, 0.18, 0.16};                    // n = 2, 3, 4
  std::vector<double> max_dup_ngram = {0.15, 0.14, 0.13, 0.12, 0.11, 0.10};  // n = 5 .. 10
};

struct C4Config {
  bool enabled = true;
  bool remove_citations = true;         // "[1]", "[edit]", "[citation needed]"
  bool require_terminal_punct = false;  // C4: true; FineWeb's recipe turns it off
  int min_words_per_line = 3;
  int max_word_length = 1000;
  bool drop_javascript_lines = true;
  bool drop_policy_lines = true;
  bool drop_lorem_ipsum = true;    // document
  bool drop_curly_bracket = true;  // document
  int min_sentences = 5;           // document
};

struct FineWebConfig {
  bool enabled = true;
  double min_line_punct_ratio = 0.12;
  double max_short_line_ratio = 0.67;
  int short_line_length = 30;
  double max_dup_line_char_ratio = 0.01;
  double max_newline_ratio = 0.3;
};

struct GibberishConfig {
  bool enabled = true;
  double max_symbol_ratio = 0.25;  // punctuation/symbols among non-space characters (NeMo)
  double max_digit_ratio = 0.15;   // digits among non-space characters (NeMo)
  double max_url_ratio = 0.2;      // characters inside URLs (NeMo)
  double min_alpha_ratio = 0.5;    // letters among non-space characters
};

struct BoilerplateConfig {
  bool enabled = true;
  std::vector<std::string> phrases = {"click here",
                                      "read more",
                                      "accept cookies",
                                      "cookie settings",
                                      "subscribe to our",
                                      "sign up for our",
                                      "all rights reserved",
                                      "advertisement",
                                      "share this",
                                      "follow us on",
                                      "log in to",
                                      "skip to content",
                                      "javascript is disabled",
                                      "enable javascript",
                                      "back to top",
                                      "powered by"};
  double max_line_ratio = 0.4;  // document removed when more of its lines are boilerplate
};

struct ToxicityConfig {
  bool enabled = true;                            // no effect without words, word_files or model
  std::vector<std::string> words;                 // all languages
  std::map<std::string, std::string> word_files;  // lang -> file, one word or phrase a line
  std::string scope = "document";                 // document | lines
  int max_hits = 0;                               // document removed with more hits than this
  std::string model;                              // fastText classifier
  std::string label = "toxic";
  double threshold = 0.5;
};

struct DedupConfig {
  bool enabled = true;
  bool exact = true, near = true, lines = false;
  std::string preset = "datatrove";
  int bands = 0, rows = 0;  // 0 = from the preset
  int ngram = 5;
  uint64_t seed = 1;
  uint64_t memory_mb = 256;  // sort buffers of the dedup stage
};

// The filter stages in the order they run. A document is removed by the first stage in this
// order whose rule fails, and its record names that stage. Stages that only read the text
// (language, gopher_quality, gopher_repetition, fineweb, gibberish, toxicity with scope
// "document") give the same kept set in any order among themselves; stages that change it
// (normalize, c4, boilerplate, toxicity lines) change what later stages see. gopher_quality
// before language: the stop-word rule, which depends on the language, waits for the language
// stage (documents it removes are still reported as gopher_quality / min_stop_words).
inline const std::vector<std::string> kDefaultOrder = {
    "normalize", "gopher_quality", "language",    "gopher_repetition", "c4",
    "fineweb",   "gibberish",      "boilerplate", "toxicity"};

struct PipelineConfig {
  // Stages not listed run after the listed ones, in kDefaultOrder; a name twice is an error.
  std::vector<std::string> order = kDefaultOrder;
};

struct CleanConfig {
  PipelineConfig pipeline;
  NormalizeConfig normalize;
  LanguageConfig language;
  GopherRepetitionConfig gopher_repetition;
  GopherQualityConfig gopher_quality;
  C4Config c4;
  FineWebConfig fineweb;
  GibberishConfig gibberish;
  BoilerplateConfig boilerplate;
  ToxicityConfig toxicity;
  DedupConfig dedup;
};

// Parses TOML text; `name` (the file) prefixes every error. Keys absent keep their defaults.
Result<CleanConfig> parse_config(std::string_view toml, const std::string& name);
Result<CleanConfig> load_config(const std::string& path);
// [pipeline].order completed with the unlisted stages (kDefaultOrder).
std::vector<std::string> stage_order(const PipelineConfig& c);
// Options for the dedup module from the [dedup] table.
Result<dedup::DedupOptions> dedup_options(const DedupConfig& c);

}  // namespace lm::clean
