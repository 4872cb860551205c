// dedup_step.h: the last stage of `lmforge clean`: the dedup module over every unit's filtered
// shards, writing its outputs per filtered shard (so they do not depend on --world), and its
// counts folded into the clean stats.
#pragma once

#include <string>
#include <vector>

#include "clean/config.h"
#include "clean/pipeline.h"
#include "clean/stats.h"
#include "dedup/dedup.h"

namespace lm::clean {

// The dedup stage over every unit's filtered shards. Returns this rank's dedup stats, and in
// *job (rank 0, world > 1) every rank's, merged.
Result<dedup::DedupStats> run_dedup_step(const CleanConfig& config, const CleanOptions& o,
                                         int threads, const std::vector<std::string>& inputs,
                                         dedup::DedupStats* job);
// Applies the dedup stage's counts to the stats of the documents it read.
void add_dedup_stats(const dedup::DedupStats& ds, CleanStats* total);

}  // namespace lm::clean
