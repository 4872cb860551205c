// builtin_tasks.cc: the list of built-in tasks (tasks/*/*.yaml), the synthetic generators
// (n-digit addition with column-wise rationales, induction copying) and make_builtin_task_data,
// which writes OUT/<dataset>/{train,validation,test}.jsonl atomically, same seed -> same bytes.
// The sample-corpus generators (KJV cloze, GCIDE definitions) are in builtin_corpus_tasks.cc.
#include "eval/builtin_tasks.h"

#include <cstdlib>
#include <set>
#include <utility>

#include "core/file_util.h"
#include "core/hash.h"
#include "core/rng.h"
#include "eval/builtin_tasks_internal.h"

#ifndef LMFORGE_TASKS_SOURCE_DIR
#define LMFORGE_TASKS_SOURCE_DIR "tasks"
#endif

namespace lm::eval {

namespace builtin {

uint64_t dataset_seed(uint64_t seed, std::string_view dataset) { return hash64(dataset, seed); }

namespace {

template <typename T>
void shuffle(std::vector<T>* v, Rng* rng) {
  for (size_t i = v->size(); i > 1; --i) std::swap((*v)[i - 1], (*v)[rng->below(i)]);
}

constexpr const char* kColumns[] = {"Ones", "Tens", "Hundreds", "Thousands", "Ten-thousands"};

}  // namespace

// "Ones: 7 + 5 + 0 = 12, write 2, carry 1. Tens: 4 + 8 + 1 = 13, write 3, carry 1. The carry 1
// is the leading digit. The answer is 132." Operands have the same number of digits.
std::string addition_rationale(const std::string& a, const std::string& b) {
  std::string out;
  int carry = 0;
  const size_t n = a.size();
  std::string digits;
  for (size_t i = 0; i < n; ++i) {
    const int da = a[n - 1 - i] - '0', db = b[n - 1 - i] - '0';
    const int s = da + db + carry;
    out += fmt::format("{}: {} + {} + {} = {}, write {}, carry {}. ", kColumns[i], da, db, carry, s,
                       s % 10, s / 10);
    digits.insert(digits.begin(), static_cast<char>('0' + s % 10));
    carry = s / 10;
  }
  if (carry) {
    out += "The carry 1 is the leading digit. ";
    digits.insert(digits.begin(), '1');
  }
  // n = 1 can write a leading zero only for 0 + 0 (the answer 0).
  while (digits.size() > 1 && digits[0] == '0') digits.erase(digits.begin());
  out += fmt::format("The answer is {}.", digits);
  return out;
}

Splits make_arithmetic(int digits, uint64_t seed) {
  Rng rng(dataset_seed(seed, fmt::format("arithmetic_add_{}", digits)));
  int lo = 0, hi = 9;
  for (int i = 1; i < digits; ++i) {
    lo = i == 1 ? 10 : lo * 10;
    hi = hi * 10 + 9;
  }
  const uint64_t span = static_cast<uint64_t>(hi - lo + 1);
  const size_t total = span * span;
  // test / validation / train sizes: every pair for 1 digit (100), else 500 / 200 / 1000.
  const size_t n_test = total < 1700 ? total / 2 : 500;
  const size_t n_val = total < 1700 ? total / 10 : 200;
  const size_t n_train = total < 1700 ? total - n_test - n_val : 1000;
  std::vector<std::pair<int, int>> pairs;
  if (total < 1700) {
    for (int a = lo; a <= hi; ++a)
      for (int b = lo; b <= hi; ++b) pairs.emplace_back(a, b);
    shuffle(&pairs, &rng);
  } else {
    std::set<std::pair<int, int>> seen;
    while (pairs.size() < n_test + n_val + n_train) {
      const int a = lo + static_cast<int>(rng.below(span));
      const int b = lo + static_cast<int>(rng.below(span));
      if (seen.insert({a, b}).second) pairs.emplace_back(a, b);
    }
  }
  Splits s;
  for (size_t i = 0; i < n_test + n_val + n_train; ++i) {
    const std::string a = std::to_string(pairs[i].first), b = std::to_string(pairs[i].second);
    const bool train = i >= n_test + n_val;
    Doc d;
    d["a"] = a;
    d["b"] = b;
    d["answer"] = std::to_string(pairs[i].first + pairs[i].second);
    d["rationale"] = addition_rationale(a, b);
    d["cot_target"] = train ? d["rationale"] : d["answer"];
    (i < n_test ? s.test : train ? s.train : s.validation).push_back(std::move(d));
  }
  return s;
}

Splits make_induction(uint64_t seed) {
  Rng rng(dataset_seed(seed, "induction_copy"));
  const size_t n_test = 500, n_val = 200, n_train = 1000;
  std::set<std::string> seen;
  Splits s;
  size_t made = 0;
  while (made < n_test + n_val + n_train) {
    std::vector<std::string> letters;
    for (int i = 0; i < kInductionLength; ++i)
      letters.emplace_back(1, static_cast<char>('a' + rng.below(26)));
    std::string seq, prefix, rest;
    for (int i = 0; i < kInductionLength; ++i) {
      seq += (i ? " " : "") + letters[i];
      if (i < kInductionPrefix)
        prefix += (i ? " " : "") + letters[i];
      else
        rest += (i > kInductionPrefix ? " " : "") + letters[i];
    }
    if (!seen.insert(seq).second) continue;
    Doc d;
    d["sequence"] = seq;
    d["prefix"] = prefix;
    d["continuation"] = rest;
    d["target"] = " " + rest;
    (made < n_test ? s.test : made < n_test + n_val ? s.validation : s.train).push_back(d);
    ++made;
  }
  return s;
}

}  // namespace builtin

std::string default_tasks_dir() {
  const char* env = std::getenv("LMFORGE_TASKS_DIR");
  if (env && *env) return env;
  return LMFORGE_TASKS_SOURCE_DIR;
}

std::vector<BuiltinTask> builtin_tasks(const std::string& tasks_dir) {
  std::vector<BuiltinTask> t;
  auto add = [&](std::string name, std::string file, std::string summary, bool sample,
                 std::string dataset, std::string group) {
    t.push_back({std::move(name), tasks_dir + "/" + file, std::move(summary), sample,
                 std::move(dataset), std::move(group)});
  };
  add("kjv_cloze", "kjv_cloze/kjv_cloze.yaml",
      "KJV verse's last word given the preceding verses (LAMBADA-style): acc (greedy), perplexity",
      true, "kjv_cloze", "kjv");
  add("kjv_cloze_gen", "kjv_cloze/kjv_cloze_gen.yaml",
      "KJV verse's last word, generated: exact_match on the first word", true, "kjv_cloze", "kjv");
  add("gcide_define", "gcide_define/gcide_define.yaml",
      "GCIDE headword's definition out of 4: acc, acc_norm, brier_score", true, "gcide_define", "");
  for (const char* v : {"", "_cot", "_cot_sc"}) {
    for (int n = 1; n <= 5; ++n) {
      const std::string name = fmt::format("arithmetic_add_{}{}", n, v);
      const std::string how = v == std::string("") ? "answer only"
                              : v == std::string("_cot")
                                  ? "chain of thought (column-wise carries), greedy"
                                  : "chain of thought, 8 samples at T=0.7, majority vote";
      add(name, fmt::format("arithmetic_add/{}.yaml", name),
          fmt::format("{}-digit + {}-digit addition, {}: exact_match, token_edit_distance", n, n,
                      how),
          false, fmt::format("arithmetic_add_{}", n), fmt::format("arithmetic_add{}", v));
    }
  }
  add("induction_copy", "induction_copy/induction_copy.yaml",
      "continue a random letter sequence seen earlier in the context: exact_match, "
      "token_edit_distance",
      false, "induction_copy", "induction");
  add("induction_copy_ll", "induction_copy/induction_copy_ll.yaml",
      "the same, scored by log-likelihood: acc (greedy), perplexity, target_logprob, "
      "token_accuracy",
      false, "induction_copy", "induction");
  return t;
}

namespace {

Status write_splits(const std::string& out_dir, const std::string& dataset,
                    const builtin::Splits& s, std::vector<TaskDataSummary>* written) {
  const std::string dir = out_dir + "/" + dataset;
  LM_RETURN_IF_ERROR(make_dirs(dir));
  const std::pair<const char*, const std::vector<builtin::Doc>*> files[] = {
      {"train", &s.train}, {"validation", &s.validation}, {"test", &s.test}};
  for (const auto& [split, docs] : files) {
    std::string text;
    for (const auto& d : *docs) {
      text += d.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
      text += '\n';
    }
    LM_RETURN_IF_ERROR(write_file_atomic(dir + "/" + split + ".jsonl", text));
  }
  if (written)
    written->push_back({dataset, static_cast<int64_t>(s.train.size()),
                        static_cast<int64_t>(s.validation.size()),
                        static_cast<int64_t>(s.test.size())});
  return ok_status();
}

}  // namespace

Status make_builtin_task_data(const MakeDataOptions& options) {
  return make_builtin_task_data(options, nullptr);
}

Status make_builtin_task_data(const MakeDataOptions& o, std::vector<TaskDataSummary>* written) {
  if (o.out_dir.empty()) return invalid_argument("make_builtin_task_data: no output folder given");
  // Read the corpus first: a bad sample folder fails before anything is written.
  std::vector<builtin::KjvChapter> kjv;
  std::vector<builtin::GcideEntry> gcide;
  if (!o.sample_dir.empty())
    LM_RETURN_IF_ERROR(builtin::read_sample_corpus(o.sample_dir, &kjv, &gcide));
  LM_RETURN_IF_ERROR(make_dirs(o.out_dir));
  for (int n = 1; n <= 5; ++n)
    LM_RETURN_IF_ERROR(write_splits(o.out_dir, fmt::format("arithmetic_add_{}", n),
                                    builtin::make_arithmetic(n, o.seed), written));
  LM_RETURN_IF_ERROR(
      write_splits(o.out_dir, "induction_copy", builtin::make_induction(o.seed), written));
  if (!o.sample_dir.empty()) {
    LM_RETURN_IF_ERROR(
        write_splits(o.out_dir, "kjv_cloze", builtin::make_kjv_cloze(kjv, o.seed), written));
    LM_RETURN_IF_ERROR(write_splits(o.out_dir, "gcide_define",
                                    builtin::make_gcide_define(gcide, o.seed), written));
  }
  return ok_status();
}

}  // namespace lm::eval
