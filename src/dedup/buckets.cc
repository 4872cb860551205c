// buckets.cc: stage 2 of dedup, per partition (= rank): merge every rank's sorted runs of this
// hash partition; documents sharing an exact key or an LSH bucket become edges (earliest document
// of the group, later document); a line seen before becomes a line drop, routed to the rank that
// filters its file. Groups are whole inside a partition, so the edges and drops are the same for
// any rank count. Streams with bounded memory.
#include "core/log.h"
#include "core/progress.h"
#include "dedup/run_file.h"
#include "dedup/stages.h"

namespace lm::dedup {
namespace {

std::vector<std::string> runs_of(const std::vector<nlohmann::json>& markers, const char* field) {
  std::vector<std::string> runs;
  for (const auto& m : markers) {
    for (const auto& r : m.at(field)) runs.push_back(r.get<std::string>());
  }
  return runs;
}

// Calls on_dup(first, previous, current) for every record after the first of its group.
template <class Rec, class SameGroup, class OnDup>
Status scan_groups(const std::vector<std::string>& runs, int part, uint64_t budget,
                   Progress* progress, SameGroup same, OnDup on_dup) {
  LM_ASSIGN_OR_RETURN(auto merger, RunMerger<Rec>::open(runs, part, budget));
  Rec first{}, prev{}, cur{};
  bool have = false;
  for (;;) {
    LM_ASSIGN_OR_RETURN(bool more, merger->next(&cur));
    if (!more) break;
    progress->add(1);
    if (have && same(first, cur)) {
      LM_RETURN_IF_ERROR(on_dup(first, prev, cur));
    } else {
      first = cur;
      have = true;
    }
    prev = cur;
  }
  return ok_status();
}

}  // namespace

Status stage_buckets(const Job& job, int part) {
  std::vector<std::string> names;
  for (int r = 0; r < job.opts.world; ++r) names.push_back(sig_marker(r));
  LM_ASSIGN_OR_RETURN(auto markers, wait_markers(job, names));
  const std::string pre = job.path(fmt::format("s2-p{}", part));
  LM_ASSIGN_OR_RETURN(BlobWriter edges, BlobWriter::create(pre + ".edges", kEdgeMagic));
  uint64_t edge_count = 0;
  auto emit = [&](uint64_t a, uint64_t b, uint32_t kind) {
    ++edge_count;
    const Edge e{a, b, kind, 0};
    return edges.write(&e, sizeof(e));
  };
  Progress progress(fmt::format("dedup 2/4 buckets (part {})", part), 0);
  const uint64_t budget = job.opts.memory_budget / 2;
  if (job.opts.exact) {
    LM_RETURN_IF_ERROR(scan_groups<ExactRec>(
        runs_of(markers, "exact_runs"), part, budget, &progress,
        [](const ExactRec& a, const ExactRec& b) { return a.hi == b.hi && a.lo == b.lo; },
        [&](const ExactRec& a, const ExactRec&, const ExactRec& b) {
          return emit(a.key, b.key, kEdgeExact);
        }));
  }
  if (job.opts.near) {
    LM_RETURN_IF_ERROR(scan_groups<BandRec>(
        runs_of(markers, "band_runs"), part, budget, &progress,
        [](const BandRec& a, const BandRec& b) { return a.band == b.band && a.hash == b.hash; },
        [&](const BandRec& a, const BandRec& p, const BandRec& b) {
          // Anchor and predecessor: a pair that fails verification with the anchor may still
          // join through its neighbour in the bucket.
          if (p.key != a.key) LM_RETURN_IF_ERROR(emit(p.key, b.key, kEdgeNear));
          return emit(a.key, b.key, kEdgeNear);
        }));
  }
  const int world = job.opts.world;
  ExternalSorter<LineDrop> drops(
      pre + ".drop", world, [&job](const LineDrop& d) { return job.rank_of_file(key_file(d.key)); },
      budget);
  if (job.opts.lines) {
    LM_RETURN_IF_ERROR(scan_groups<LineRec>(
        runs_of(markers, "line_runs"), part, budget, &progress,
        [](const LineRec& a, const LineRec& b) { return a.hash == b.hash; },
        [&](const LineRec&, const LineRec&, const LineRec& b) {
          return drops.add(LineDrop{b.key, b.line, 0});
        }));
  }
  LM_RETURN_IF_ERROR(drops.finish());
  LM_RETURN_IF_ERROR(edges.commit());
  progress.finish();
  return write_marker(job, bucket_marker(part),
                      {{"edges", edge_count}, {"drop_runs", drops.runs()}});
}

}  // namespace lm::dedup
