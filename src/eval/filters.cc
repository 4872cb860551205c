// filters.cc: the harness's filter steps (lm_eval/filters/extraction.py, selection.py,
// transformation.py) over one document's responses. Where the harness would raise (an index
// past the matches, take_first of nothing, take_first_k past the end) this gives the fallback,
// nothing, or what there is, instead of failing the whole run.
#include "eval/filters.h"

#include <optional>
#include <utility>

#include "eval/py_compat.h"

namespace lm::eval {

namespace {

enum class Kind { kRegex, kTakeFirst, kTakeFirstK, kMajorityVote, kLowercase, kUppercase, kStrip };

struct Step {
  Kind kind;
  FilterStep spec;
  std::optional<PyRegex> regex;
};

// RegexFilter.apply for one response: findall()[group_select]; a tuple gives its first
// non-empty group (else the fallback); then strip(). No match: the fallback.
std::string regex_one(const Step& s, const std::string& response) {
  const auto matches = s.regex->findall(response);
  if (matches.empty()) return s.spec.fallback;
  const int n = static_cast<int>(matches.size());
  const int g = s.spec.group_select < 0 ? n + s.spec.group_select : s.spec.group_select;
  if (g < 0 || g >= n) return s.spec.fallback;  // Python would raise IndexError
  const auto& m = matches[static_cast<size_t>(g)];
  if (s.regex->groups() <= 1) return py_strip(m[0]);
  for (const auto& part : m)
    if (!part.empty()) return py_strip(part);
  return py_strip(s.spec.fallback);
}

// Counter(resps).most_common(1)[0][0]: the highest count, the first seen among equals.
std::string majority(const std::vector<std::string>& responses) {
  std::vector<std::pair<std::string, int>> counts;  // in first-seen order
  for (const auto& r : responses) {
    bool found = false;
    for (auto& [value, count] : counts)
      if (value == r) {
        ++count;
        found = true;
        break;
      }
    if (!found) counts.emplace_back(r, 1);
  }
  size_t best = 0;
  for (size_t i = 1; i < counts.size(); ++i)
    if (counts[i].second > counts[best].second) best = i;
  return counts[best].first;
}

}  // namespace

struct FilterPipeline::Impl {
  std::vector<Step> steps;
};

FilterPipeline::FilterPipeline(FilterPipeline&&) noexcept = default;
FilterPipeline::~FilterPipeline() = default;

Result<FilterPipeline> FilterPipeline::create(const std::string& name,
                                              const std::vector<FilterStep>& steps,
                                              const std::string& where) {
  FilterPipeline p;
  p.name_ = name;
  p.impl_ = std::make_unique<Impl>();
  for (size_t i = 0; i < steps.size(); ++i) {
    const FilterStep& f = steps[i];
    const std::string at =
        fmt::format("{}: filter \"{}\" step {} ({})", where, name, i, f.function);
    Step s{Kind::kRegex, f, std::nullopt};
    if (f.function == "regex") {
      auto r = PyRegex::compile(f.regex_pattern, f.ignore_case);
      if (!r.ok()) return r.status().with_context(at);
      s.regex = std::move(r).value();
    } else if (f.function == "take_first") {
      s.kind = Kind::kTakeFirst;
    } else if (f.function == "take_first_k") {
      s.kind = Kind::kTakeFirstK;
      if (f.k < 1) return invalid_argument("{}: k must be at least 1, got {}", at, f.k);
    } else if (f.function == "majority_vote") {
      s.kind = Kind::kMajorityVote;
    } else if (f.function == "lowercase") {
      s.kind = Kind::kLowercase;
    } else if (f.function == "uppercase") {
      s.kind = Kind::kUppercase;
    } else if (f.function == "strip") {
      s.kind = Kind::kStrip;
    } else {
      return invalid_argument("{}: unknown filter function \"{}\"", at, f.function)
          .with_hint(
              "known: regex, take_first, take_first_k, majority_vote, lowercase, "
              "uppercase, strip");
    }
    p.impl_->steps.push_back(std::move(s));
  }
  return p;
}

std::vector<std::string> FilterPipeline::apply(const std::vector<std::string>& responses) const {
  std::vector<std::string> cur = responses;
  for (const Step& s : impl_->steps) {
    switch (s.kind) {
      case Kind::kRegex:
        for (auto& r : cur) r = regex_one(s, r);
        break;
      case Kind::kTakeFirst:
        if (cur.size() > 1) cur.resize(1);
        break;
      case Kind::kTakeFirstK:
        if (cur.size() > static_cast<size_t>(s.spec.k)) cur.resize(static_cast<size_t>(s.spec.k));
        break;
      case Kind::kMajorityVote:
        if (!cur.empty()) cur = {majority(cur)};
        break;
      case Kind::kLowercase:
        for (auto& r : cur) r = py_lower(r);
        break;
      case Kind::kUppercase:
        for (auto& r : cur) r = py_upper(r);
        break;
      case Kind::kStrip:
        for (auto& r : cur) r = py_strip(r);
        break;
    }
  }
  return cur;
}

}  // namespace lm::eval
