// dedup_step.cc: clean's dedup stage (see dedup_step.h).
#include "clean/dedup_step.h"

#include <filesystem>
#include <memory>

namespace lm::clean {
namespace fs = std::filesystem;

namespace {

// The dedup stage's outputs of one kind (kept, removed, removed lines): one run of shards per
// input file of the stage (a filtered shard f00003-00000 gives dedup-f00003-00000-NNNNN), so the
// bytes written do not depend on how the files were split between ranks.
class PerFileWriter : public io::ShardWriter {
 public:
  explicit PerFileWriter(io::WriterOptions o) : opts_(std::move(o)) {}
  Status start(const std::string& input) {
    LM_RETURN_IF_ERROR(close());
    std::string name = fs::path(input).filename().string();
    name = name.substr(0, name.find('.'));
    opts_.prefix = "dedup-" + name;
    LM_ASSIGN_OR_RETURN(current_, io::ShardWriter::create(opts_));
    return ok_status();
  }
  Status write(const io::Document& d) override {
    if (!current_) return internal_error("{}: dedup output before its input file", opts_.dir);
    return current_->write(d);
  }
  Status close() override {
    if (!current_) return ok_status();
    LM_RETURN_IF_ERROR(current_->close());
    shards_.insert(shards_.end(), current_->shards().begin(), current_->shards().end());
    documents_ += current_->documents();
    current_.reset();
    return ok_status();
  }
  const std::vector<std::string>& shards() const override { return shards_; }
  uint64_t documents() const override { return documents_; }

 private:
  io::WriterOptions opts_;
  std::unique_ptr<io::ShardWriter> current_;
  std::vector<std::string> shards_;
  uint64_t documents_ = 0;
};

}  // namespace

void add_dedup_stats(const dedup::DedupStats& ds, CleanStats* total) {
  StageStats& s = total->stage("dedup");
  s.in = {ds.documents_in, ds.bytes_in};
  s.out = {ds.documents_kept, ds.bytes_kept};
  s.removed["exact"] = {ds.exact.documents, ds.exact.bytes};
  s.removed["minhash"] = {ds.minhash.documents, ds.minhash.bytes};
  s.removed["lines"] = {ds.lines.documents, ds.lines.bytes};
  if (ds.lines_removed) s.lines["lines"] = {ds.lines_removed, ds.line_bytes_removed};
  total->kept = {ds.documents_kept, ds.bytes_kept};
  total->removed.add({ds.documents_in - ds.documents_kept, ds.bytes_in - ds.bytes_kept});
  for (auto* groups : {&total->by_source, &total->by_lang}) {
    const auto& dg = groups == &total->by_source ? ds.by_source : ds.by_lang;
    for (auto& [k, g] : *groups) {
      auto it = dg.find(k);
      uint64_t in = it == dg.end() ? 0 : it->second.documents_in;
      uint64_t kept = it == dg.end() ? 0 : it->second.documents_kept;
      if (in > kept) g.removed_by_stage["dedup"] += in - kept;
      g.kept = {kept, it == dg.end() ? 0 : it->second.bytes_kept};
    }
  }
  total->dedup = ds.to_json();
  // Which rank wrote them and the timings vary from run to run; stats.json must not.
  for (const char* k :
       {"rank", "world", "stage_seconds", "signature_seconds", "signature_mb_per_s_per_core"})
    total->dedup.erase(k);
}

Result<dedup::DedupStats> run_dedup_step(const CleanConfig& config, const CleanOptions& o,
                                         int threads, const std::vector<std::string>& inputs,
                                         dedup::DedupStats* job) {
  io::WriterOptions wo;
  wo.shard_bytes = o.shard_bytes;
  wo.dir = o.out_dir + "/kept";
  PerFileWriter kept(wo);
  wo.dir = o.out_dir + "/removed";
  PerFileWriter removed(wo);
  wo.dir = o.out_dir + "/removed-lines";
  wo.zstd_level = 1;
  PerFileWriter lines(wo);
  dedup::DedupStats ds;
  if (!inputs.empty()) {
    LM_ASSIGN_OR_RETURN(dedup::DedupOptions d, dedup_options(config.dedup));
    d.threads = threads;
    d.rank = o.rank;
    d.world = o.world;
    d.work_dir = o.out_dir + "/dedup-work";
    d.resume = o.resume;
    d.memory_budget = config.dedup.memory_mb << 20;
    d.wait_timeout_s = o.wait_timeout_s;
    d.on_file = [&](int, const std::string& path) {
      for (PerFileWriter* w : {&kept, &removed, &lines}) LM_RETURN_IF_ERROR(w->start(path));
      return ok_status();
    };
    auto r = dedup::run_dedup(inputs, io::ReaderOptions{}, d, kept, removed, &lines);
    if (!r.ok()) return r.status().with_context("dedup stage");
    ds = std::move(r).value();
    if (o.world > 1 && o.rank == 0) {
      d.on_file = nullptr;
      auto all = dedup::collect_rank_stats(inputs, io::ReaderOptions{}, d);
      if (!all.ok()) return all.status().with_context("dedup stage");
      *job = std::move(all).value();
    }
  }
  for (PerFileWriter* w : {&kept, &removed, &lines}) LM_RETURN_IF_ERROR(w->close());
  if (o.world == 1) *job = ds;
  return ds;
}
}  // namespace lm::clean
