// filters.h: lm-evaluation-harness's response filters (lm_eval/filters/): a named pipeline of
// steps applied to one document's responses (one string per repeat): regex (findall, then
// group_select, first non-empty group of a tuple, strip; fallback "[invalid]"), take_first,
// take_first_k, majority_vote (Counter.most_common(1): the first-seen answer wins ties and
// "[invalid]" votes too), lowercase, uppercase, strip. Regexes are PCRE2 (Python re syntax
// for what the harness's tasks use).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace lm::eval {

struct FilterStep {
  std::string function;  // regex | take_first | take_first_k | majority_vote | lowercase | ...
  std::string regex_pattern = "#### (\\-?[0-9\\.\\,]+)";  // the harness's default
  int group_select = 0;                                   // -1 = the last match
  std::string fallback = "[invalid]";
  bool ignore_case = false;
  int k = 1;  // take_first_k
};

class FilterPipeline {
 public:
  // An unknown function or an invalid regex is an error naming the step (and `where`, e.g.
  // "tasks/gsm8k.yaml: filter_list[1]").
  static Result<FilterPipeline> create(const std::string& name,
                                       const std::vector<FilterStep>& steps,
                                       const std::string& where);
  // The name "none" with no steps is the identity (the harness's default filter).
  const std::string& name() const { return name_; }
  std::vector<std::string> apply(const std::vector<std::string>& responses) const;
  FilterPipeline(FilterPipeline&&) noexcept;
  ~FilterPipeline();

 private:
  FilterPipeline() = default;
  std::string name_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lm::eval
