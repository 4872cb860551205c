// filter_chain.cc: one document through the recipe's filters (see filter_chain.h).
#include "clean/filter_chain.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

namespace lm::clean {
using nlohmann::json;

std::string add_removed(const std::string& extra, std::string_view stage, std::string_view rule,
                        double value, const std::string& detail) {
  json r = {{"stage", stage}, {"rule", rule}, {"value", value}};
  if (!detail.empty()) r["lang"] = detail;
  std::string member = "\"removed\":" + r.dump();
  size_t close = extra.rfind('}');
  if (extra.empty() || close == std::string::npos) return "{" + member + "}";
  std::string head = extra.substr(0, close);
  size_t last = head.find_last_not_of(" \t\n");
  bool empty_obj = last != std::string::npos && head[last] == '{';
  return head + (empty_obj ? "" : ",") + member + "}";
}

namespace {

void note_group(GroupStats* g, uint64_t in_bytes, const Outcome& o, uint64_t out_bytes) {
  g->in.add(in_bytes);
  if (o.kept) {
    g->kept.add(out_bytes);
  } else {
    g->removed_by_stage[std::string(o.stage)] += 1;
  }
}

// Stage time is sampled (one document in kTimeEvery per thread, scaled up): two clock reads per
// filter per document cost more than the cheap filters themselves.
constexpr uint64_t kTimeEvery = 16;

Verdict timed_apply(const Filter& f, io::Document* doc, FilterContext* ctx, double* seconds) {
  auto t0 = std::chrono::steady_clock::now();
  Verdict v = f.apply(doc, ctx);
  *seconds +=
      kTimeEvery * std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return v;
}

void count_line_removals(const std::vector<LineRemoval>& removals, StageStats* s) {
  for (const auto& r : removals) {
    Count& c = s->lines[std::string(r.rule)];
    c.docs += r.lines;
    c.bytes += r.bytes;
  }
}

// Runs the filters over one document until one removes it. A continuation filter's removal
// moves the document from its stage's "out" to its "removed".
Outcome run_filters(const FilterChain& c, io::Document* doc, FilterContext* ctx, LocalStats* st) {
  const auto& filters = *c.filters;
  const bool timed = st->documents++ % kTimeEvery == 0;
  Outcome o;
  for (size_t i = 0; i < filters.size(); ++i) {
    const Filter& f = *filters[i];
    StageStats& s = st->stages[c.slot[i]];
    const bool cont = f.continuation();
    if (!cont) s.in.add(doc->text.size());
    ctx->removals.clear();
    const size_t mark = ctx->removed_lines.size(), size = doc->text.size();
    Verdict v = timed ? timed_apply(f, doc, ctx, &st->seconds[c.slot[i]]) : f.apply(doc, ctx);
    count_line_removals(ctx->removals, &s);
    if (!v.keep) {
      // Removed with its text untouched: the lines this filter took are in the record anyway.
      if (doc->text.size() == size) ctx->removed_lines.resize(mark);
      s.removed[std::string(v.rule)].add(doc->text.size());
      if (cont) {
        --s.out.docs;
        s.out.bytes -= doc->text.size();
      }
      o.kept = false;
      o.stage = f.stage();
      o.verdict = std::move(v);
      break;
    }
    if (!cont) s.out.add(doc->text.size());
  }
  return o;
}

}  // namespace

// Stats slots: one per stage name, in filter order (a continuation joins its stage's slot).
void FilterChain::assign_slots() {
  for (const auto& f : *filters) {
    const std::string name(f->stage());
    auto it = std::find(slot_names.begin(), slot_names.end(), name);
    slot.push_back(it - slot_names.begin());
    if (it == slot_names.end()) slot_names.push_back(name);
  }
}

Outcome process_document(const FilterChain& c, io::Document* doc, FilterContext* ctx,
                         LocalStats* st) {
  ctx->start_document();
  const uint64_t in_bytes = doc->text.size();
  Outcome o = run_filters(c, doc, ctx, st);
  o.lines = std::move(ctx->removed_lines);
  ctx->removed_lines.clear();
  CleanStats& g = st->groups;
  g.input.add(in_bytes);
  (o.kept ? g.kept : g.removed).add(doc->text.size());
  note_group(&g.by_source[doc->source], in_bytes, o, doc->text.size());
  note_group(&g.by_lang[doc->lang], in_bytes, o, doc->text.size());
  return o;
}

void fold(const FilterChain& c, const LocalStats& l, CleanStats* out) {
  for (size_t i = 0; i < c.slot_names.size(); ++i) {
    out->stage(c.slot_names[i]).merge(l.stages[i]);
    out->seconds[c.slot_names[i]] += l.seconds[i];
  }
  out->merge(l.groups);
}

// The removed-lines record of one line: {"id","text":<the line>,"source","lang","removed":
// {"stage","rule","line","document":"kept"|"removed"}}.
Status write_removed_lines(const io::Document& d, const Outcome& o, io::ShardWriter* w) {
  if (o.lines.empty()) return ok_status();
  io::Document l;
  l.id = d.id;
  l.source = d.source;
  l.lang = d.lang;
  for (const auto& r : o.lines) {
    l.text = r.text;
    l.extra_json = json{{"removed",
                         {{"stage", r.stage},
                          {"rule", r.rule},
                          {"line", r.line},
                          {"document", o.kept ? "kept" : "removed"}}}}
                       .dump();
    LM_RETURN_IF_ERROR(w->write(l));
  }
  return ok_status();
}

void reset(LocalStats* l, size_t slots) {
  l->stages.assign(slots, StageStats{});
  l->seconds.assign(slots, 0.0);
  l->documents = 0;
  l->groups = CleanStats{};
}

void merge(const LocalStats& from, LocalStats* into) {
  for (size_t i = 0; i < into->stages.size(); ++i) {
    into->stages[i].merge(from.stages[i]);
    into->seconds[i] += from.seconds[i];
  }
  into->documents += from.documents;
  into->groups.merge(from.groups);
}

}  // namespace lm::clean
