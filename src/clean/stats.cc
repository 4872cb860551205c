// stats.cc: merging, JSON round trip and the printed table of CleanStats.
#include "clean/stats.h"

#include <fmt/core.h>

#include <algorithm>

#include "core/progress.h"

namespace lm::clean {
namespace {

using nlohmann::json;

json count_json(const Count& c, const char* unit = "documents") {
  return {{unit, c.docs}, {"bytes", c.bytes}};
}
Count count_from(const json& j, const char* unit = "documents") {
  return {j.value(unit, uint64_t{0}), j.value("bytes", uint64_t{0})};
}

json group_json(const std::map<std::string, GroupStats>& groups) {
  json j = json::object();
  for (const auto& [k, g] : groups) {
    j[k] = {{"in", count_json(g.in)},
            {"kept", count_json(g.kept)},
            {"removed_by_stage", g.removed_by_stage}};
  }
  return j;
}
void group_from(const json& j, std::map<std::string, GroupStats>* out) {
  for (const auto& [k, g] : j.items()) {
    GroupStats& s = (*out)[k];
    s.in = count_from(g.at("in"));
    s.kept = count_from(g.at("kept"));
    s.removed_by_stage = g.at("removed_by_stage").get<std::map<std::string, uint64_t>>();
  }
}

void merge_groups(std::map<std::string, GroupStats>* a,
                  const std::map<std::string, GroupStats>& b) {
  for (const auto& [k, g] : b) {
    GroupStats& s = (*a)[k];
    s.in.add(g.in);
    s.kept.add(g.kept);
    for (const auto& [st, n] : g.removed_by_stage) s.removed_by_stage[st] += n;
  }
}

std::string pct(uint64_t part, uint64_t whole) {
  return whole ? fmt::format("{:.1f}%", 100.0 * part / whole) : "-";
}

}  // namespace

void StageStats::merge(const StageStats& o) {
  in.add(o.in);
  out.add(o.out);
  for (const auto& [k, c] : o.removed) removed[k].add(c);
  for (const auto& [k, c] : o.lines) lines[k].add(c);
}

StageStats& CleanStats::stage(const std::string& name) {
  if (!stages.count(name)) stage_order.push_back(name);
  return stages[name];
}

void CleanStats::merge(const CleanStats& o) {
  input.add(o.input);
  kept.add(o.kept);
  removed.add(o.removed);
  for (const auto& name : o.stage_order) stage(name).merge(o.stages.at(name));
  merge_groups(&by_source, o.by_source);
  merge_groups(&by_lang, o.by_lang);
  for (const auto& [k, s] : o.seconds) seconds[k] += s;
}

json CleanStats::to_json() const {
  json stages_j = json::array();
  for (const auto& name : stage_order) {
    const StageStats& s = stages.at(name);
    json rm = json::object(), ln = json::object();
    for (const auto& [k, c] : s.removed) rm[k] = count_json(c);
    for (const auto& [k, c] : s.lines) ln[k] = count_json(c, "lines");
    stages_j.push_back({{"stage", name},
                        {"in", count_json(s.in)},
                        {"out", count_json(s.out)},
                        {"removed", rm},
                        {"lines_removed", ln}});
  }
  json j = {{"input", count_json(input)},         {"kept", count_json(kept)},
            {"removed", count_json(removed)},     {"stages", stages_j},
            {"by_source", group_json(by_source)}, {"by_lang", group_json(by_lang)}};
  if (!dedup.is_null()) j["dedup"] = dedup;
  return j;
}

Result<CleanStats> CleanStats::from_json(const json& j) {
  CleanStats s;
  try {
    s.input = count_from(j.at("input"));
    s.kept = count_from(j.at("kept"));
    s.removed = count_from(j.at("removed"));
    for (const auto& st : j.at("stages")) {
      StageStats& x = s.stage(st.at("stage").get<std::string>());
      x.in = count_from(st.at("in"));
      x.out = count_from(st.at("out"));
      for (const auto& [k, c] : st.at("removed").items()) x.removed[k] = count_from(c);
      for (const auto& [k, c] : st.at("lines_removed").items()) x.lines[k] = count_from(c, "lines");
    }
    group_from(j.at("by_source"), &s.by_source);
    group_from(j.at("by_lang"), &s.by_lang);
    if (j.contains("dedup")) s.dedup = j.at("dedup");
  } catch (const std::exception& e) {
    return corrupt("cleaning stats: {}", e.what());
  }
  return s;
}

std::string CleanStats::table() const {
  std::string t = fmt::format("{:<34} {:>10} {:>10} {:>12} {:>12} {:>8}\n", "stage / rule",
                              "docs in", "docs out", "bytes in", "bytes out", "removed");
  for (const auto& name : stage_order) {
    const StageStats& s = stages.at(name);
    t += fmt::format("{:<34} {:>10} {:>10} {:>12} {:>12} {:>8}\n", name, s.in.docs, s.out.docs,
                     format_bytes(s.in.bytes), format_bytes(s.out.bytes),
                     pct(s.in.docs - s.out.docs, s.in.docs));
    for (const auto& [rule, c] : s.removed) {
      t += fmt::format("  {:<32} {:>10} {:>10} {:>12} {:>12} {:>8}\n", rule, "", c.docs,
                       format_bytes(c.bytes), "", pct(c.docs, s.in.docs));
    }
    for (const auto& [rule, c] : s.lines) {
      t += fmt::format("  {:<32} {:>10} {:>10} {:>12}\n", rule + " (lines)", "", c.docs,
                       format_bytes(c.bytes));
    }
  }
  t += fmt::format("{:<34} {:>10} {:>10} {:>12} {:>12} {:>8}\n", "total", input.docs, kept.docs,
                   format_bytes(input.bytes), format_bytes(kept.bytes),
                   pct(input.docs - std::min(input.docs, kept.docs), input.docs));
  for (const auto* groups : {&by_source, &by_lang}) {
    t += fmt::format("\n{:<34} {:>10} {:>10} {:>12} {:>12} {:>8}\n",
                     groups == &by_source ? "source" : "language", "docs in", "kept", "bytes in",
                     "bytes kept", "kept");
    for (const auto& [k, g] : *groups) {
      t += fmt::format("{:<34} {:>10} {:>10} {:>12} {:>12} {:>8}\n", k.empty() ? "?" : k, g.in.docs,
                       g.kept.docs, format_bytes(g.in.bytes), format_bytes(g.kept.bytes),
                       pct(g.kept.docs, g.in.docs));
    }
  }
  return t;
}

}  // namespace lm::clean
