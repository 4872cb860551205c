// tasks.cc: the emergence task list and its YAML (see tasks.h). The prompts are the built-in
// tasks' (tasks/*/): only the metric lists differ.
#include "emergence/tasks.h"

#include <algorithm>

#include "core/file_util.h"
#include "emergence/config.h"
#include "eval/builtin_tasks_internal.h"

namespace lm::emergence {
namespace {

constexpr const char* kSplits =
    "training_split: train\nvalidation_split: validation\ntest_split: test\n"
    "fewshot_split: train\n";

constexpr const char* kGenMetrics =
    "metric_list:\n"
    "  - metric: exact_match\n    aggregation: mean\n    higher_is_better: true\n"
    "  - metric: token_edit_distance\n    aggregation: mean\n    higher_is_better: false\n"
    "  - metric: target_logprob\n    aggregation: mean\n    higher_is_better: true\n"
    "  - metric: token_accuracy\n    aggregation: mean\n    higher_is_better: true\n"
    "metadata:\n  version: 1.0\n";

// A YAML double-quoted scalar.
std::string quoted(const std::string& v) {
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '\\' || ch == '"') out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out + "\"";
}

std::string arithmetic_yaml(const TaskInfo& t, bool cot, const std::string& format) {
  std::string y =
      fmt::format("# emergence: {}-digit addition{} ({} format, as the training mixture)\n",
                  t.digits, cot ? ", chain of thought" : "", format);
  y += fmt::format("task: {}{}\ndataset_path: {}\n", t.name, cot ? "_cot" : "", t.dataset);
  y += kSplits;
  y += "output_type: generate_until\n";
  y += "doc_to_text: " + quoted(arithmetic_prompt(format, "{{a}}", "{{b}}")) + "\n";
  y +=
      "doc_to_target: " +
      quoted("{{" + (cot ? arithmetic_cot_field(format) : arithmetic_target_field(format)) + "}}") +
      "\n";
  y += "target_delimiter: " + quoted(arithmetic_delimiter(format)) +
       "\nfewshot_delimiter: \"\\n\\n\"\n";
  y += fmt::format("num_fewshot: {}\nfewshot_config:\n  sampler: default\n", cot ? 2 : 0);
  y += fmt::format(
      "generation_kwargs:\n  until:\n    - \"\\n\"\n  max_gen_toks: {}\n  do_sample: false\n",
      cot ? 48 * t.digits + 40 : 3 * t.digits + 4);
  y += "filter_list:\n  - name: get-answer\n    filter:\n      - function: regex\n";
  y += cot ? "        regex_pattern: \"The answer is (-?[0-9]+)\"\n"
           : "        regex_pattern: \"(-?[0-9]+)\"\n";
  y += "        group_select: 0\n      - function: take_first\n";
  return y + kGenMetrics;
}

// induction_copy / induction_copy_shifted, letters `separator` apart (the fields: tasks.h)
std::string induction_yaml(const TaskInfo& t, const std::string& separator) {
  const bool shifted = t.name == "induction_copy_shifted";
  std::string y =
      fmt::format("# emergence: {} (the documents of tasks/induction_copy{}{})\n", t.name,
                  shifted ? ", prompted with letters 5-8 instead of the first 4" : "",
                  separator.empty() ? ", letters contiguous" : "");
  y += fmt::format("task: {}\ndataset_path: induction_copy\n", t.name);
  y += kSplits;
  y += fmt::format("output_type: generate_until\ndoc_to_text: \"{{{{{}}}}}\\n{{{{{}}}}}\"\n",
                   induction_field("sequence", separator),
                   induction_field(shifted ? "shifted_prefix" : "prefix", separator));
  y += fmt::format("doc_to_target: \"{{{{{}}}}}\"\ntarget_delimiter: \"{}\"\n",
                   induction_target_field(t, separator), separator);
  y += "fewshot_delimiter: \"\\n\\n\"\nnum_fewshot: 0\n";
  y += "generation_kwargs:\n  until:\n    - \"\\n\"\n  max_gen_toks: 30\n  do_sample: false\n";
  y += "filter_list:\n  - name: strip\n    filter:\n      - function: regex\n"
       "        regex_pattern: \"(\\\\S.*)\"\n        group_select: 0\n        fallback: \"\"\n"
       "      - function: take_first\n";
  return y + kGenMetrics;
}

std::string kjv_yaml() {
  std::string y = "# emergence: kjv_cloze (prompts as tasks/kjv_cloze)\n";
  y += "task: kjv_cloze\ndataset_path: kjv_cloze\n";
  y += kSplits;
  y += "output_type: loglikelihood\ndoc_to_text: \"{{context}}\"\ndoc_to_target: \"{{target}}\"\n"
       "target_delimiter: \"\"\nfewshot_delimiter: \"\\n\\n\"\nnum_fewshot: 0\n";
  y += "metric_list:\n"
       "  - metric: acc\n    aggregation: mean\n    higher_is_better: true\n"
       "  - metric: target_logprob\n    aggregation: mean\n    higher_is_better: true\n"
       "  - metric: token_accuracy\n    aggregation: mean\n    higher_is_better: true\n"
       "metadata:\n  version: 1.0\n";
  return y;
}

std::string gcide_yaml() {
  std::string y = "# emergence: gcide_define (prompts as tasks/gcide_define)\n";
  y += "task: gcide_define\ndataset_path: gcide_define\n";
  y += kSplits;
  y += "output_type: multiple_choice\n"
       "doc_to_text: \"Word: {{word}}\\nDefinition:\"\n"
       "doc_to_choice: choices\ndoc_to_target: gold\n"
       "target_delimiter: \" \"\nfewshot_delimiter: \"\\n\\n\"\nnum_fewshot: 0\n";
  y += "metric_list:\n"
       "  - metric: acc\n    aggregation: mean\n    higher_is_better: true\n"
       "  - metric: brier_score\n    higher_is_better: false\n"
       "metadata:\n  version: 1.0\n";
  return y;
}

}  // namespace

