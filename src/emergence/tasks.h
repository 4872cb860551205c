// tasks.h: the tasks an emergence study evaluates and their harness YAML. Each is a built-in task
// (its documents from `lmforge eval make-data`'s generators and splits: the test split is the
// held-out set, never trained on) with every metric the harness has for its output type, so one
// run gives the discrete and the continuous view of the same answers:
//   arithmetic_add_N  generate_until: exact_match, token_edit_distance, target_logprob,
//                     token_accuracy (teacher-forced answer); sibling _cot (worked steps as
//                     2-shot exemplars) for cot / sc
//   induction_copy    generate_until: the same four metrics
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
// Writes DIR/<task>.yaml (and <task>_cot.yaml) for every task.
Status write_task_yamls(const std::string& dir, const std::vector<std::string>& tasks);

}  // namespace lm::emergence
