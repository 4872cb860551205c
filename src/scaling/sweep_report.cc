// sweep_report.cc: format_sweep (see sweep_report.h). The sweep itself is sweep.cc's.
#include "scaling/sweep_report.h"

#include <fmt/core.h>

#include "scaling/fit_report.h"

namespace lm::scaling {

std::string format_sweep(const SweepConfig& c, const SweepResult& r, bool dry_run) {
  std::string s = fmt::format(
      "{} runs planned ({} trained now, {} already done, {} interrupted runs resumed)\n",
      r.planned.size(), r.ran, r.skipped, r.resumed);
  for (const auto& p : r.planned)
    s += fmt::format("  {:<32} N {:>10.4g}  D {:>10.4g}  steps {:>7}\n", p.name, p.params, p.tokens,
                     p.steps);
  if (dry_run) return s;
  s += format_approach3(r.fit);
  s += fmt::format("held-out {}: predicted loss {:.4f}", r.holdout.name, r.holdout_predicted);
  if (r.holdout_done)
    s += fmt::format(", actual {:.4f} (error {:+.4f})", r.holdout_actual,
                     r.holdout_predicted - r.holdout_actual);
  s += "\n";
  if (c.entropy > 0)
    s += fmt::format("fitted E {:.4f} vs true entropy {:.4f} nats/token\n", r.fit.params.E,
                     c.entropy);
  s += fmt::format("wrote {0}/runs.csv, {0}/fit.json, {0}/sweep.json\n", c.out);
  return s;
}

}  // namespace lm::scaling
