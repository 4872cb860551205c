// job.cc: what the dedup stages share: the job (expanded inputs, rank file ranges, the
// fingerprints of options and inputs), completion markers in the work folder (core's resume
// ledger, with its wait for the other ranks' markers) and unit splitting for line dedup.
#include <sys/stat.h>

#include "core/file_util.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/threads.h"
#include "dedup/stages.h"

namespace lm::dedup {

const char kSigMagic[8] = {'L', 'M', 'D', 'D', 'S', 'I', 'G', '1'};
const char kIdsMagic[8] = {'L', 'M', 'D', 'D', 'I', 'D', 'S', '1'};
const char kEdgeMagic[8] = {'L', 'M', 'D', 'D', 'E', 'D', 'G', '1'};
const char kRemovedMagic[8] = {'L', 'M', 'D', 'D', 'R', 'E', 'M', '1'};

int Job::rank_of_file(uint64_t f) const {
  int r = static_cast<int>(f * opts.world / std::max<size_t>(files.size(), 1));
  while (r > 0 && static_cast<int>(f) < file_begin(r)) --r;
  while (r + 1 < opts.world && static_cast<int>(f) >= file_begin(r + 1)) ++r;
  return r;
}

namespace {

uint64_t inputs_fingerprint(const Job& job) {
  nlohmann::json j;
  for (const auto& f : job.files) {
    struct stat st;
    const bool ok = ::stat(f.c_str(), &st) == 0;
    j["files"].push_back({f, ok ? static_cast<uint64_t>(st.st_size) : 0,
                          ok ? static_cast<int64_t>(st.st_mtime) : 0});
  }
  return hash64(j.dump(), 0xded0);
}

uint64_t config_fingerprint(const Job& job) {
  nlohmann::json j;
  const auto& o = job.opts;
  const auto& m = o.minhash;
  j["opts"] = {o.exact,     o.near,  o.lines,         static_cast<int>(o.line_unit),
               m.ngram,     m.bands, m.rows,          m.seed,
               m.cjk_chars, o.world, o.memory_budget, o.verify_threshold};
  const auto& r = job.read;
  j["read"] = {r.text_field,
               r.id_field,
               static_cast<int>(r.text_split),
               static_cast<int>(r.on_error),
               static_cast<int>(r.invalid_utf8),
               r.sqlite_query,
               r.max_document_bytes};
  return hash64(j.dump(), 0xded0);
}

Status validate(const DedupOptions& o) {
  if (o.world < 1 || o.rank < 0 || o.rank >= o.world) {
    return invalid_argument("--rank {} --world {}: need 0 <= rank < world", o.rank, o.world);
  }
  if (o.work_dir.empty()) return invalid_argument("dedup needs a work folder (--work-dir)");
  const auto& m = o.minhash;
  if (m.ngram < 1 || m.ngram > 64) return invalid_argument("--ngram {}: use 1..64", m.ngram);
  if (m.bands < 1 || m.rows < 1 || m.bands * m.rows > 4096) {
    return invalid_argument("--bands {} --rows {}: need bands, rows >= 1 and bands*rows <= 4096",
                            m.bands, m.rows);
  }
  if (o.memory_budget < (64u << 10)) {
    return invalid_argument("memory budget {} bytes: use at least 64 KB", o.memory_budget);
  }
  return ok_status();
}

}  // namespace

Result<Job> make_job(const std::vector<std::string>& inputs, const io::ReaderOptions& read,
                     const DedupOptions& opts) {
  LM_RETURN_IF_ERROR(validate(opts));
  Job job;
  LM_ASSIGN_OR_RETURN(job.files, io::expand_inputs(inputs));
  if (job.files.size() >= (1ULL << 23)) return invalid_argument("too many input files");
  job.opts = opts;
  job.read = read;
  job.threads = resolve_threads(opts.threads);
  job.dir = opts.work_dir;
  job.config = config_fingerprint(job);
  job.inputs = inputs_fingerprint(job);
  LM_RETURN_IF_ERROR(make_dirs(job.dir));
  return job;
}

std::string sig_marker(int rank) { return fmt::format("s1-r{}.done", rank); }
std::string bucket_marker(int part) { return fmt::format("s2-p{}.done", part); }
std::string cluster_marker() { return "s3.done"; }
std::string filter_marker(int rank) { return fmt::format("s4-r{}.done", rank); }

Ledger Job::ledger() const {
  return Ledger(dir, "dedup", config,
                "rerun without --resume (or delete the work folder " + dir + ")");
}

Status write_marker(const Job& job, const std::string& name, nlohmann::json body) {
  return job.ledger().record(name, std::move(body), job.inputs);
}

Result<nlohmann::json> read_marker(const Job& job, const std::string& name) {
  auto m = job.ledger().lookup(name, job.inputs);
  if (m.ok()) return std::move(m).value();
  if (m.status().code() == Code::kCorrupt) return m.status();
  return nlohmann::json();
}

Result<bool> stage_done(const Job& job, const std::string& name) {
  const Ledger ledger = job.ledger();
  auto m = ledger.lookup(name, job.inputs);
  if (m.ok()) return true;
  if (m.status().code() != Code::kNotFound) return m.status();
  if (file_exists(ledger.path(name)))
    log_info("dedup: {}; running the stage again", m.status().message());
  return false;
}

Result<std::vector<nlohmann::json>> wait_markers(const Job& job,
                                                 const std::vector<std::string>& names) {
  Ledger::Wait wait;
  wait.poll = job.opts.stage == Stage::kAll && job.opts.world > 1;
  wait.timeout_s = job.opts.wait_timeout_s;
  wait.missing_hint = "run the earlier dedup stage for every rank first (same inputs and options)";
  wait.timeout_hint =
      "another rank did not finish its stage: check its log, then rerun with --resume";
  return job.ledger().wait_for(names, wait, std::vector<uint64_t>(names.size(), job.inputs));
}

void split_units(std::string_view text, LineUnit unit, std::vector<std::string_view>* out) {
  size_t start = 0;
  const size_t n = text.size();
  while (start < n) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = n;
    } else {
      ++end;  // keep the newline
      if (unit == LineUnit::kParagraphs) {
        // A paragraph runs to a blank line; it keeps the blank lines that follow it.
        while (end < n && text[end] != '\n') {
          size_t e = text.find('\n', end);
          end = e == std::string_view::npos ? n : e + 1;
        }
        while (end < n && text[end] == '\n') ++end;
      }
    }
    out->push_back(text.substr(start, end - start));
    start = end;
  }
}

}  // namespace lm::dedup
