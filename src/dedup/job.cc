// job.cc: what the dedup stages share: the job (expanded inputs, rank file ranges, the
// fingerprint of inputs + options), completion markers in the work folder (and waiting for the
// other ranks' markers), unit splitting for line dedup, and DedupStats <-> JSON.
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "core/file_util.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/threads.h"
#include "core/timer.h"
#include "dedup/run_file.h"
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

uint64_t fingerprint_of(const Job& job) {
  nlohmann::json j;
  for (const auto& f : job.files) {
    struct stat st;
    const bool ok = ::stat(f.c_str(), &st) == 0;
    j["files"].push_back({f, ok ? static_cast<uint64_t>(st.st_size) : 0,
                          ok ? static_cast<int64_t>(st.st_mtime) : 0});
  }
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
  job.fingerprint = fingerprint_of(job);
  LM_RETURN_IF_ERROR(make_dirs(job.dir));
  return job;
}

std::string sig_marker(int rank) { return fmt::format("s1-r{}.done", rank); }
std::string bucket_marker(int part) { return fmt::format("s2-p{}.done", part); }
std::string cluster_marker() { return "s3.done"; }
std::string filter_marker(int rank) { return fmt::format("s4-r{}.done", rank); }

Status write_marker(const Job& job, const std::string& name, nlohmann::json body) {
  body["fingerprint"] = fmt::format("{:016x}", job.fingerprint);
  return write_small_file(job.path(name), body.dump(1));
}

Result<nlohmann::json> read_marker(const Job& job, const std::string& name) {
  const std::string path = job.path(name);
  if (!file_exists(path)) return nlohmann::json();
  LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status(Code::kCorrupt, fmt::format("{}: corrupt dedup marker", path),
                  "delete the dedup work folder and run again");
  }
  if (j.value("fingerprint", "") != fmt::format("{:016x}", job.fingerprint))
    return nlohmann::json();
  return j;
}

Result<std::vector<nlohmann::json>> wait_markers(const Job& job,
                                                 const std::vector<std::string>& names) {
  std::vector<nlohmann::json> out(names.size());
  const bool wait = job.opts.stage == Stage::kAll && job.opts.world > 1;
  Timer timer;
  for (size_t i = 0; i < names.size(); ++i) {
    for (int polls = 0;; ++polls) {
      LM_ASSIGN_OR_RETURN(out[i], read_marker(job, names[i]));
      if (!out[i].is_null()) break;
      if (!wait) {
        return Status(Code::kFailedPrecondition,
                      fmt::format("{}: missing (or made by a different job)", job.path(names[i])),
                      "run the earlier dedup stage for every rank first (same inputs and options)");
      }
      if (timer.seconds() > job.opts.wait_timeout_s) {
        return Status(Code::kCancelled,
                      fmt::format("waited {:.0f} s for {}", timer.seconds(), job.path(names[i])),
                      "another rank did not finish its stage: check its log, then rerun with "
                      "--resume");
      }
      if (polls % 120 == 0) log_info("dedup: waiting for {}", job.path(names[i]));
      std::this_thread::sleep_for(std::chrono::milliseconds(polls < 20 ? 50 : 500));
    }
  }
  return out;
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
