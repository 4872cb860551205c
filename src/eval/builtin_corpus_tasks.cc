// builtin_corpus_tasks.cc: the built-in tasks made from the sample corpus: kjv_cloze (a verse's
// last word given the verses before it in its chapter; chapters never shared between splits)
// and gcide_define (a headword's definition among three from other entries of the same split).
// GCIDE entries are parsed from the dictd text: headword, then the first sentence of the first
// definition with the markup ({links}, [ae] ligatures, [tags], "-- called also") removed.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "core/file_util.h"
#include "core/rng.h"
#include "eval/builtin_tasks_internal.h"
#include "io/document.h"

namespace lm::eval::builtin {

namespace {

template <typename T>
void shuffle(std::vector<T>* v, Rng* rng) {
  for (size_t i = v->size(); i > 1; --i) std::swap((*v)[i - 1], (*v)[rng->below(i)]);
}

bool all_letters(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!std::isalpha(c)) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

int bracket_balance(std::string_view s) {
  int d = 0;
  for (char c : s) d += c == '[' ? 1 : c == ']' ? -1 : 0;
  return d;
}

// Drops "1." and "(Zool.)"-style marks at the start of a definition line.
std::string_view strip_sense_marks(std::string_view s) {
  s = trim(s);
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i > 0 && i < s.size() && s[i] == '.') s = trim(s.substr(i + 1));
  while (!s.empty() && s.front() == '(') {
    const size_t close = s.find(')');
    if (close == std::string_view::npos) break;
    s = trim(s.substr(close + 1));
  }
  return s;
}

// Markup out: {x} -> x, [ae] -> ae, other [..] dropped, " -- ..." cut, spaces collapsed.
std::string clean_definition(std::string_view raw) {
  std::string s;
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '{' || c == '}') continue;
    if (c == '[') {
      const size_t close = raw.find(']', i);
      if (close == std::string_view::npos) break;
      const std::string_view inner = raw.substr(i + 1, close - i - 1);
      if (inner == "ae" || inner == "oe" || inner == "AE" || inner == "OE") s += inner;
      i = close;
      continue;
    }
    if (c == ' ' && i + 2 < raw.size() && raw[i + 1] == '-' && raw[i + 2] == '-') break;
    if (c == ' ' && (s.empty() || s.back() == ' ')) continue;
    s += c;
  }
  // The first sentence: a period after a word of 3+ characters, then a space or the end.
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '.' || (i + 1 < s.size() && s[i + 1] != ' ')) continue;
    size_t w = i;
    while (w > 0 && s[w - 1] != ' ') --w;
    if (i - w >= 3) {
      s.resize(i);
      break;
    }
  }
  if (s.size() > 120) {  // a long list of senses: up to the last ';' that keeps it short
    const size_t semi = s.rfind(';', 120);
    if (semi != std::string::npos && semi > 20) s.resize(semi);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == ',' || s.back() == ';' || s.back() == ':' ||
                        s.back() == '.'))
    s.pop_back();
  if (!s.empty()) s += '.';
  return s;
}

bool usable_definition(const std::string& word, const std::string& def) {
  if (def.size() < 20 || def.size() > 160) return false;
  if (!std::isupper(static_cast<unsigned char>(def[0]))) return false;
  if (def.find('?') != std::string::npos || def.find('"') != std::string::npos) return false;
  static const char* kSkip[] = {"See ",  "Same as",     "Alt. of",       "Plural of",  "Pl. of",
                                "Obs.",  "An obsolete", "A variant",     "Variant of", "Of ",
                                "Imp. ", "P. p",        "Pertaining to "};
  for (const char* p : kSkip)
    if (def.rfind(p, 0) == 0) return false;
  if (def.find("imp. ") != std::string::npos || def.find("p. p.") != std::string::npos)
    return false;
  // No giveaway: no word of the definition inside the headword or the headword inside one.
  const std::string w = lower(word), d = lower(def);
  int words = 0;
  size_t i = 0;
  while (i < d.size()) {
    while (i < d.size() && !std::isalpha(static_cast<unsigned char>(d[i]))) ++i;
    size_t j = i;
    while (j < d.size() && std::isalpha(static_cast<unsigned char>(d[j]))) ++j;
    if (j > i) {
      ++words;
      const std::string dw = d.substr(i, j - i);
      if ((dw.size() >= 4 && w.find(dw) != std::string::npos) || dw.find(w) != std::string::npos)
        return false;
    }
    i = j;
  }
  return words >= 4;
}

}  // namespace

