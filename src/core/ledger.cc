// ledger.cc: the resume ledger's entries and the wait for other ranks (see ledger.h).
#include "core/ledger.h"

#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "core/file_util.h"
#include "core/log.h"
#include "core/timer.h"

namespace lm {

using nlohmann::json;

Ledger::Ledger(std::string dir, std::string job, uint64_t fingerprint, std::string resume_hint)
    : dir_(std::move(dir)),
      job_(std::move(job)),
      fingerprint_(fmt::format("{:016x}", fingerprint)),
      resume_hint_(std::move(resume_hint)) {}

std::string Ledger::path(const std::string& unit) const {
  return dir_.empty() ? unit : dir_ + "/" + unit;
}

Status Ledger::record(const std::string& unit, json body, uint64_t inputs) const {
  if (!body.is_object()) return internal_error("{}: a ledger entry must be an object", path(unit));
  body["ledger"] = kVersion;
  body["job"] = job_;
  body["unit"] = unit;
  body["fingerprint"] = fingerprint_;
  body["inputs"] = fmt::format("{:016x}", inputs);
  return write_file_atomic(path(unit), body.dump(1) + "\n");
}

Result<json> Ledger::lookup(const std::string& unit, uint64_t inputs) const {
  const std::string p = path(unit);
  if (!file_exists(p)) return not_found("{}: not done yet", p);
  LM_ASSIGN_OR_RETURN(std::string text, read_file(p));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status(Code::kCorrupt, fmt::format("{}: unreadable {} resume state (corrupt)", p, job_),
                  resume_hint_);
  }
  if (!j.contains("ledger")) {
    return Status(Code::kFailedPrecondition,
                  fmt::format("{}: a {} resume state in an older format (before lmforge's one "
                              "resume ledger)",
                              p, job_),
                  resume_hint_ + " (the old state cannot be resumed)");
  }
  if (j.value("ledger", 0) != kVersion || j.value("job", "") != job_ ||
      j.value("unit", "") != unit) {
    return Status(Code::kFailedPrecondition,
                  fmt::format("{}: ledger entry version {} of job \"{}\" for \"{}\"; this lmforge "
                              "writes version {} of job \"{}\"",
                              p, j.value("ledger", 0), j.value("job", ""), j.value("unit", ""),
                              kVersion, job_),
                  resume_hint_);
  }
  if (j.value("fingerprint", "") != fingerprint_) {
    return Status(Code::kFailedPrecondition,
                  fmt::format("{}: a {} run with another configuration left this "
                              "state (config fingerprint {}, this run's {})",
                              p, job_, j.value("fingerprint", ""), fingerprint_),
                  "rerun with the same arguments to resume it, or " + resume_hint_);
  }
  if (j.value("inputs", "") != fmt::format("{:016x}", inputs)) {
    return not_found("{}: made from other inputs than this run's (stale)", p);
  }
  return j;
}

Status Ledger::erase(const std::string& unit) const {
  const std::string p = path(unit);
  if (std::remove(p.c_str()) != 0 && file_exists(p)) return io_error("{}: cannot remove", p);
  return ok_status();
}

Result<std::vector<json>> Ledger::wait_for(const std::vector<std::string>& units, const Wait& wait,
                                           const std::vector<uint64_t>& inputs) const {
  std::vector<json> out(units.size());
  Timer timer;
  for (size_t i = 0; i < units.size(); ++i) {
    for (int polls = 0;; ++polls) {
      auto e = lookup(units[i], i < inputs.size() ? inputs[i] : 0);
      if (e.ok()) {
        out[i] = std::move(*e);
        break;
      }
      // Not there, or a stale entry of an earlier run: another rank is still at it. A torn
      // read cannot happen (entries are renamed into place), so kCorrupt is final.
      if (e.status().code() == Code::kCorrupt) return e.status();
      if (!wait.poll) {
        return Status(Code::kFailedPrecondition,
                      fmt::format("{}: missing (or made by a different job)", path(units[i])),
                      wait.missing_hint);
      }
      if (timer.seconds() > wait.timeout_s) {
        return Status(Code::kCancelled,
                      fmt::format("{}: waited {:.0f} s for {} (another rank's part)", job_,
                                  timer.seconds(), path(units[i])),
                      wait.timeout_hint);
      }
      if (polls % 120 == 0) log_info("{}: waiting for {}", job_, path(units[i]));
      std::this_thread::sleep_for(std::chrono::milliseconds(polls < 20 ? 50 : 500));
    }
  }
  return out;
}

}  // namespace lm
