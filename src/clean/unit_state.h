// unit_state.h: the resume state of `lmforge clean`'s units, in core's resume ledger
// (core/ledger.h): each input file is one unit (rank i % world cleans file i); a finished unit
// records its outputs with their sizes and XXH3 checksums, and its stats, in
// DIR/.state/unit-NNNNN.json. --resume takes a unit whose entry and outputs still check out
// (refusing one of another config); rank 0 (and the dedup stage) waits for every unit's entry.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "clean/pipeline.h"
#include "clean/stats.h"
#include "core/ledger.h"
#include "core/status.h"

namespace lm::clean {

struct Unit {
  size_t index = 0;
  std::string input;
  std::string prefix;  // f00003
  std::string name;    // its ledger entry: unit-00003.json
};

// The job's ledger: OUT/.state, fingerprinted by the config (CleanOptions::fingerprint).
Ledger unit_ledger(const CleanOptions& o);
// Records a finished unit: its outputs (by kind: "kept", "removed", "lines"), their checksums,
// and its stats.
Status write_unit_state(const Ledger& ledger, const Unit& u, const CleanOptions& o,
                        const std::map<std::string, std::vector<std::string>>& outputs,
                        const CleanStats& stats);
// A completed unit's stats when its entry and every output still check out; else why not
// (kNotFound: not finished, or from another input; kFailedPrecondition: another config or an
// older lmforge wrote it, which a resume refuses).
Result<CleanStats> load_unit(const Ledger& ledger, const Unit& u, const CleanOptions& o);
// Removes this rank's earlier outputs (files starting with one of `prefixes`) from `dir`.
Status remove_outputs(const std::string& dir, const std::vector<std::string>& prefixes);
// Waits until every unit (this rank's and the other ranks') has its entry, then returns the
// entries in input order: the list of outputs and the stats of the whole job.
Result<std::vector<nlohmann::json>> all_unit_states(const Ledger& ledger,
                                                    const std::vector<Unit>& units,
                                                    const CleanOptions& o);

}  // namespace lm::clean
