// fake_lm.h: a closed-form LanguageModel for the task-harness tests: byte tokens (EOT = 256), a
// bigram model with add-one smoothing over a training string, so every log-likelihood is
// log((count(a,b) + 1) / (count(a) + 257)) and a test can recompute it by hand. It applies the
// harness's boundary rule (trailing context whitespace moves into the continuation; an empty
// context is conditioned on EOT), records every request, and generates greedily, by seeded
// sampling, or from a scripted function.
#pragma once

#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/rng.h"
#include "eval/lm.h"

namespace lm::eval::testing {

class FakeLm : public LanguageModel {
 public:
  static constexpr int kEot = 256;
  explicit FakeLm(const std::string& train = "the cat sat on the mat. 1+1=2. 2+2=4.") {
    counts_.assign(257 * 257, 0);
    totals_.assign(257, 0);
    int prev = kEot;
    for (unsigned char c : train) {
      counts_[prev * 257 + c]++;
      totals_[prev]++;
      prev = c;
    }
    info_.name = "fake";
    info_.format = "fake-bigram";
    info_.n_ctx = 1 << 20;
    info_.vocab_size = 257;
    info_.eot = kEot;
  }
  double logp(int prev, int tok) const {
    return std::log((counts_[prev * 257 + tok] + 1.0) / (totals_[prev] + 257.0));
  }
  int argmax(int prev) const {
    int best = 0;
    for (int t = 1; t < 257; t++)
      if (counts_[prev * 257 + t] > counts_[prev * 257 + best]) best = t;
    return best;
  }
  // The score the harness rule gives (context, continuation).
  LoglikelihoodResult score(std::string ctx, std::string cont) const {
    while (!ctx.empty() && std::isspace((unsigned char)ctx.back())) {
      cont.insert(cont.begin(), ctx.back());
      ctx.pop_back();
    }
    LoglikelihoodResult r;
    int prev = ctx.empty() ? kEot : (unsigned char)ctx.back();
    r.is_greedy = true;
    for (unsigned char c : cont) {
      double lp = logp(prev, c);
      bool g = argmax(prev) == c;
      r.logprob += lp;
      r.tokens.push_back(c);
      r.token_logprobs.push_back(lp);
      r.token_greedy.push_back(g ? 1 : 0);
      r.is_greedy = r.is_greedy && g;
      prev = c;
    }
    return r;
  }

  Result<std::vector<LoglikelihoodResult>> loglikelihood(
      std::span<const LoglikelihoodRequest> requests) override {
    std::vector<LoglikelihoodResult> out;
    for (const auto& q : requests) {
      ll_log.push_back(q);
      LoglikelihoodResult r = score(q.context, q.continuation);
      if (r.tokens.empty()) return invalid_argument("{}: the continuation has no tokens", q.label);
      out.push_back(std::move(r));
    }
    return out;
  }
  Result<std::vector<RollingResult>> loglikelihood_rolling(
      std::span<const std::string> docs) override {
    std::vector<RollingResult> out;
    for (const auto& d : docs) {
      rolling_log.push_back(d);
      RollingResult r;
      int prev = kEot;
      for (unsigned char c : d) {
        r.logprob += logp(prev, c);
        prev = c;
      }
      r.tokens = (int64_t)d.size();
      r.windows = 1;
      out.push_back(r);
    }
    return out;
  }
  Result<std::vector<std::vector<std::string>>> generate_until(
      std::span<const GenerationRequest> requests) override {
    std::vector<std::vector<std::string>> out;
    for (const auto& q : requests) {
      gen_log.push_back(q);
      std::vector<std::string> paths;
      for (int j = 0; j < q.samples; j++) {
        if (script) {
          paths.push_back(script(q, j));
          continue;
        }
        Rng rng(q.seed + (uint64_t)j);
        std::string s;
        int prev = q.context.empty() ? kEot : (unsigned char)q.context.back();
        for (int t = 0; t < q.kwargs.max_gen_toks; t++) {
          int tok = argmax(prev);
          if (q.kwargs.do_sample) tok = (int)rng.below(256);
          if (tok == kEot) break;
          s += (char)tok;
          bool stop = false;
          for (const auto& u : q.kwargs.until) {
            size_t at = s.find(u);
            if (!u.empty() && at != std::string::npos) {
              s.resize(at);
              stop = true;
            }
          }
          if (stop) break;
          prev = tok;
        }
        paths.push_back(s);
      }
      out.push_back(std::move(paths));
    }
    return out;
  }
  Result<std::vector<int>> encode(const std::string& text) const override {
    return std::vector<int>(text.begin(), text.end());
  }
  std::string decode(const std::vector<int>& ids) const override {
    std::string s;
    for (int i : ids)
      if (i < 256) s += (char)i;
    return s;
  }
  const ModelInfo& info() const override { return info_; }

  std::function<std::string(const GenerationRequest&, int)> script;
  std::vector<LoglikelihoodRequest> ll_log;
  std::vector<GenerationRequest> gen_log;
  std::vector<std::string> rolling_log;

 private:
  std::vector<int64_t> counts_, totals_;
  ModelInfo info_;
};

}  // namespace lm::eval::testing
