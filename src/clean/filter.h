// filter.h: one cleaning stage applied to one document. A filter may rewrite the text (drop
// lines, normalise) and either keeps the document or removes it with a named rule and the value
// that crossed the threshold. Rules are named after the config key that set the threshold
// (e.g. gopher_quality / min_words / 37). Line removals are reported to the context so that the
// statistics say how many lines and bytes each line rule took. Filters are const and
// thread-safe; per-thread scratch lives in FilterContext.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "clean/config.h"
#include "io/document.h"
#include "text/words.h"

namespace lm::clean {

struct Verdict {
  bool keep = true;
  std::string_view rule;  // static string
  double value = 0;
  std::string detail;  // e.g. the detected language
  static Verdict remove(std::string_view rule, double value, std::string detail = {}) {
    return {false, rule, value, std::move(detail)};
  }
};

struct LineRemoval {
  std::string_view stage, rule;
  uint64_t lines = 0, bytes = 0;
};

// One line a line rule took out of a document (written to DIR/removed-lines/).
struct RemovedLine {
  std::string_view stage, rule;  // static strings
  uint32_t line = 0;             // index among the lines of the text the stage saw
  std::string text;              // the line as the stage saw it
};

// Counts 64-bit hashes (open addressing; reset between documents).
class HashCounter {
 public:
  void reset(size_t expected);
  uint32_t add(uint64_t h);  // returns the count after adding
  uint32_t get(uint64_t h) const;

 private:
  std::vector<uint64_t> keys_;
  std::vector<uint32_t> counts_;
  size_t mask_ = 0;
};

class FilterContext {
 public:
  // The words of `text`, split once per text version (invalidate() after changing the text).
  const std::vector<text::Word>& words(std::string_view text);
  void invalidate() { words_valid_ = false; }
  // Counts `lines` lines / `bytes` bytes taken by a rule (statistics only).
  void remove_lines(std::string_view stage, std::string_view rule, uint64_t lines, uint64_t bytes);
  // Counts them and records the line itself (when record_lines) for DIR/removed-lines/.
  void remove_line(std::string_view stage, std::string_view rule, uint32_t index,
                   std::string_view line, uint64_t lines, uint64_t bytes);
  void start_document() {
    removals.clear();
    removed_lines.clear();
    stop_words_pending = false;
    words_valid_ = false;
  }
  std::vector<LineRemoval> removals;       // counts of the current filter (pipeline clears)
  std::vector<RemovedLine> removed_lines;  // of the current document, all filters
  bool record_lines = true;
  bool stop_words_pending = false;  // gopher_quality left its stop-word rule to a later check
  HashCounter counter;
  std::vector<uint64_t> u64;
  std::string scratch;

 private:
  std::vector<text::Word> words_;
  bool words_valid_ = false;
};

class Filter {
 public:
  virtual ~Filter() = default;
  virtual std::string_view stage() const = 0;
  virtual Verdict apply(io::Document* doc, FilterContext* ctx) const = 0;
  // A continuation finishes an earlier filter of the same stage (documents are not counted
  // into the stage twice; its removals are the stage's).
  virtual bool continuation() const { return false; }
};

// stop_words_later: the language stage runs after gopher_quality, so documents without a
// language get the stop-word rule from make_stop_word_check(), placed after language.
std::unique_ptr<Filter> make_gopher_quality(const GopherQualityConfig& c,
                                            bool stop_words_later = false);
std::unique_ptr<Filter> make_stop_word_check(const GopherQualityConfig& c);
std::unique_ptr<Filter> make_gopher_repetition(const GopherRepetitionConfig& c);
std::unique_ptr<Filter> make_c4(const C4Config& c);
std::unique_ptr<Filter> make_fineweb(const FineWebConfig& c);
std::unique_ptr<Filter> make_gibberish(const GibberishConfig& c);
std::unique_ptr<Filter> make_boilerplate(const BoilerplateConfig& c);
Result<std::unique_ptr<Filter>> make_normalize(const NormalizeConfig& c);
Result<std::unique_ptr<Filter>> make_language(const LanguageConfig& c);
// Null (no error) when the toxicity stage has nothing to look for.
Result<std::unique_ptr<Filter>> make_toxicity(const ToxicityConfig& c);

// The enabled stages of `c` in the order of [pipeline].order (dedup is not a Filter; the
// pipeline runs it last).
Result<std::vector<std::unique_ptr<Filter>>> make_filters(const CleanConfig& c);

// Splits on '\n' (a trailing newline gives no extra empty line).
void split_lines(std::string_view text, std::vector<std::string_view>* lines);
// Lowercases ASCII letters of `s` into *out.
void ascii_lower(std::string_view s, std::string* out);

}  // namespace lm::clean