std::string kjv_last_word(std::string_view verse, size_t* prefix_len) {
  verse = trim(verse);
  const size_t space = verse.rfind(' ');
  if (space == std::string_view::npos) return "";
  std::string_view word = verse.substr(space + 1);
  while (!word.empty() && std::string_view(".,;:?!)").find(word.back()) != std::string_view::npos)
    word.remove_suffix(1);
  if (word.size() < 2 || !all_letters(word)) return "";
  const std::string_view before = verse.substr(0, space);
  if (before.find(' ') == std::string_view::npos) return "";  // the verse number alone
  if (prefix_len) *prefix_len = space;
  return std::string(word);
}

Splits make_kjv_cloze(const std::vector<KjvChapter>& chapters, uint64_t seed) {
  Rng rng(dataset_seed(seed, "kjv_cloze"));
  std::vector<size_t> order(chapters.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  shuffle(&order, &rng);
  const size_t n = order.size();
  const size_t test_ch = n >= 1000 ? 500 : n * 2 / 5, val_ch = n >= 1000 ? 200 : n * 3 / 20;
  constexpr size_t kContextChars = 600;  // verses before the target, up to about this much
  Splits s;
  for (size_t k = 0; k < n; ++k) {
    const KjvChapter& ch = chapters[order[k]];
    std::vector<size_t> eligible;
    for (size_t v = 1; v < ch.verses.size(); ++v)
      if (!kjv_last_word(ch.verses[v], nullptr).empty()) eligible.push_back(v);
    std::vector<Doc>& out = k < test_ch ? s.test : k < test_ch + val_ch ? s.validation : s.train;
    const size_t take = k < test_ch + val_ch ? 1 : 2;
    if (&out == &s.train && s.train.size() >= 1000) continue;
    shuffle(&eligible, &rng);
    if (eligible.size() > take) eligible.resize(take);
    std::sort(eligible.begin(), eligible.end());
    for (size_t v : eligible) {
      size_t prefix = 0;
      const std::string word = kjv_last_word(ch.verses[v], &prefix);
      size_t first = v - 1, used = ch.verses[v - 1].size();
      while (first > 0 && used + ch.verses[first - 1].size() + 1 <= kContextChars) {
        --first;
        used += ch.verses[first].size() + 1;
      }
      std::string context;
      for (size_t u = first; u < v; ++u) context += ch.verses[u] + "\n";
      context += std::string(trim(ch.verses[v])).substr(0, prefix);
      Doc d;
      d["chapter"] = ch.id;
      d["verse"] = std::atoll(ch.verses[v].c_str());  // the line's own verse number
      d["context"] = context;
      d["word"] = word;
      d["target"] = " " + word;
      out.push_back(std::move(d));
    }
  }
  return s;
}

std::optional<GcideEntry> parse_gcide_entry(std::string_view text) {
  const auto lines = split_lines(text);
  if (lines.empty()) return std::nullopt;
  const size_t pron = lines[0].find(" \\");
  if (pron == std::string_view::npos) return std::nullopt;
  const std::string_view word = lines[0].substr(0, pron);
  if (word.size() < 3 || word.size() > 20 || !all_letters(word)) return std::nullopt;
  int depth = bracket_balance(lines[0].substr(pron));
  std::string raw;
  size_t i = 1;
  for (; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (depth > 0 || line.empty() || line[0] != ' ') {  // header continued
      depth += bracket_balance(line);
      if (depth < 0) depth = 0;
      continue;
    }
    const std::string_view body = strip_sense_marks(line);
    if (body.empty()) continue;  // a domain mark on its own line
    raw = std::string(body);
    break;
  }
  if (raw.empty()) return std::nullopt;
  for (++i; i < lines.size(); ++i) {
    const std::string_view t = trim(lines[i]);
    if (t.empty() || t[0] == '[' || std::isdigit(static_cast<unsigned char>(t[0]))) break;
    raw += ' ';
    raw += t;
  }
  GcideEntry e;
  e.word = std::string(word);
  e.definition = clean_definition(raw);
  if (!usable_definition(e.word, e.definition)) return std::nullopt;
  return e;
}

Splits make_gcide_define(const std::vector<GcideEntry>& entries, uint64_t seed) {
  Rng rng(dataset_seed(seed, "gcide_define"));
  std::vector<size_t> order(entries.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  shuffle(&order, &rng);
  const size_t n = order.size();
  // Disjoint pools of words; documents take their gold and distractors from their own pool.
  const size_t test_pool = n >= 6000 ? 2000 : n / 3, val_pool = n >= 6000 ? 1000 : n / 6;
  struct Part {
    std::vector<Doc>* out;
    size_t begin, end, docs;
  };
  Splits s;
  const Part parts[] = {{&s.test, 0, test_pool, 500},
                        {&s.validation, test_pool, test_pool + val_pool, 200},
                        {&s.train, test_pool + val_pool, n, 1000}};
  for (const Part& p : parts) {
    const size_t pool = p.end - p.begin;
    if (pool < 4) continue;
    for (size_t k = 0; k < std::min(p.docs, pool); ++k) {
      const GcideEntry& gold = entries[order[p.begin + k]];
      std::vector<std::string> choices;
      std::set<std::string> used = {gold.definition};
      for (int attempt = 0; choices.size() < 3 && attempt < 100; ++attempt) {
        const GcideEntry& other = entries[order[p.begin + rng.below(pool)]];
        if (used.insert(other.definition).second) choices.push_back(other.definition);
      }
      if (choices.size() < 3) continue;
      const int g = static_cast<int>(rng.below(4));
      choices.insert(choices.begin() + g, gold.definition);
      Doc d;
      d["word"] = gold.word;
      d["choices"] = choices;
      d["gold"] = g;
      p.out->push_back(std::move(d));
    }
  }
  return s;
}

Status read_sample_corpus(const std::string& dir, std::vector<KjvChapter>* kjv,
                          std::vector<GcideEntry>* gcide) {
  if (!file_exists(dir + "/manifest.json"))
    return not_found("{} is not a sample corpus (no manifest.json)", dir)
        .with_hint("build it with: lmforge corpus sample --out " + dir);
  LM_ASSIGN_OR_RETURN(auto reader, io::DocumentReader::open({dir + "/sample-*.jsonl.zst"}));
  std::set<std::string> words;
  io::Document doc;
  while (true) {
    LM_ASSIGN_OR_RETURN(bool more, reader->next(&doc));
    if (!more) break;
    if (doc.source == "bible-kjv") {
      KjvChapter ch;
      ch.id = doc.id;
      for (std::string_view line : split_lines(doc.text))
        if (!trim(line).empty()) ch.verses.emplace_back(line);
      kjv->push_back(std::move(ch));
    } else if (doc.source == "dict-gcide") {
      auto e = parse_gcide_entry(doc.text);
      if (e && words.insert(lower(e->word)).second) gcide->push_back(std::move(*e));
    }
  }
  if (kjv->empty() || gcide->empty())
    return not_found("sample corpus {} has no {} documents", dir,
                     kjv->empty() ? "bible-kjv" : "usable dict-gcide")
        .with_hint("rebuild it with: lmforge corpus sample --force --out " + dir);
  return ok_status();
}

}  // namespace lm::eval::builtin
