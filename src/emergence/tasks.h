// tasks.h: the tasks an emergence study evaluates and their harness YAML. Each is a built-in task
// (its documents from `lmforge eval make-data`'s generators and splits: the test split is the
// held-out set, never trained on) with every metric the harness has for its output type, so one
// run gives the discrete and the continuous view of the same answers:
//   arithmetic_add_N  generate_until: exact_match, token_edit_distance, target_logprob,
//                     token_accuracy (teacher-forced answer); sibling _cot (worked steps as
//                     2-shot exemplars) for cot / sc
//   induction_copy    generate_until: the same four metrics; induction_copy_shifted the same
//                     documents prompted from their middle (below)
//   kjv_cloze         loglikelihood: acc, target_logprob, token_accuracy
//   gcide_define      multiple_choice: acc, brier_score
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace lm::emergence {

struct MixtureConfig;

struct TaskInfo {
  std::string name;       // e.g. arithmetic_add_3
  std::string dataset;    // its make-data folder
  int digits = 0;         // arithmetic only
  bool corpus = false;    // needs the sample corpus
  bool generate = false;  // generate_until (strategies cot/sc apply when has_cot)
  bool has_cot = false;
  std::string discrete;  // exact_match or acc
};

std::optional<TaskInfo> task_info(const std::string& name);
// Whether the mixture generates the task's data (and so its held-out set); an error naming the
// mixture key to set otherwise.
Status task_in_mixture(const TaskInfo& t, const MixtureConfig& m);
// How addition is written, in the training mixture and in the prompts alike
// (mixture.arithmetic_format):
//   question  "Question: What is 123 plus 456?\nAnswer: 579" (the built-in task's prompt)
//   compact   "123+456=579"
//   reversed  "123+456=975": the sum's digits least significant first (Lee et al. 2023's
//             "reverse" format: each digit then depends on the digits and carry already written)
// A training instance is prompt + delimiter + target; the YAML's doc_to_text, target_delimiter and
// doc_to_target are the same strings with {{a}} / {{b}} / {{field}} in place of the numbers.
bool is_arithmetic_format(const std::string& format);
std::string arithmetic_prompt(const std::string& format, const std::string& a,
                              const std::string& b);
std::string arithmetic_delimiter(const std::string& format);
// The direct answer as written after the delimiter ("975" for 579 in the reversed format).
std::string arithmetic_target(const std::string& format, const std::string& sum);
// The task-data field holding that answer ("answer", or "answer_reversed": see mixture.cc).
std::string arithmetic_target_field(const std::string& format);
// The worked-steps target in `format`: the column-wise rationale ending "The answer is S." with S
// written as the direct answer is (reversed: "... The answer is 975." for 579), so the cot
// strategy's final answer, its teacher-forced metrics and the direct answer agree in every format.
std::string arithmetic_rationale(const std::string& format, const std::string& a,
                                 const std::string& b);
// The task-data field of the cot target ("cot_target", or "cot_target_reversed": the rationale in
// train, the reversed answer in validation / test; see mixture.cc).
std::string arithmetic_cot_field(const std::string& format);

// The induction tasks' prompt fields in the study's task data (OUT/tasks/induction_copy, added by
// the mixture): "sequence", "prefix", "continuation" (letters " " apart, as `lmforge eval
// make-data` writes them) and "shifted_prefix" (letters 5-8) / "shifted_continuation" (9-16),
// each also as "<field>_contiguous" without the spaces, the form of induction_separator "".
// induction_copy_shifted prompts with letters 5-8 after the sequence: a copy keyed on the content
// (an induction head) continues with 9-16, one keyed on the offset from the line start repeats
// 5-8 (Olsson et al.'s prefix-matching criterion).
std::string induction_field(const std::string& field, const std::string& separator);
std::string induction_target_field(const TaskInfo& t, const std::string& separator);

// Writes DIR/<task>.yaml (and <task>_cot.yaml) for every task; arithmetic in `format`, the
// induction copy's letters `induction_separator` apart (mixture.induction_separator).
Status write_task_yamls(const std::string& dir, const std::vector<std::string>& tasks,
                        const std::string& format = "question",
                        const std::string& induction_separator = " ");

}  // namespace lm::emergence
