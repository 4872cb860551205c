// filter_chain.h: one document through the recipe's filters, in order, until one removes it:
// its outcome (kept, or the stage and rule that removed it, and the lines line rules took out)
// and the statistics per stage slot, source and language, which sum over workers and ranks in
// any order to the same figures.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "clean/filter.h"
#include "clean/stats.h"
#include "io/document.h"

namespace lm::clean {

struct Outcome {
  bool kept = true;
  std::string_view stage;
  Verdict verdict;
  std::vector<RemovedLine> lines;  // taken out by line rules, in order
};

// Per-thread statistics, indexed by stage slot (a continuation filter shares its stage's slot).
struct LocalStats {
  std::vector<StageStats> stages;
  std::vector<double> seconds;
  uint64_t documents = 0;
  CleanStats groups;  // input/kept/removed and by_source/by_lang only
};

// The recipe's filters and the stats slot of each: one per stage name, in filter order (a
// continuation filter joins its stage's slot).
struct FilterChain {
  const std::vector<std::unique_ptr<Filter>>* filters = nullptr;
  std::vector<size_t> slot;  // per filter: index into slot_names
  std::vector<std::string> slot_names;
  void assign_slots();
};

// Runs the chain over one document (ctx: the worker's scratch), counting into *st.
Outcome process_document(const FilterChain& c, io::Document* doc, FilterContext* ctx,
                         LocalStats* st);
// Adds a worker's statistics to the unit's stats.
void fold(const FilterChain& c, const LocalStats& l, CleanStats* out);
// The removed-lines records of a document: {"id","text":<the line>,"source","lang","removed":
// {"stage","rule","line","document":"kept"|"removed"}}.
Status write_removed_lines(const io::Document& d, const Outcome& o, io::ShardWriter* w);
void reset(LocalStats* l, size_t slots);  // zeroed, `slots` stage slots
void merge(const LocalStats& from, LocalStats* into);

}  // namespace lm::clean
