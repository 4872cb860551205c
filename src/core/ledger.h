// ledger.h: the one resume ledger of lmforge's long jobs (clean's units, dedup's stages, pack's
// checkpoint). An entry records that one unit of work is done (keyed by its name, one small
// JSON file each: DIR/UNIT), written atomically (core/file_util.h) and stamped with the ledger
// format version, the job's name, the fingerprint of its result-affecting config and one of the
// unit's inputs. A resume takes an entry only when all match: one of another config or of an
// older lmforge is refused with an error naming the file and a hint; one made from other inputs
// is stale (redo the unit). wait_for() is the one wait for other ranks' entries (ranks share the
// folder). Leaves out what a unit is and what its body holds (the job's).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"

namespace lm {

class Ledger {
 public:
  static constexpr int kVersion = 1;  // of the entry format ("ledger" field)

  // Entries live at DIR/UNIT (UNIT alone when dir is empty). `job` names the job in messages
  // ("clean", "dedup", "pack"); `resume_hint` says how to start over (e.g. "rerun without
  // --resume").
  Ledger(std::string dir, std::string job, uint64_t fingerprint, std::string resume_hint);

  std::string path(const std::string& unit) const;
  // Records `unit` as done with `body` (an object; the ledger adds its own fields); `inputs`
  // identifies what the unit was made from (0: nothing beyond the config).
  Status record(const std::string& unit, nlohmann::json body, uint64_t inputs = 0) const;
  // The entry of a finished unit (its body with the ledger's fields). kNotFound when there is
  // none or it was made from other inputs (stale: the message says so); kFailedPrecondition
  // when another config or an older lmforge wrote it; kCorrupt when it cannot be read. Each
  // with the file named and a hint.
  Result<nlohmann::json> lookup(const std::string& unit, uint64_t inputs = 0) const;
  // Removes the entry of `unit` if there is one.
  Status erase(const std::string& unit) const;

  struct Wait {
    bool poll = true;         // false: a missing entry is an error at once (kFailedPrecondition)
    double timeout_s = 3600;  // polling longer is an error (kCancelled)
    std::string missing_hint =
        "run the earlier step for every rank first (same inputs and options)";
    std::string timeout_hint =
        "start every rank (--rank 0..W-1) with the same inputs and options; check the log of "
        "the rank that did not finish";
  };
  // Waits until every unit has an entry of this job (one of another config, format or inputs
  // counts as not there yet: a stale one from an earlier run), then returns them in the order
  // asked. inputs[i] (when given) is unit i's inputs fingerprint.
  Result<std::vector<nlohmann::json>> wait_for(const std::vector<std::string>& units,
                                               const Wait& wait,
                                               const std::vector<uint64_t>& inputs = {}) const;

 private:
  std::string dir_, job_, fingerprint_, resume_hint_;
};

}  // namespace lm
