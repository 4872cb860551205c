// strategy.h: prompting strategies compared in one run (`--strategies direct,cot,zs-cot,sc`):
//   direct  the task as written (its num_fewshot, filters, metrics);
//   cot     the sibling task <task>_cot when the tasks folder has one (exemplars with rationales,
//           an answer regex), else zero-shot CoT (= zs-cot);
//   zs-cot  Kojima et al.'s two stages: "Let's think step by step." after the answer cue, <= 128
//           tokens, then stage 1 + output + "\nTherefore, the answer (arabic numerals) is", <= 32
//           tokens; the answer is the first number (commas dropped, a trailing "." stripped);
//   sc      self-consistency (Wang et al.): the cot prompt sampled N times (temperature, top-k),
//           answers by regex, majority vote (first seen wins ties, "[invalid]" votes).
// Not here: running them (evaluator.h).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "eval/task_config.h"

namespace lm::eval {

struct StrategyOptions {
  int sc_samples = 8;           // Wang et al. use 40; 8 keeps a CPU run short
  double sc_temperature = 0.7;  // Wang et al. (PaLM, GPT-3); the harness's gsm8k-sc uses 0.2
  int sc_top_k = 40;            // Wang et al.
  std::string zs_trigger = "Let's think step by step.";
  std::string answer_trigger = "\nTherefore, the answer (arabic numerals) is";
  int stage1_tokens = 128;
  int stage2_tokens = 32;
};

// How one strategy evaluates one task.
struct StrategyPlan {
  std::string strategy;    // direct | cot | zs-cot | sc
  std::string name;        // results key: the task name, or <task>@<strategy>
  TaskConfig config;       // what builds the prompts (the sibling _cot task for cot / sc)
  bool two_stage = false;  // zero-shot CoT (stage 1 rationale, stage 2 answer)
  int samples = 1;         // two-stage sc: sampled stage-1 paths per document
  GenerationKwargs stage1, stage2;
  std::string trigger, answer_trigger;
};

Result<std::vector<std::string>> parse_strategies(const std::string& list);

// `find_task(name)` returns the config of a task in the tasks folder, or nullopt.
using TaskFinder = std::function<Result<std::optional<TaskConfig>>(const std::string& name)>;
Result<StrategyPlan> plan_strategy(const TaskConfig& task, const std::string& strategy,
                                   const StrategyOptions& options, const TaskFinder& find_task);

// Kojima's answer cleansing for arithmetic: drop commas, the first match of -?\d+\.?\d*, strip a
// trailing "."; "[invalid]" when there is none.
std::string first_number(const std::string& text);

}  // namespace lm::eval
