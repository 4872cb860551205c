// runs.h: runs.csv, the table of finished training runs a scaling-law fit reads: a header and
// the columns params,tokens,loss (optional flops, name and any others, which are kept).
// Every row is validated (positive finite sizes, finite positive loss); errors name the file,
// the line and the column, and say what to do.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace lm::scaling {

struct Run {
  double params = 0;  // N, parameters
  double tokens = 0;  // D, training tokens
  double loss = 0;    // final loss, nats/token
  double flops = 0;   // C; 6 N D when the file has no flops column
  std::string name;
  std::vector<std::string> extra;  // values of the other columns, in header order
};

struct RunsTable {
  std::vector<std::string> extra_columns;
  std::vector<Run> runs;
};

// Column names to read (aliases for files from elsewhere, e.g. Epoch's "Model Size").
struct RunsColumns {
  std::string params = "params", tokens = "tokens", loss = "loss", flops = "flops", name = "name";
};

// Parses CSV text; `path` is only used in messages. When the tokens column is absent but a
// flops column is present, tokens = flops / (6 params) (Epoch's convention).
Result<RunsTable> parse_runs_csv(const std::string& text, const std::string& path,
                                 const RunsColumns& cols = {});
Result<RunsTable> read_runs_csv(const std::string& path, const RunsColumns& cols = {});
// Writes params,tokens,flops,loss,name (+ extra columns) atomically.
Status write_runs_csv(const std::string& path, const RunsTable& table);

// Drops the k runs with the highest loss (keeps loss < k-th largest, like Epoch's notebook).
RunsTable drop_highest_losses(const RunsTable& t, int k);

}  // namespace lm::scaling