bool is_arithmetic_format(const std::string& f) {
  return f == "question" || f == "compact" || f == "reversed";
}

std::string arithmetic_prompt(const std::string& format, const std::string& a,
                              const std::string& b) {
  if (format == "question") return fmt::format("Question: What is {} plus {}?\nAnswer:", a, b);
  return a + "+" + b + "=";
}

std::string arithmetic_delimiter(const std::string& format) {
  return format == "question" ? " " : "";
}

std::string arithmetic_target(const std::string& format, const std::string& sum) {
  return format == "reversed" ? std::string(sum.rbegin(), sum.rend()) : sum;
}

std::string arithmetic_target_field(const std::string& format) {
  return format == "reversed" ? "answer_reversed" : "answer";
}

std::string arithmetic_rationale(const std::string& format, const std::string& a,
                                 const std::string& b) {
  std::string r = eval::builtin::addition_rationale(a, b);
  if (format != "reversed") return r;
  const std::string sum = std::to_string(std::stoll(a) + std::stoll(b));
  const std::string tail = "The answer is " + sum + ".";
  if (!r.ends_with(tail)) return r;  // not the generator's form: leave it as written
  r.resize(r.size() - tail.size());
  return r + "The answer is " + arithmetic_target(format, sum) + ".";
}

std::string arithmetic_cot_field(const std::string& format) {
  return format == "reversed" ? "cot_target_reversed" : "cot_target";
}

std::string induction_field(const std::string& field, const std::string& separator) {
  return separator.empty() ? field + "_contiguous" : field;
}

std::string induction_target_field(const TaskInfo& t, const std::string& separator) {
  return induction_field(
      t.name == "induction_copy_shifted" ? "shifted_continuation" : "continuation", separator);
}

std::optional<TaskInfo> task_info(const std::string& name) {
  TaskInfo t;
  t.name = name;
  for (int n = 1; n <= 5; ++n)
    if (name == fmt::format("arithmetic_add_{}", n)) {
      t.dataset = name;
      t.digits = n;
      t.generate = t.has_cot = true;
      t.discrete = "exact_match";
      return t;
    }
  if (name == "induction_copy" || name == "induction_copy_shifted") {
    t.dataset = "induction_copy";
    t.generate = true;
    t.discrete = "exact_match";
    return t;
  }
  if (name == "kjv_cloze" || name == "gcide_define") {
    t.dataset = name;
    t.corpus = true;
    t.discrete = "acc";
    return t;
  }
  return std::nullopt;
}

Status task_in_mixture(const TaskInfo& t, const MixtureConfig& m) {
  if (t.digits > 0 && std::find(m.arithmetic_digits.begin(), m.arithmetic_digits.end(), t.digits) ==
                          m.arithmetic_digits.end())
    return Status(Code::kInvalidArgument,
                  fmt::format("task {} is not in the mixture's held-out set: "
                              "mixture.arithmetic_digits has no {}",
                              t.name, t.digits),
                  fmt::format("add {} to mixture.arithmetic_digits or drop the task", t.digits));
  if (t.dataset == "induction_copy" && m.induction_train <= 0)
    return Status(Code::kInvalidArgument,
                  fmt::format("task {} is not in the mixture's held-out set: "
                              "mixture.induction_train is 0",
                              t.name),
                  "set mixture.induction_train > 0 or drop the task");
  if (t.corpus && m.sample.empty())
    return Status(Code::kInvalidArgument,
                  fmt::format("task {} is not in the mixture's held-out set: it is made from the "
                              "sample corpus and mixture.sample is not set",
                              t.name),
                  "set mixture.sample to the folder of `lmforge corpus sample`, or drop the task");
  return ok_status();
}

Status write_task_yamls(const std::string& dir, const std::vector<std::string>& tasks,
                        const std::string& format, const std::string& induction_separator) {
  LM_RETURN_IF_ERROR(make_dirs(dir));
  for (const auto& name : tasks) {
    auto t = task_info(name);
    if (!t) return invalid_argument("{}: not an emergence task", name);
    if (t->digits > 0) {
      LM_RETURN_IF_ERROR(
          write_file_atomic(dir + "/" + name + ".yaml", arithmetic_yaml(*t, false, format)));
      LM_RETURN_IF_ERROR(
          write_file_atomic(dir + "/" + name + "_cot.yaml", arithmetic_yaml(*t, true, format)));
    } else if (t->dataset == "induction_copy") {
      LM_RETURN_IF_ERROR(
          write_file_atomic(dir + "/" + name + ".yaml", induction_yaml(*t, induction_separator)));
    } else if (name == "kjv_cloze") {
      LM_RETURN_IF_ERROR(write_file_atomic(dir + "/" + name + ".yaml", kjv_yaml()));
    } else {
      LM_RETURN_IF_ERROR(write_file_atomic(dir + "/" + name + ".yaml", gcide_yaml()));
    }
  }
  return ok_status();
}

}  // namespace lm::emergence
