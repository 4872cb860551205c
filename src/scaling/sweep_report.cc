// sweep_report.cc: format_sweep and sweep_reading (see sweep_report.h). The sweep itself is
// sweep.cc's.
#include "scaling/sweep_report.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "scaling/fit_report.h"

namespace lm::scaling {

std::string format_sweep(const SweepConfig& c, const SweepResult& r, bool dry_run) {
  const int vocab = r.vocab > 0 ? r.vocab : c.vocab;
  std::string s = fmt::format(
      "{} runs planned ({} trained now, {} already done, {} interrupted runs resumed)\n",
      r.planned.size(), r.ran, r.skipped, r.resumed);
  s += fmt::format("  {:<32} {:>10} {:>10} {:>6} {:>10} {:>7} {:>9}\n", "run",
                   c.count_embeddings ? "N (total)" : "N (non-emb)", "embedding", "share", "D",
                   "steps", "val loss");
  for (size_t i = 0; i < r.planned.size(); ++i) {
    const auto& p = r.planned[i];
    ParamSplit ps = param_split(vocab, c.seq_len, p.shape);
    std::string loss = i < r.runs.runs.size() ? fmt::format("{:.4f}", r.runs.runs[i].loss) : "-";
    s += fmt::format("  {:<32} {:>10.4g} {:>10.4g} {:>5.0f}% {:>10.4g} {:>7} {:>9}\n", p.name,
                     p.params, ps.embedding, 100 * ps.share(), p.tokens, p.steps, loss);
  }
  s += fmt::format(
      "  (share: non-embedding parameters of all, with the data's {}-token vocabulary; the loss "
      "is each run's validation loss at its last step)\n",
      vocab);
  if (dry_run) return s;
  s += format_approach3(r.fit);
  if (!r.holdout_skipped.empty())
    s += "held-out: not predicted: " + r.holdout_skipped + "\n";
  else
    s += fmt::format("held-out {}: predicted loss {:.4f}", r.holdout.name, r.holdout_predicted);
  if (r.holdout_done)
    s += fmt::format(", actual {:.4f} (error {:+.4f})", r.holdout_actual,
                     r.holdout_predicted - r.holdout_actual);
  if (r.holdout_skipped.empty()) s += "\n";
  if (c.entropy > 0)
    s += fmt::format("fitted E {:.4f} vs true entropy {:.4f} nats/token\n", r.fit.params.E,
                     c.entropy);
  s += sweep_reading(c, r);
  s += fmt::format("wrote {0}/runs.csv, {0}/fit.json, {0}/sweep.json\n", c.out);
  return s;
}

std::string sweep_reading(const SweepConfig& c, const SweepResult& r) {
  if (r.runs.runs.empty()) return "";
  const int vocab = r.vocab > 0 ? r.vocab : c.vocab;
  double n_lo = INFINITY, n_hi = 0, d_lo = INFINITY, d_hi = 0, c_hi = 0, sh_lo = 1, sh_hi = 0;
  int embedding_heavy = 0;  // runs with under half their parameters outside the embedding
  for (const auto& p : r.planned) {
    n_lo = std::min(n_lo, p.params);
    n_hi = std::max(n_hi, p.params);
    d_lo = std::min(d_lo, p.tokens);
    d_hi = std::max(d_hi, p.tokens);
    c_hi = std::max(c_hi, p.flops);
    const double sh = param_split(vocab, c.seq_len, p.shape).share();
    sh_lo = std::min(sh_lo, sh);
    sh_hi = std::max(sh_hi, sh);
    embedding_heavy += sh < 0.5;
  }
  std::string s = "What this fit can and cannot tell:\n";
  s += fmt::format(
      "  - it describes these runs only: N {:.3g} to {:.3g} ({:.0f}x), D {:.3g} to {:.3g} tokens, "
      "one corpus, one seed, one learning rate for every size; non-embedding parameters are "
      "{:.0f}% to {:.0f}% of each model\n",
      n_lo, n_hi, n_hi / n_lo, d_lo, d_hi, 100 * sh_lo, 100 * sh_hi);
  if (embedding_heavy > 0)
    s += fmt::format(
        "  - note: {} of the {} runs have under 50% non-embedding parameters (down to {:.0f}%): "
        "the embedding dominates them, so the law's N there is mostly lookup table, not the "
        "layers whose compute the law is about\n",
        embedding_heavy, r.planned.size(), 100 * sh_lo);
  if (r.holdout_done) {
    const double err = r.holdout_predicted - r.holdout_actual;
    s += fmt::format(
        "  - can: predict a run {:.1f}x past the largest budget on the same data (held-out "
        "error {:+.3f} nats, {:+.1f}%); that the loss falls with both N and D here (alpha "
        "{:.2f}, beta {:.2f})\n",
        r.holdout.flops / c_hi, err, 100 * err / r.holdout_actual, r.fit.params.alpha,
        r.fit.params.beta);
  }
  if (!r.holdout_skipped.empty())
    s += fmt::format(
        "  - cannot, at these budgets: find a compute-optimal size (alpha {:.2f}: the smallest "
        "model wins every budget), so it predicts no held-out run\n",
        r.fit.params.alpha);
  s += fmt::format(
      "  - cannot: {}the exponents or tokens-per-parameter of models 100x larger (other regimes, "
      "learning rates tuned per size), nor the loss of runs far past the held-out budget\n",
      r.fit.e_identified ? ""
                         : "the irreducible loss (E not identified: the runs cannot separate "
                           "the floor from slowly falling N and D terms); ");
  return s;
}

}  // namespace lm::scaling
