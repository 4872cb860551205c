// builtin_tasks_internal.h: the generators behind make_builtin_task_data, exposed for the tests:
// seeded synthetic tasks (n-digit addition with its column-wise rationale, induction copying)
// and the sample-corpus tasks (KJV verse cloze, GCIDE definitions), each as three splits of
// JSON documents. Not here: file writing (builtin_tasks.cc).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace lm::eval::builtin {

using Doc = nlohmann::ordered_json;

struct Splits {
  std::vector<Doc> train, validation, test;
};

// The per-dataset stream: the same (seed, dataset) gives the same documents.
uint64_t dataset_seed(uint64_t seed, std::string_view dataset);

// n-digit + n-digit sums (n = 1..5); documents {a, b, answer, rationale, cot_target}. The
// rationale adds column by column ("Ones: 7 + 5 + 0 = 12, write 2, carry 1. ...") and ends
// "The answer is N."; cot_target is the rationale in train (the few-shot pool) and the bare
// answer elsewhere.
Splits make_arithmetic(int digits, uint64_t seed);
std::string addition_rationale(const std::string& a, const std::string& b);

// Random letter sequences shown once, then their first letters again; documents {sequence,
// prefix, continuation, target = " " + continuation}.
inline constexpr int kInductionLength = 16;
inline constexpr int kInductionPrefix = 4;
Splits make_induction(uint64_t seed);

// A KJV chapter as the sample corpus holds it ("N text" lines).
struct KjvChapter {
  std::string id;                   // "kjv/Ge/1"
  std::vector<std::string> verses;  // the lines, with their numbers
};
// The last word of a verse line as the cloze target ("" when it is not a plain word): trailing
// punctuation dropped; *prefix_len receives the length of the line before the word's space.
std::string kjv_last_word(std::string_view verse, size_t* prefix_len);
// Chapters are split between train / validation / test (no chapter in two splits); documents
// {chapter, verse (its number), context, word, target = " " + word}.
Splits make_kjv_cloze(const std::vector<KjvChapter>& chapters, uint64_t seed);

// A GCIDE entry's headword and the first sentence of its first definition, cleaned of markup.
struct GcideEntry {
  std::string word;
  std::string definition;
};
std::optional<GcideEntry> parse_gcide_entry(std::string_view text);
// Words are split between the splits; each document {word, choices[4], gold} takes its three
// distractors from other entries of the same split.
Splits make_gcide_define(const std::vector<GcideEntry>& entries, uint64_t seed);

// Reads the sample corpus folder (lmforge corpus sample --out DIR): the KJV chapters and the
// usable GCIDE entries (the first entry of each headword), in the corpus's order.
Status read_sample_corpus(const std::string& dir, std::vector<KjvChapter>* kjv,
                          std::vector<GcideEntry>* gcide);

}  // namespace lm::eval::builtin
