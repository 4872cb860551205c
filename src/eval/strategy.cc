// strategy.cc: turns a task and a strategy name into a StrategyPlan (a config to evaluate, or the
// two-stage zero-shot CoT settings).
#include "eval/strategy.h"

#include <cctype>

namespace lm::eval {
namespace {

const char* kCotAnswerRegex = "The answer is (\\-?[0-9\\.\\,]+)";

std::vector<std::string> stage1_stops(const TaskConfig& t) {
  // A rationale spans lines: drop stops that are only whitespace, stop at a blank line.
  std::vector<std::string> out = {"\n\n"};
  for (const auto& u : t.generation_kwargs.until) {
    bool blank = u.find_first_not_of(" \t\r\n") == std::string::npos;
    if (!blank && u != "\n\n") out.push_back(u);
  }
  return out;
}

Status need_generate(const TaskConfig& t, const std::string& s) {
  if (t.output_type == "generate_until") return ok_status();
  return invalid_argument("{}: strategy '{}' needs a generate_until task; '{}' is {}", t.file, s,
                          t.task, t.output_type)
      .with_hint("compare prompting strategies on a generative task (e.g. arithmetic_add_3)");
}

}  // namespace

Result<std::vector<std::string>> parse_strategies(const std::string& list) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t c = list.find(',', pos);
    std::string s = list.substr(pos, c == std::string::npos ? std::string::npos : c - pos);
    pos = c == std::string::npos ? list.size() + 1 : c + 1;
    if (s.empty()) continue;
    if (s != "direct" && s != "cot" && s != "zs-cot" && s != "sc")
      return invalid_argument("--strategies: '{}' is not a strategy (direct, cot, zs-cot, sc)", s);
    for (const auto& x : out)
      if (x == s) return invalid_argument("--strategies: '{}' is listed twice", s);
    out.push_back(s);
  }
  if (out.empty()) return invalid_argument("--strategies: empty list");
  return out;
}

std::string first_number(const std::string& text) {
  std::string s;
  for (char c : text)
    if (c != ',') s += c;
  for (size_t i = 0; i < s.size(); i++) {
    bool neg = s[i] == '-' && i + 1 < s.size() && std::isdigit((unsigned char)s[i + 1]);
    if (!neg && !std::isdigit((unsigned char)s[i])) continue;
    size_t j = i + (neg ? 1 : 0);
    while (j < s.size() && std::isdigit((unsigned char)s[j])) j++;
    if (j < s.size() && s[j] == '.') {
      j++;
      while (j < s.size() && std::isdigit((unsigned char)s[j])) j++;
    }
    std::string num = s.substr(i, j - i);
    if (!num.empty() && num.back() == '.') num.pop_back();
    return num;
  }
  return "[invalid]";
}

Result<StrategyPlan> plan_strategy(const TaskConfig& task, const std::string& strategy,
                                   const StrategyOptions& o, const TaskFinder& find_task) {
  StrategyPlan p;
  p.strategy = strategy;
  p.name = strategy == "direct" ? task.task : task.task + "@" + strategy;
  p.config = task;
  if (strategy == "direct") return p;
  LM_RETURN_IF_ERROR(need_generate(task, strategy));
  std::optional<TaskConfig> sibling;
  if (strategy == "cot" || strategy == "sc") {
    LM_ASSIGN_OR_RETURN(sibling, find_task(task.task + "_cot"));
    if (sibling) LM_RETURN_IF_ERROR(need_generate(*sibling, strategy));
  }
  if (sibling && strategy == "cot") {
    p.config = *sibling;
    return p;
  }
  if (sibling && strategy == "sc") {
    TaskConfig c = *sibling;
    c.repeats = o.sc_samples;
    c.generation_kwargs.do_sample = true;
    c.generation_kwargs.temperature = o.sc_temperature;
    c.generation_kwargs.top_k = o.sc_top_k;
    c.has_generation_kwargs = true;
    FilterStep regex;
    regex.function = "regex";
    regex.regex_pattern = kCotAnswerRegex;
    for (const auto& f : sibling->filter_list)
      for (const auto& s : f.steps)
        if (s.function == "regex" && regex.regex_pattern == kCotAnswerRegex) regex = s;
    FilterStep first{.function = "take_first"}, vote{.function = "majority_vote"};
    c.filter_list = {FilterConfig{"score-first", {regex, first}, c.file + ": sc score-first"},
                     FilterConfig{fmt::format("maj@{}", o.sc_samples),
                                  {regex, vote, first},
                                  c.file + ": sc majority vote"}};
    c.raw["repeats"] = c.repeats;
    c.raw["generation_kwargs"]["do_sample"] = true;
    c.raw["generation_kwargs"]["temperature"] = o.sc_temperature;
    c.raw["generation_kwargs"]["top_k"] = o.sc_top_k;
    p.config = std::move(c);
    return p;
  }
  // Zero-shot CoT in two stages (cot / sc without a sibling task, and zs-cot).
  p.two_stage = true;
  p.config.num_fewshot = 0;
  p.trigger = o.zs_trigger;
  p.answer_trigger = o.answer_trigger;
  p.stage1 = task.generation_kwargs;
  p.stage1.until = stage1_stops(task);
  p.stage1.max_gen_toks = o.stage1_tokens;
  p.stage1.do_sample = false;
  p.stage2 = task.generation_kwargs;
  p.stage2.max_gen_toks = o.stage2_tokens;
  p.stage2.do_sample = false;
  if (strategy == "sc") {
    p.samples = o.sc_samples;
    p.stage1.do_sample = true;
    p.stage1.temperature = o.sc_temperature;
    p.stage1.top_k = o.sc_top_k;
  }
  p.config.raw["num_fewshot"] = 0;
  p.config.raw["zero_shot_cot"] = Json{{"trigger", p.trigger},
                                       {"answer_trigger", p.answer_trigger},
                                       {"stage1_max_gen_toks", o.stage1_tokens},
                                       {"stage2_max_gen_toks", o.stage2_tokens},
                                       {"samples", p.samples}};
  return p;
}

}  // namespace lm::eval
