// unit_state.cc: clean's unit states in the resume ledger (see unit_state.h).
#include "clean/unit_state.h"

#include <filesystem>

#include "core/file_util.h"
#include "core/hash.h"

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

// What a unit is made from: its input file (the config is the ledger's fingerprint).
uint64_t unit_inputs(const Unit& u) { return hash64(u.input); }

}  // namespace

Ledger unit_ledger(const CleanOptions& o) {
  return Ledger(o.out_dir + "/.state", "clean", hash64(o.fingerprint),
                "rerun without --resume to clean every file again");
}

Status write_unit_state(const Ledger& ledger, const Unit& u, const CleanOptions& o,
                        const std::map<std::string, std::vector<std::string>>& outputs,
                        const CleanStats& stats) {
  json state = {{"input", u.input}, {"stats", stats.to_json()}};
  for (const auto& [key, shards] : outputs) {
    LM_ASSIGN_OR_RETURN(state[key], shard_list(shards, o.out_dir));
  }
  return ledger.record(u.name, std::move(state), unit_inputs(u));
}

Result<CleanStats> load_unit(const Ledger& ledger, const Unit& u, const CleanOptions& o) {
  LM_ASSIGN_OR_RETURN(json state, ledger.lookup(u.name, unit_inputs(u)));
  const std::string path = ledger.path(u.name);
  if (!state.contains("stats")) return corrupt("{}: no stats (corrupt)", path);
  for (const char* key : {"kept", "removed", "lines"}) {
    if (!state.contains(key)) return corrupt("{}: no \"{}\" outputs (corrupt)", path, key);
    for (const auto& s : state[key]) {
      std::string out = o.out_dir + "/" + s.value("path", "");
      auto m = MappedFile::open(out);
      if (!m.ok()) return corrupt("{}: missing output of a finished unit", out);
      if (fmt::format("{:016x}", hash64(m->view())) != s.value("xxh3", "")) {
        return corrupt("{}: checksum mismatch (corrupt or changed)", out);
      }
    }
  }
  return CleanStats::from_json(state["stats"]);
}

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

Result<std::vector<json>> all_unit_states(const Ledger& ledger, const std::vector<Unit>& units,
                                          const CleanOptions& o) {
  std::vector<std::string> names;
  std::vector<uint64_t> inputs;
  for (const auto& u : units) {
    names.push_back(u.name);
    inputs.push_back(unit_inputs(u));
  }
  Ledger::Wait wait;
  wait.timeout_s = o.wait_timeout_s;
  wait.timeout_hint = "start every rank (--rank 0..W-1) with the same inputs and --out";
  LM_ASSIGN_OR_RETURN(std::vector<json> states, ledger.wait_for(names, wait, inputs));
  for (size_t i = 0; i < states.size(); ++i) {
    if (!states[i].contains("stats") || !states[i].contains("kept"))
      return corrupt("{}: no stats or outputs (corrupt)", ledger.path(names[i]));
  }
  return states;
}

}  // namespace lm::clean
