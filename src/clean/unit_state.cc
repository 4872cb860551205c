// unit_state.cc: clean's unit states (see unit_state.h).
#include "clean/unit_state.h"

#include <chrono>
#include <filesystem>
#include <thread>

#include "core/file_util.h"
#include "core/hash.h"
#include "core/timer.h"

namespace lm::clean {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Result<json> shard_list(const std::vector<std::string>& shards, const std::string& out_dir) {
  json list = json::array();
  for (const auto& p : shards) {
    LM_ASSIGN_OR_RETURN(MappedFile m, MappedFile::open(p));
    list.push_back({{"path", fs::relative(p, out_dir).string()},
                    {"bytes", m.size()},
                    {"xxh3", fmt::format("{:016x}", hash64(m.view()))}});
  }
  return list;
}

}  // namespace

Status write_unit_state(const Unit& u, const CleanOptions& o,
                        const std::map<std::string, std::vector<std::string>>& outputs,
                        const CleanStats& stats) {
  json state = {{"input", u.input},
                {"fingerprint", fmt::format("{:016x}", hash64(o.fingerprint))},
                {"stats", stats.to_json()}};
  for (const auto& [key, shards] : outputs) {
    LM_ASSIGN_OR_RETURN(state[key], shard_list(shards, o.out_dir));
  }
  return write_file_atomic(u.state_path, state.dump(1) + "\n");
}

// A completed unit's stats when its state and every output still check out; else why not.
Result<CleanStats> load_unit(const Unit& u, const CleanOptions& o) {
  if (!file_exists(u.state_path)) return not_found("{}: not finished", u.input);
  LM_ASSIGN_OR_RETURN(std::string text, read_file(u.state_path));
  json state = json::parse(text, nullptr, false);
  if (state.is_discarded() || !state.contains("stats")) {
    return corrupt("{}: unreadable state file (corrupt)", u.state_path);
  }
  if (state.value("input", "") != u.input ||
      state.value("fingerprint", "") != fmt::format("{:016x}", hash64(o.fingerprint))) {
    return invalid_argument("{}: made from another input or config", u.state_path);
  }
  for (const char* key : {"kept", "removed", "lines"}) {
    if (!state.contains(key))
      return corrupt("{}: no \"{}\" outputs (old or corrupt)", u.state_path, key);
    for (const auto& s : state[key]) {
      std::string path = o.out_dir + "/" + s.value("path", "");
      auto m = MappedFile::open(path);
      if (!m.ok()) return corrupt("{}: missing output of a finished unit", path);
      if (fmt::format("{:016x}", hash64(m->view())) != s.value("xxh3", "")) {
        return corrupt("{}: checksum mismatch (corrupt or changed)", path);
      }
    }
  }
  return CleanStats::from_json(state["stats"]);
}

// Removes this rank's earlier outputs (files starting with one of `prefixes`) from `dir`.
Status remove_outputs(const std::string& dir, const std::vector<std::string>& prefixes) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return ok_status();
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    for (const auto& p : prefixes) {
      if (name.starts_with(p + "-") || name.starts_with(p + ".")) {
        fs::remove(e.path(), ec);
        break;
      }
    }
  }
  if (ec) return io_error("{}: {}", dir, ec.message());
  return ok_status();
}

// Waits until every unit (this rank's and the other ranks') has a state file, then returns the
// states in input order: the list of outputs and the stats of the whole job.
Result<std::vector<json>> all_unit_states(const std::vector<Unit>& units, const CleanOptions& o) {
  Timer waited;
  std::vector<json> states;
  for (const auto& u : units) {
    while (!file_exists(u.state_path)) {
      if (waited.seconds() > o.wait_timeout_s) {
        return Status(Code::kCancelled,
                      fmt::format("waited {:.0f} s for {} (another rank's part)", waited.seconds(),
                                  u.state_path),
                      "start every rank (--rank 0..W-1) with the same inputs and --out");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    LM_ASSIGN_OR_RETURN(std::string text, read_file(u.state_path));
    json state = json::parse(text, nullptr, false);
    if (state.is_discarded() || !state.contains("stats") || !state.contains("kept"))
      return corrupt("{}: unreadable state file (corrupt)", u.state_path);
    states.push_back(std::move(state));
  }
  return states;
}

}  // namespace lm::clean
