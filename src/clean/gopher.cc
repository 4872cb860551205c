// gopher.cc: Gopher quality and repetition rules (Rae et al. 2021, Table A1), as datatrove
// implements them (gopher_quality_filter.py, gopher_repetition_filter.py), plus the shared
// filter helpers (context, hash counter, line split). Lengths are in code points.
#include <algorithm>
#include <unordered_set>

#include "clean/filter.h"
#include "core/hash.h"
#include "uni/utf8.h"

namespace lm::clean {

void HashCounter::reset(size_t expected) {
  size_t cap = 64;
  while (cap < expected * 2) cap <<= 1;
  if (keys_.size() != cap) {
    keys_.assign(cap, 0);
    counts_.assign(cap, 0);
  } else {
    std::fill(keys_.begin(), keys_.end(), 0);
  }
  mask_ = cap - 1;
}

uint32_t HashCounter::add(uint64_t h) {
  if (h == 0) h = 1;
  size_t i = (h ^ (h >> 29)) & mask_;
  while (keys_[i] != 0 && keys_[i] != h) i = (i + 1) & mask_;
  if (keys_[i] == 0) {
    keys_[i] = h;
    counts_[i] = 0;
  }
  return ++counts_[i];
}

uint32_t HashCounter::get(uint64_t h) const {
  if (h == 0) h = 1;
  size_t i = (h ^ (h >> 29)) & mask_;
  while (keys_[i] != 0 && keys_[i] != h) i = (i + 1) & mask_;
  return keys_[i] == h ? counts_[i] : 0;
}

const std::vector<text::Word>& FilterContext::words(std::string_view text) {
  if (!words_valid_) {
    words_.clear();
    text::split_words(text, &words_);
    words_valid_ = true;
  }
  return words_;
}

void FilterContext::remove_line(std::string_view stage, std::string_view rule, uint32_t index,
                                std::string_view line, uint64_t lines, uint64_t bytes) {
  remove_lines(stage, rule, lines, bytes);
  if (record_lines) removed_lines.push_back({stage, rule, index, std::string(line)});
}

void FilterContext::remove_lines(std::string_view stage, std::string_view rule, uint64_t lines,
                                 uint64_t bytes) {
  for (auto& r : removals) {
    if (r.stage == stage && r.rule == rule) {
      r.lines += lines;
      r.bytes += bytes;
      return;
    }
  }
  removals.push_back({stage, rule, lines, bytes});
}

void split_lines(std::string_view text, std::vector<std::string_view>* lines) {
  lines->clear();
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    lines->push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
}

void ascii_lower(std::string_view s, std::string* out) {
  out->resize(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    (*out)[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
}

namespace {

size_t count_sub(std::string_view text, std::string_view sub) {
  size_t n = 0;
  for (size_t p = text.find(sub); p != std::string_view::npos; p = text.find(sub, p + sub.size()))
    ++n;
  return n;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool in_list(const std::vector<std::string>& list, const std::string& x) {
  return std::find(list.begin(), list.end(), x) != list.end();
}

// Stop-word lookup without allocation: words of up to 8 bytes are packed, ASCII-lowercased,
// into a 64-bit key and looked up in a small sorted array; longer ones in a string set.
class StopWords {
 public:
  explicit StopWords(const std::vector<std::string>& words) {
    std::string low;
    for (const auto& w : words) {
      ascii_lower(w, &low);
      if (low.empty()) continue;
      if (low.size() <= 8) {
        packed_.push_back(pack(low));
        lengths_ |= 1u << low.size();
      } else {
        long_.insert(low);
      }
    }
    std::sort(packed_.begin(), packed_.end());
  }
  bool contains(std::string_view w, std::string* scratch) const {
    if (w.size() <= 8) {
      if (!(lengths_ & (1u << w.size()))) return false;
      return std::binary_search(packed_.begin(), packed_.end(), pack(w));
    }
    if (long_.empty()) return false;
    ascii_lower(w, scratch);
    return long_.count(*scratch) > 0;
  }

 private:
  static uint64_t pack(std::string_view w) {
    uint64_t k = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(w[i]);
      if (c >= 'A' && c <= 'Z') c += 32;
      k |= static_cast<uint64_t>(c) << (8 * i);
    }
    return k;
  }
  std::vector<uint64_t> packed_;
  uint32_t lengths_ = 0;  // bit n: a packed word of n bytes exists
  std::unordered_set<std::string> long_;
};

// The word statistics of the Gopher quality rules.
struct WordStats {
  size_t words = 0, non_symbol = 0, total_len = 0, alpha = 0;
};

WordStats word_stats(const std::vector<text::Word>& words) {
  WordStats s;
  s.words = words.size();
  for (const auto& w : words) {
    if (!w.symbol) {
      ++s.non_symbol;
      s.total_len += w.length;
    }
    s.alpha += w.alpha;
  }
  return s;
}

class GopherQuality : public Filter {
 public:
  // stop_words_later: the document's language may be unknown here because the language stage
  // runs later; documents without a language then skip the stop-word rule, which
  // make_stop_word_check() (placed after the language stage) applies.
  GopherQuality(const GopherQualityConfig& c, bool stop_words_later)
      : c_(c), stop_(c.stop_words), stop_words_later_(stop_words_later) {}
  std::string_view stage() const override { return "gopher_quality"; }

  Verdict apply(io::Document* doc, FilterContext* ctx) const override {
    const std::string& text = doc->text;
    const auto& words = ctx->words(text);
    const WordStats ws = word_stats(words);
    const size_t n_non_symbol = ws.non_symbol;
    if (n_non_symbol < static_cast<size_t>(c_.min_words))
      return Verdict::remove("min_words", n_non_symbol);
    if (n_non_symbol > static_cast<size_t>(c_.max_words))
      return Verdict::remove("max_words", n_non_symbol);
    double avg = n_non_symbol ? static_cast<double>(ws.total_len) / n_non_symbol : 0;
    if (avg < c_.min_avg_word_length) return Verdict::remove("min_avg_word_length", avg);
    if (avg > c_.max_avg_word_length) return Verdict::remove("max_avg_word_length", avg);
    double nw = std::max<size_t>(ws.words, 1);
    double hash = count_sub(text, "#") / nw;
    if (hash > c_.max_hash_ratio) return Verdict::remove("max_hash_ratio", hash);
    double ell = (count_sub(text, "...") + count_sub(text, "\u2026")) / nw;
    if (ell > c_.max_ellipsis_ratio) return Verdict::remove("max_ellipsis_ratio", ell);
    Verdict v = line_rules(text);
    if (!v.keep) return v;
    double alpha = ws.alpha / nw;
    if (alpha < c_.min_alpha_words) return Verdict::remove("min_alpha_words", alpha);
    if (stop_words_later_ && doc->lang.empty()) {
      ctx->stop_words_pending = true;
      return {};
    }
    return stop_word_rule(*doc, ctx);
  }

  // The stop-word rule alone (see make_stop_word_check).
  Verdict stop_word_rule(const io::Document& doc, FilterContext* ctx) const {
    if (!c_.stop_word_langs.empty() && !doc.lang.empty() && !in_list(c_.stop_word_langs, doc.lang))
      return {};
    const size_t need = static_cast<size_t>(c_.min_stop_words);
    size_t n_stop = 0;
    for (const auto& w : ctx->words(doc.text)) {
      if (n_stop >= need) break;  // enough: the rule passes
      n_stop += stop_.contains(w.text, &ctx->scratch);
    }
    if (n_stop < need) return Verdict::remove("min_stop_words", n_stop);
    return {};
  }

 private:
  Verdict line_rules(std::string_view text) const {
    size_t lines = 0, bullets = 0, ellipsis = 0;
    for (size_t start = 0; start < text.size();) {
      size_t nl = text.find('\n', start);
      if (nl == std::string_view::npos) nl = text.size();
      auto t = trim(text.substr(start, nl - start));
      ++lines;
      if (t.starts_with("\u2022") || t.starts_with("-")) ++bullets;
      if (t.ends_with("...") || t.ends_with("\u2026")) ++ellipsis;
      start = nl + 1;
    }
    if (lines == 0) return {};
    double b = static_cast<double>(bullets) / lines;
    if (b > c_.max_bullet_lines) return Verdict::remove("max_bullet_lines", b);
    double e = static_cast<double>(ellipsis) / lines;
    if (e > c_.max_ellipsis_lines) return Verdict::remove("max_ellipsis_lines", e);
    return {};
  }
  GopherQualityConfig c_;
  StopWords stop_;
  bool stop_words_later_;
};

// Gopher's stop-word rule for documents whose language was unknown when gopher_quality ran
// (it ran before the language stage); reported as stage gopher_quality.
class StopWordCheck : public Filter {
 public:
  explicit StopWordCheck(const GopherQualityConfig& c) : q_(c, false) {}
  std::string_view stage() const override { return "gopher_quality"; }
  bool continuation() const override { return true; }
  Verdict apply(io::Document* doc, FilterContext* ctx) const override {
    if (!ctx->stop_words_pending) return {};
    return q_.stop_word_rule(*doc, ctx);
  }

 private:
  GopherQuality q_;
};

// Duplicate elements (lines or paragraphs): how many repeat an earlier one, and their chars.
void find_duplicates(const std::vector<std::string_view>& items, FilterContext* ctx,
                     size_t* dup_items, size_t* dup_chars) {
  ctx->counter.reset(items.size());
  *dup_items = *dup_chars = 0;
  for (auto s : items) {
    if (ctx->counter.add(hash64(s)) > 1) {
      ++*dup_items;
      *dup_chars += uni::utf8_length_valid(s);
    }
  }
}

void split_paragraphs(std::string_view text, std::vector<std::string_view>* out) {
  out->clear();
  while (!text.empty() && text.front() == '\n') text.remove_prefix(1);
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    size_t p = text.find("\n\n", start);
    if (p == std::string_view::npos) {
      out->push_back(text.substr(start));
      break;
    }
    out->push_back(text.substr(start, p - start));
    start = p + 2;
    while (start < text.size() && text[start] == '\n') ++start;
  }
}

class GopherRepetition : public Filter {
 public:
  explicit GopherRepetition(const GopherRepetitionConfig& c) : c_(c) {}
  std::string_view stage() const override { return "gopher_repetition"; }

  Verdict apply(io::Document* doc, FilterContext* ctx) const override {
    const std::string& text = doc->text;
    double len = std::max<size_t>(uni::utf8_length_valid(text), 1);
    std::vector<std::string_view> parts;
    size_t dup, dup_chars;
    split_paragraphs(text, &parts);
    find_duplicates(parts, ctx, &dup, &dup_chars);
    double f = parts.empty() ? 0 : static_cast<double>(dup) / parts.size();
    if (f > c_.max_dup_para_frac) return Verdict::remove("max_dup_para_frac", f);
    if (dup_chars / len > c_.max_dup_para_char_frac) {
      return Verdict::remove("max_dup_para_char_frac", dup_chars / len);
    }
    split_lines(text, &parts);
    std::erase(parts, std::string_view());  // datatrove splits on \n+
    find_duplicates(parts, ctx, &dup, &dup_chars);
    f = parts.empty() ? 0 : static_cast<double>(dup) / parts.size();
    if (f > c_.max_dup_line_frac) return Verdict::remove("max_dup_line_frac", f);
    if (dup_chars / len > c_.max_dup_line_char_frac) {
      return Verdict::remove("max_dup_line_char_frac", dup_chars / len);
    }
    return ngram_rules(text, len, ctx);
  }

 private:
  Verdict ngram_rules(std::string_view text, double len, FilterContext* ctx) const {
    static constexpr std::string_view kTop[] = {"max_top_ngram[2]", "max_top_ngram[3]",
                                                "max_top_ngram[4]"};
    static constexpr std::string_view kDup[] = {"max_dup_ngram[5]", "max_dup_ngram[6]",
                                                "max_dup_ngram[7]", "max_dup_ngram[8]",
                                                "max_dup_ngram[9]", "max_dup_ngram[10]"};
    // Non-symbol words: prefix hashes give every n-gram hash in O(1).
    const auto& all = ctx->words(text);
    std::vector<uint64_t> pre(1, 0), plen(1, 0);
    for (const auto& w : all) {
      if (w.symbol) continue;
      pre.push_back(pre.back() * kBase + (hash64(w.text) | 1));
      plen.push_back(plen.back() + w.length);
    }
    size_t n_words = pre.size() - 1;
    for (int n = 2; n <= 4; ++n) {
      if (n_words < static_cast<size_t>(n)) break;
      double f = top_ngram_chars(pre, plen, n, ctx) / len;
      if (f > c_.max_top_ngram[n - 2]) return Verdict::remove(kTop[n - 2], f);
    }
    for (int n = 5; n <= 10; ++n) {
      if (n_words < static_cast<size_t>(n)) break;
      double f = dup_ngram_chars(pre, plen, n, ctx) / len;
      if (f > c_.max_dup_ngram[n - 5]) return Verdict::remove(kDup[n - 5], f);
    }
    return {};
  }
  static uint64_t gram_hash(const std::vector<uint64_t>& pre, size_t i, int n) {
    uint64_t p = 1;
    for (int k = 0; k < n; ++k) p *= kBase;
    return pre[i + n] - pre[i] * p + n;
  }
  // Characters of the most frequent n-gram (joined by spaces) times its count; ties: first seen.
  static double top_ngram_chars(const std::vector<uint64_t>& pre, const std::vector<uint64_t>& plen,
                                int n, FilterContext* ctx) {
    size_t count = pre.size() - n;
    ctx->counter.reset(count);
    uint32_t best = 0;
    size_t best_i = 0;
    for (size_t i = 0; i < count; ++i)
      best = std::max(best, ctx->counter.add(gram_hash(pre, i, n)));
    while (ctx->counter.get(gram_hash(pre, best_i, n)) != best) ++best_i;  // first inserted
    double chars = static_cast<double>(plen[best_i + n] - plen[best_i] + n - 1);
    return chars * best;
  }
  // datatrove find_all_duplicate: chars of n-grams seen before, skipping past each repeat.
  static double dup_ngram_chars(const std::vector<uint64_t>& pre, const std::vector<uint64_t>& plen,
                                int n, FilterContext* ctx) {
    size_t count = pre.size() - n;
    ctx->counter.reset(count);
    uint64_t repeated = 0;
    for (size_t i = 0; i < count;) {
      if (ctx->counter.add(gram_hash(pre, i, n)) > 1) {
        repeated += plen[i + n] - plen[i];
        i += n;
      } else {
        ++i;
      }
    }
    return static_cast<double>(repeated);
  }
  static constexpr uint64_t kBase = 0x9E3779B97F4A7C15ULL;
  GopherRepetitionConfig c_;
};

}  // namespace

std::unique_ptr<Filter> make_gopher_quality(const GopherQualityConfig& c, bool stop_words_later) {
  return std::make_unique<GopherQuality>(c, stop_words_later);
}
std::unique_ptr<Filter> make_stop_word_check(const GopherQualityConfig& c) {
  return std::make_unique<StopWordCheck>(c);
}
std::unique_ptr<Filter> make_gopher_repetition(const GopherRepetitionConfig& c) {
  return std::make_unique<GopherRepetition>(c);
}

}  // namespace lm::clean
