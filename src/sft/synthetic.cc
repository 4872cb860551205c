// synthetic.cc: the task types of `lmforge sft synthetic`, their phrasings and the splits.
#include "sft/synthetic.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/file_util.h"
#include "core/hash.h"
#include "core/rng.h"
#include "eval/builtin_tasks_internal.h"

namespace lm::sft {
namespace fs = std::filesystem;

namespace {

using Slots = std::map<std::string, std::string>;

struct Instance {
  Slots slots;
  std::string answer;
  std::string key;  // what decides the split (same key = same split)
};

struct TaskType {
  std::string name;
  std::vector<std::string> cores;  // kCores core phrasings, composed with the framings
  int max_gen_toks = 16;
  // A random instance (nullopt-like: empty key = could not make one).
  std::function<Instance(Rng&)> make;
  // The training reply starts with a space: the answer's first word is then the same token as
  // in the prompt (" light" after a space) or in the pretraining text (a verse's next word).
  bool space_reply = false;
};

// Phrasings are composed: each of a type's kCores core phrasings inside each of kFramings
// framings (phrasing = core * kFramings + framing). kHeldOut of these combinations are held out
// for evaluation; each held-out core and framing is seen in training with other partners.
constexpr int kCores = 5;
constexpr const char* kFramings[] = {"{q}", "Question: {q}", "{q} Reply briefly.",
                                     "Here is a task. {q}"};
constexpr int kNumFramings = 4;
constexpr int kPhrasings = kCores * kNumFramings;
constexpr int kHeldOut[] = {3 * kNumFramings + 0, 4 * kNumFramings + 1, 1 * kNumFramings + 3};

bool held_out(int ph) {
  return std::find(std::begin(kHeldOut), std::end(kHeldOut), ph) != std::end(kHeldOut);
}

std::string phrasing(const TaskType& t, int ph) {
  std::string f = kFramings[ph % kNumFramings];
  return f.replace(f.find("{q}"), 3, t.cores[ph / kNumFramings]);
}

// A random phrasing index of the training (held_out = false) or the held-out set.
int pick_phrasing(Rng& r, bool test) {
  std::vector<int> ids;
  for (int ph = 0; ph < kPhrasings; ph++)
    if (held_out(ph) == test) ids.push_back(ph);
  return ids[r.below(ids.size())];
}

std::string fill(const std::string& t, const Slots& s) {
  std::string out;
  for (size_t i = 0; i < t.size(); i++) {
    if (t[i] == '{') {
      size_t e = t.find('}', i);
      auto it = s.find(t.substr(i + 1, e - i - 1));
      if (e != std::string::npos && it != s.end()) {
        out += it->second;
        i = e;
        continue;
      }
    }
    out += t[i];
  }
  return out;
}

bool is_test_key(const std::string& key, uint64_t seed) { return hash64(key, seed) % 5 == 0; }

std::string num(int64_t n) { return std::to_string(n); }

std::vector<TaskType> number_types() {
  std::vector<TaskType> t;
  t.push_back({"add",
               {"What is {a} plus {b}?", "Add {a} and {b}.", "Compute {a} + {b}.",
                "Calculate the sum of {a} and {b}.", "{a} + {b} = ?"},
               8,
               [](Rng& r) {
                 int64_t a = r.below(21), b = r.below(21);
                 return Instance{{{"a", num(a)}, {"b", num(b)}}, num(a + b), num(a) + "+" + num(b)};
               }});
  t.push_back({"subtract",
               {"What is {a} minus {b}?", "Subtract {b} from {a}.", "Compute {a} - {b}.",
                "Take {b} away from {a}. What is left?", "{a} - {b} = ?"},
               8,
               [](Rng& r) {
                 int64_t a = r.below(21), b = r.below(a + 1);
                 return Instance{{{"a", num(a)}, {"b", num(b)}}, num(a - b), num(a) + "-" + num(b)};
               }});
  t.push_back({"larger",
               {"Which is larger, {a} or {b}?", "Which number is bigger: {a} or {b}?",
                "Name the greater of {a} and {b}.", "Of {a} and {b}, which is more?",
                "Pick the larger number: {a}, {b}."},
               8,
               [](Rng& r) {
                 int64_t a = r.below(100), b = r.below(99);
                 if (b >= a) b++;
                 return Instance{
                     {{"a", num(a)}, {"b", num(b)}}, num(std::max(a, b)), num(a) + "," + num(b)};
               }});
  t.push_back({"next_number",
               {"What number comes after {n}?", "What is the next number after {n}?",
                "Count one up from {n}.", "Which number follows {n}?", "Add one to {n}."},
               8,
               [](Rng& r) {
                 int64_t n = r.below(1000);
                 return Instance{{{"n", num(n)}}, num(n + 1), num(n)};
               }});
  t.push_back({"previous_number",
               {"What number comes before {n}?", "What is the number just below {n}?",
                "Count one down from {n}.", "Which number precedes {n}?", "Subtract one from {n}."},
               8,
               [](Rng& r) {
                 int64_t n = 1 + r.below(999);
                 return Instance{{{"n", num(n)}}, num(n - 1), num(n)};
               }});
  t.push_back({"parity",
               {"Is {n} an even number? Answer yes or no.", "Is {n} even? (yes/no)",
                "Yes or no: is {n} divisible by two?", "Tell me yes or no: is {n} even?",
                "Answer yes or no. Is the number {n} even?"},
               4,
               [](Rng& r) {
                 int64_t n = r.below(1000);
                 return Instance{{{"n", num(n)}}, n % 2 == 0 ? "yes" : "no", num(n)};
               }});
  return t;
}

// Words of a KJV verse line without its number and punctuation.
std::vector<std::string> verse_words(const std::string& line) {
  std::vector<std::string> w;
  std::string cur;
  size_t i = 0;
  while (i < line.size() && (std::isdigit((unsigned char)line[i]) || line[i] == ' ')) i++;
  for (; i <= line.size(); i++) {
    char c = i < line.size() ? line[i] : ' ';
    if (std::isalpha((unsigned char)c) || c == '\'') {
      cur += c;
    } else if (!cur.empty()) {
      w.push_back(cur);
      cur.clear();
    }
  }
  return w;
}

std::string join(const std::vector<std::string>& w, size_t b, size_t e) {
  std::string s;
  for (size_t i = b; i < e; i++) s += (i > b ? " " : "") + w[i];
  return s;
}

bool plain_word(const std::string& w, size_t lo, size_t hi) {
  if (w.size() < lo || w.size() > hi) return false;
  return std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

std::vector<TaskType> corpus_types(const std::vector<eval::builtin::KjvChapter>& kjv,
                                   const std::vector<eval::builtin::GcideEntry>& gcide) {
  // Shared pools, held by the lambdas.
  struct Pools {
    std::vector<std::pair<std::string, std::vector<std::string>>> verses;  // chapter, words
    std::vector<std::string> words, short_words;
    std::vector<std::pair<std::string, std::string>> defs;
  };
  auto p = std::make_shared<Pools>();
  for (const auto& ch : kjv)
    for (const auto& v : ch.verses) {
      auto w = verse_words(v);
      if (w.size() >= 6 && w.size() <= 16) p->verses.push_back({ch.id, w});
    }
  for (const auto& e : gcide) {
    if (plain_word(e.word, 3, 9)) p->words.push_back(e.word);
    if (plain_word(e.word, 3, 5)) p->short_words.push_back(e.word);
    size_t words = std::count(e.definition.begin(), e.definition.end(), ' ') + 1;
    if (plain_word(e.word, 3, 12) && words <= 8 && !e.definition.empty())
      p->defs.push_back({e.word, e.definition});
  }
  std::vector<TaskType> t;
  if (p->verses.empty() || p->words.empty() || p->defs.empty()) return t;
  auto phrase = [p](Rng& r, std::string* chapter) {
    const auto& [ch, w] = p->verses[r.below(p->verses.size())];
    size_t n = 4 + r.below(std::min<size_t>(5, w.size() - 3));
    size_t b = r.below(w.size() - n + 1);
    *chapter = ch;
    return std::vector<std::string>(w.begin() + b, w.begin() + b + n);
  };
  t.push_back({"first_word",
               {"What is the first word of this phrase: {s}", "Give the first word of: {s}",
                "Which word does this phrase start with? {s}", "Name the opening word of: {s}",
                "Phrase: {s}\nWhat is its first word?"},
               6,
               [phrase](Rng& r) {
                 std::string ch;
                 auto w = phrase(r, &ch);
                 return Instance{{{"s", join(w, 0, w.size())}}, w.front(), ch};
               }});
  t.push_back({"last_word",
               {"What is the last word of this phrase: {s}", "Give the last word of: {s}",
                "Which word does this phrase end with? {s}", "Name the final word of: {s}",
                "Phrase: {s}\nWhat is its last word?"},
               6,
               [phrase](Rng& r) {
                 std::string ch;
                 auto w = phrase(r, &ch);
                 return Instance{{{"s", join(w, 0, w.size())}}, w.back(), ch};
               }});
  t.push_back({"repeat_word",
               {"Repeat the word \"{w}\".", "Say \"{w}\" again.", "Echo this word: \"{w}\"",
                "Write the word \"{w}\" once more.", "Copy this word: \"{w}\""},
               6,
               [p](Rng& r) {
                 const std::string& w = p->words[r.below(p->words.size())];
                 return Instance{{{"w", w}}, w, w};
               }});
  t.push_back({"reverse_word",
               {"Spell \"{w}\" backwards.", "Reverse the letters of \"{w}\".",
                "Write \"{w}\" in reverse order.", "What is \"{w}\" written backwards?",
                "Turn \"{w}\" around, letter by letter."},
               6,
               [p](Rng& r) {
                 const std::string& w = p->short_words[r.below(p->short_words.size())];
                 return Instance{{{"w", w}}, std::string(w.rbegin(), w.rend()), w};
               }});
  t.push_back(
      {"define",
       {"Define the word \"{w}\".", "What does \"{w}\" mean?", "Give the definition of \"{w}\".",
        "What is the meaning of the word \"{w}\"?", "Explain the word \"{w}\"."},
       24,
       [p](Rng& r) {
         const auto& [w, d] = p->defs[r.below(p->defs.size())];
         return Instance{{{"w", w}}, d, w};
       }});
  t.push_back({"complete_verse",
               {"Complete this verse: {s}", "Continue the verse: {s}", "Finish the KJV verse: {s}",
                "How does this verse go on? {s}", "Go on with this verse: {s}"},
               24,
               [p](Rng& r) {
                 const auto& [ch, w] = p->verses[r.below(p->verses.size())];
                 size_t half = w.size() / 2;
                 return Instance{{{"s", join(w, 0, half)}}, join(w, half, w.size()), ch};
               }});
  for (auto& x : t)  // the answers that are words of the prompt's phrase or of the verse
    x.space_reply = x.name == "first_word" || x.name == "last_word" || x.name == "complete_verse";
  return t;
}

std::string task_yaml(const TaskType& t) {
  return fmt::format(
      "# sft_{0}: held-out phrasings x held-out instances of the '{0}' instructions\n"
      "# (lmforge sft synthetic); the prompt is rendered through the chat template.\n"
      "task: sft_{0}\n"
      "dataset_path: {0}\n"
      "training_split: train\n"
      "test_split: test\n"
      "fewshot_split: train\n"
      "output_type: generate_until\n"
      "chat_template: true\n"
      "doc_to_text: \"{{{{prompt}}}}\"\n"
      "doc_to_target: \"{{{{answer}}}}\"\n"
      "generation_kwargs:\n"
      "  until: [\"<|end|>\", \"<|endoftext|>\", \"\\n\"]\n"
      "  max_gen_toks: {1}\n"
      "  do_sample: false\n"
      "metric_list:\n"
      "  - metric: exact_match\n"
      "    aggregation: mean\n"
      "    higher_is_better: true\n"
      "    ignore_case: true\n"
      "    regexes_to_ignore: [\"^\\\\s+\", \"\\\\s+$\"]\n"
      "metadata:\n"
      "  version: 1.0\n",
      t.name, t.max_gen_toks);
}

}  // namespace

std::vector<std::string> synthetic_types(bool with_sample) {
  std::vector<std::string> out;
  for (const auto& t : number_types()) out.push_back(t.name);
  if (with_sample)
    for (const char* n :
         {"first_word", "last_word", "repeat_word", "reverse_word", "define", "complete_verse"})
      out.push_back(n);
  return out;
}

Status make_synthetic(const SyntheticOptions& o, std::vector<SyntheticCount>* counts) {
  if (o.out.empty()) return invalid_argument("no output file").with_hint("pass --out FILE.jsonl");
  if (o.train_per_type < 1 || o.eval_per_type < 1)
    return invalid_argument("--train-per-type and --eval-per-type must be at least 1");
  std::string eval_dir = o.eval_dir;
  if (eval_dir.empty()) {
    eval_dir = o.out;
    if (eval_dir.size() > 6 && eval_dir.compare(eval_dir.size() - 6, 6, ".jsonl") == 0)
      eval_dir.resize(eval_dir.size() - 6);
    eval_dir += "_eval";
  }
  std::vector<TaskType> types = number_types();
  if (!o.sample_dir.empty()) {
    std::vector<eval::builtin::KjvChapter> kjv;
    std::vector<eval::builtin::GcideEntry> gcide;
    LM_RETURN_IF_ERROR(eval::builtin::read_sample_corpus(o.sample_dir, &kjv, &gcide));
    for (auto& t : corpus_types(kjv, gcide)) types.push_back(std::move(t));
  }
  for (const auto& name : o.types)
    if (std::none_of(types.begin(), types.end(), [&](const TaskType& t) { return t.name == name; }))
      return invalid_argument("--types: unknown or unavailable task type '{}'", name)
          .with_hint("the word, verse and definition types need --sample");
  std::string train_text;
  std::vector<std::pair<std::string, std::string>> files;  // path, text
  for (size_t ti = 0; ti < types.size(); ti++) {
    const TaskType& t = types[ti];
    if (!o.types.empty() && std::find(o.types.begin(), o.types.end(), t.name) == o.types.end())
      continue;  // (the index ti stays that of the full list: the same data per type)
    Rng rng(o.seed * 1000003ULL + ti);
    SyntheticCount c{t.name};
    std::string test_text, shot_text;
    std::set<std::string> seen_test;
    int fewshot_want = 20;
    // Draw until each split has its quota (bounded: a type with few instances stops early).
    for (int tries = 0; tries < 200 * (o.train_per_type + o.eval_per_type) &&
                        (c.train < o.train_per_type || c.test < o.eval_per_type);
         tries++) {
      Instance in = t.make(rng);
      if (in.key.empty()) continue;
      bool test = is_test_key(in.key, o.seed + 17 * ti);
      if (test) {
        if (c.test >= o.eval_per_type ||
            !seen_test.insert(fill("{a}{b}{n}{w}{s}", in.slots)).second)
          continue;
        int ph = pick_phrasing(rng, true);
        nlohmann::ordered_json d = {{"prompt", fill(phrasing(t, ph), in.slots)},
                                    {"answer", in.answer},
                                    {"task", t.name},
                                    {"phrasing", ph}};
        test_text += d.dump() + "\n";
        c.test++;
        continue;
      }
      int ph = pick_phrasing(rng, false);
      std::string prompt = fill(phrasing(t, ph), in.slots);
      if (c.fewshot < fewshot_want) {
        nlohmann::ordered_json d = {
            {"prompt", prompt}, {"answer", in.answer}, {"task", t.name}, {"phrasing", ph}};
        shot_text += d.dump() + "\n";
        c.fewshot++;
      }
      if (c.train >= o.train_per_type) continue;
      nlohmann::ordered_json conv = {
          {"messages",
           {{{"role", "user"}, {"content", prompt}},
            {{"role", "assistant"}, {"content", (t.space_reply ? " " : "") + in.answer}}}},
          {"task", t.name},
          {"phrasing", ph}};
      train_text += conv.dump() + "\n";
      c.train++;
    }
    files.push_back({eval_dir + "/" + t.name + "/test.jsonl", test_text});
    files.push_back({eval_dir + "/" + t.name + "/train.jsonl", shot_text});
    files.push_back({eval_dir + "/sft_" + t.name + ".yaml", task_yaml(t)});
    counts->push_back(c);
  }
  // Interleave the types: shuffle the training lines (seeded) so a prefix is a mix of all types.
  std::vector<std::string> lines;
  for (size_t pos = 0; pos < train_text.size();) {
    size_t e = train_text.find('\n', pos);
    lines.push_back(train_text.substr(pos, e + 1 - pos));
    pos = e + 1;
  }
  Rng shuf(o.seed ^ 0xabcdefULL);
  for (size_t i = lines.size(); i > 1; i--) std::swap(lines[i - 1], lines[shuf.below(i)]);
  std::string shuffled;
  for (const auto& l : lines) shuffled += l;
  if (fs::path(o.out).has_parent_path())
    LM_RETURN_IF_ERROR(make_dirs(fs::path(o.out).parent_path()));
  for (const auto& [path, text] : files) {
    LM_RETURN_IF_ERROR(make_dirs(fs::path(path).parent_path().string()));
    LM_RETURN_IF_ERROR(write_file_atomic(path, text));
  }
  return write_file_atomic(o.out, shuffled);
}

}  // namespace lm::sft
