// prompt.h: a task's documents turned into the harness's prompts and requests
// (lm_eval/api/task.py): context = description + for each shot (doc_to_text + target_delimiter +
// target + fewshot_delimiter) + doc_to_text; then per output_type the requests: loglikelihood
// (ctx, delim + target), multiple_choice (ctx, delim + choice) per choice (+ ("", choice) for
// acc_mutual_info), generate_until (ctx, generation_kwargs), loglikelihood_rolling (the target's
// text). A field the document lacks, an empty choice list or an out-of-range index is an error.
#pragma once

#include <string>
#include <vector>

#include "eval/task_config.h"
#include "eval/template.h"

namespace lm::eval {

// The task's doc_to_* compiled once.
class DocRenderer {
 public:
  static Result<DocRenderer> create(const TaskConfig& config);
  Result<std::string> description(const Json& doc) const;
  Result<std::string> text(const Json& doc) const;
  // doc_to_target as the harness returns it: a string, an integer (a choice index) or a list.
  Result<Json> target(const Json& doc) const;
  Result<std::vector<std::string>> choices(const Json& doc) const;  // non-empty
  // Multiple choice: the gold index (a string target = the index of that choice); range-checked.
  Result<std::vector<int>> gold(const Json& doc) const;
  // The target as a shot shows it and generate_until compares it: a choice's text for an index,
  // the first of a list, else the string.
  Result<std::string> target_text(const Json& doc) const;
  // Every reference string for generate_until (a list target gives several).
  Result<std::vector<std::string>> references(const Json& doc) const;
  bool has_choices() const { return choice_kind_ != DocField::kNone; }

  DocRenderer(DocRenderer&&) noexcept = default;
  DocRenderer& operator=(DocRenderer&&) noexcept = default;

 private:
  DocRenderer() = default;
  Result<Json> field(const DocField& f, const std::vector<Template>& t, const Json& doc) const;
  std::vector<Template> text_, target_, choice_, description_;
  DocField text_f_, target_f_, choice_f_;
  DocField::Kind choice_kind_ = DocField::kNone;
  std::string target_delimiter_, fewshot_delimiter_;
  std::string description_src_;
};

// description + shots + doc_to_text, exactly as the harness's fewshot_context joins them.
Result<std::string> build_context(const TaskConfig& config, const DocRenderer& r, const Json& doc,
                                  const std::vector<const Json*>& shots);

}  // namespace lm::eval
