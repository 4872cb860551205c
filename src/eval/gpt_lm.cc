// gpt_lm.cc: GptLm, the scoring and generation rules of lm-evaluation-harness's HF backend on
// lmforge's batched KV forward. Work is cut into "jobs" (tokens fed after an optional shared
// prefix block, some rows predicting targets); the job runner packs jobs into forwards within a
// token and a logit-row budget, splitting a long job into pieces appended to its own KV block.
// Because every row's numbers depend only on its own tokens and prefix, the results are the
// same bytes whatever the batch size, the request mix, prefix sharing or the thread count.
#include "eval/gpt_lm.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>

#include "core/threads.h"
#include "generate/batch_forward.h"
#include "generate/sampler.h"
#include "kernels/kernels.h"
#include "uni/utf8.h"

namespace lm::eval {
namespace {

using generate::KvBlock;

bool python_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

// log p(target) under softmax(logits) (double accumulation) and whether target is the first
// maximal logit.
double token_logprob(const float* logits, int V, int target, bool* greedy) {
  float mx = logits[0];
  int arg = 0;
  for (int v = 1; v < V; v++)
    if (logits[v] > mx) mx = logits[v], arg = v;
  double s = 0;
  for (int v = 0; v < V; v++) s += std::exp((double)logits[v] - mx);
  *greedy = arg == target;
  return (double)logits[target] - mx - std::log(s);
}

// Tokens fed after `prefix` (may be null); row predict_from + j predicts targets[j].
struct Job {
  const KvBlock* prefix = nullptr;
  std::vector<int32_t> tokens;
  int predict_from = 0;
  std::vector<int32_t> targets;
  KvBlock* keep = nullptr;  // keys/values kept here (a shared prefix); null = scratch
  std::vector<double> logprob;
  std::vector<uint8_t> greedy;
};

class GptLm final : public LanguageModel {
 public:
  GptLm(std::unique_ptr<model::Gpt> gpt, generate::TextCodec codec, ModelInfo info,
        const ModelOptions& o)
      : gpt_(std::move(gpt)),
        fwd_(*gpt_),
        codec_(std::move(codec)),
        info_(std::move(info)),
        opt_(o) {
    const model::GptConfig& c = gpt_->config();
    n_ctx_ = c.n_ctx;
    vocab_ = c.vocab_size;
    eot_ = info_.eot;
    int bs = std::max(1, o.batch_size);
    token_budget_ = std::max<size_t>(n_ctx_, (size_t)bs * 128);
    row_budget_ = std::max<size_t>(16, ((size_t)1 << 24) / vocab_);
  }

  Result<std::vector<LoglikelihoodResult>> loglikelihood(
      std::span<const LoglikelihoodRequest> requests) override;
  Result<std::vector<RollingResult>> loglikelihood_rolling(
      std::span<const std::string> documents) override;
  Result<std::vector<std::vector<std::string>>> generate_until(
      std::span<const GenerationRequest> requests) override;
  Result<std::vector<int>> encode(const std::string& text) const override {
    return codec_.encode(text);
  }
  // Invalid UTF-8 (a token cut inside a character) becomes U+FFFD, as Python's
  // bytes.decode(errors="replace") that HF's decoders use.
  std::string decode(const std::vector<int>& ids) const override {
    return uni::utf8_repair(codec_.decode(ids));
  }
  const ModelInfo& info() const override { return info_; }

 private:
  Result<std::vector<int>> encode_checked(const std::string& text, const std::string& label) const;
  Status run_jobs(std::vector<Job>& jobs);

  std::unique_ptr<model::Gpt> gpt_;
  generate::BatchForward fwd_;
  generate::TextCodec codec_;
  ModelInfo info_;
  ModelOptions opt_;
  int n_ctx_ = 0, vocab_ = 0, eot_ = -1;
  size_t token_budget_ = 0, row_budget_ = 0;
  std::deque<KvBlock> pool_;  // scratch blocks, reused
};

Result<std::vector<int>> GptLm::encode_checked(const std::string& text,
                                               const std::string& label) const {
  LM_ASSIGN_OR_RETURN(std::vector<int> ids, codec_.encode(text));
  for (int t : ids)
    if (t < 0 || t >= vocab_)
      return invalid_argument("{}: token {} is outside the model's vocabulary of {}", label, t,
                              vocab_)
          .with_hint("the tokenizer does not belong to this model; pass the model's own");
  return ids;
}

Status GptLm::run_jobs(std::vector<Job>& jobs) {
  for (Job& j : jobs) {
    j.logprob.assign(j.targets.size(), 0.0);
    j.greedy.assign(j.targets.size(), 0);
  }
  struct Live {
    size_t job;
    int done;
    KvBlock* cache;
  };
  std::vector<Live> live;
  std::vector<KvBlock*> free_blocks;
  for (KvBlock& b : pool_) free_blocks.push_back(&b);
  auto take_block = [&]() -> KvBlock* {
    if (free_blocks.empty()) {
      pool_.emplace_back();
      return &pool_.back();
    }
    KvBlock* b = free_blocks.back();
    free_blocks.pop_back();
    b->clear();
    return b;
  };
  size_t next = 0;
  std::vector<generate::Segment> segs;
  struct Piece {
    size_t live;
    int from, len;
  };
  std::vector<Piece> pieces;
  while (next < jobs.size() || !live.empty()) {
    // Continue the jobs in flight first (each at most one piece per forward), then start new ones.
    size_t tok_left = token_budget_, rows_left = row_budget_;
    pieces.clear();
    auto add_piece = [&](size_t li) {
      const Job& j = jobs[live[li].job];
      int done = live[li].done, rem = (int)j.tokens.size() - done;
      int len = std::min<int>(rem, (int)tok_left);
      // kept rows of [done, done+len) are those at or after predict_from
      auto kept = [&](int n) { return std::max(0, done + n - std::max(done, j.predict_from)); };
      while (len > 0 && (size_t)kept(len) > rows_left) len--;
      if (len <= 0) return false;
      pieces.push_back({li, done, len});
      tok_left -= len;
      rows_left -= kept(len);
      return true;
    };
    bool room = true;
    for (size_t li = 0; li < live.size() && room; li++) room = add_piece(li);
    while (room && next < jobs.size()) {
      Job& j = jobs[next];
      KvBlock* cache = j.keep ? j.keep : take_block();
      cache->clear();
      live.push_back({next++, 0, cache});
      if (j.tokens.empty()) continue;  // nothing to feed (finished below)
      room = add_piece(live.size() - 1);
    }
    if (pieces.empty() && !live.empty()) {
      bool any = false;
      for (const Live& l : live) any |= l.done < (int)jobs[l.job].tokens.size();
      if (any) return internal_error("job runner: a job does not fit the forward budget");
    }
    segs.clear();
    for (const Piece& p : pieces) {
      const Job& j = jobs[live[p.live].job];
      generate::Segment s;
      if (j.prefix) s.prefix.push_back(j.prefix);
      s.cache = live[p.live].cache;
      s.tokens = std::span<const int32_t>(j.tokens.data() + p.from, p.len);
      s.logits_from = std::max(0, j.predict_from - p.from);
      segs.push_back(std::move(s));
    }
    if (!segs.empty()) LM_RETURN_IF_ERROR(fwd_.forward(segs));
    // Score the kept rows (in parallel: each row on its own).
    struct RowRef {
      Job* job;
      int target;
    };
    std::vector<RowRef> rows;
    for (const Piece& p : pieces) {
      Job& j = jobs[live[p.live].job];
      for (int i = std::max(p.from, j.predict_from); i < p.from + p.len; i++)
        rows.push_back({&j, i - j.predict_from});
      live[p.live].done += p.len;
    }
    if (!segs.empty() && rows.size() != fwd_.logit_rows())
      return internal_error("job runner: {} rows scored, {} logit rows", rows.size(),
                            fwd_.logit_rows());
#pragma omp parallel for schedule(static) num_threads(kernels::kernel_threads())
    for (size_t r = 0; r < rows.size(); r++) {
      Job& j = *rows[r].job;
      bool g = false;
      j.logprob[rows[r].target] =
          token_logprob(fwd_.logits(r), vocab_, j.targets[rows[r].target], &g);
      j.greedy[rows[r].target] = g;
    }
    // Retire finished jobs; their scratch blocks go back to the pool.
    std::vector<Live> still;
    for (const Live& l : live) {
      if (l.done < (int)jobs[l.job].tokens.size()) {
        still.push_back(l);
      } else if (!jobs[l.job].keep) {
        free_blocks.push_back(l.cache);
      }
    }
    live.swap(still);
  }
  return ok_status();
}

Result<std::vector<LoglikelihoodResult>> GptLm::loglikelihood(
    std::span<const LoglikelihoodRequest> requests) {
  // 1. The harness's boundary rule and truncation; the shared part is the input up to the
  // token before the last context token (that token is fed with each continuation).
  struct Enc {
    std::vector<int32_t> prefix;  // input[0 .. n-contlen) minus its last token
    int32_t last = 0;             // the token whose logits predict the first target
    std::vector<int32_t> cont;
  };
  std::vector<Enc> enc(requests.size());
  for (size_t i = 0; i < requests.size(); i++) {
    const LoglikelihoodRequest& r = requests[i];
    std::vector<int> ctx, cont;
    if (r.context.empty()) {
      ctx = {eot_};
      LM_ASSIGN_OR_RETURN(cont, encode_checked(r.continuation, r.label));
    } else {
      size_t ws = trailing_whitespace_bytes(r.context);
      std::string c = r.context.substr(0, r.context.size() - ws);
      std::string k = r.context.substr(r.context.size() - ws) + r.continuation;
      LM_ASSIGN_OR_RETURN(std::vector<int> whole, encode_checked(c + k, r.label));
      LM_ASSIGN_OR_RETURN(ctx, encode_checked(c, r.label));
      if (whole.size() > ctx.size()) cont.assign(whole.begin() + ctx.size(), whole.end());
      if (ctx.empty()) ctx = {eot_};  // an all-whitespace context: condition on EOT as for ""
    }
    if (cont.empty())
      return invalid_argument(
                 "{}: the continuation \"{}\" has no tokens of its own after the "
                 "context's (a token spans the join of context and continuation)",
                 r.label, r.continuation)
          .with_hint(
              "end the context with the delimiter or start the continuation with one "
              "(lm-evaluation-harness asserts here too)");
    if ((int)cont.size() > n_ctx_)
      return invalid_argument(
          "{}: the continuation has {} tokens, more than the model's context "
          "of {}",
          r.label, cont.size(), n_ctx_);
    // (ctx + cont)[-(n_ctx+1):][:-1]: keep the last n_ctx+1 tokens, feed all but the last.
    std::vector<int32_t> full(ctx.begin(), ctx.end());
    full.insert(full.end(), cont.begin(), cont.end());
    if ((int)full.size() > n_ctx_ + 1) full.erase(full.begin(), full.end() - (n_ctx_ + 1));
    size_t ctx_part = full.size() - cont.size();  // >= 1
    enc[i].prefix.assign(full.begin(), full.begin() + ctx_part - 1);
    enc[i].last = full[ctx_part - 1];
    enc[i].cont.assign(cont.begin(), cont.end());
  }
  // 2. Group equal prefixes (in order of first appearance) and score chunk by chunk: the
  // prefixes of a chunk are prefilled once, then every member's continuation extends its one.
  std::map<std::vector<int32_t>, size_t> group_of;
  std::vector<std::vector<size_t>> members;
  std::vector<const std::vector<int32_t>*> group_tokens;
  for (size_t i = 0; i < enc.size(); i++) {
    if (!opt_.share_prefixes) {
      members.push_back({i});
      group_tokens.push_back(&enc[i].prefix);
      continue;
    }
    auto [it, fresh] = group_of.emplace(enc[i].prefix, members.size());
    if (fresh) {
      members.emplace_back();
      group_tokens.push_back(&it->first);
    }
    members[it->second].push_back(i);
  }
  std::vector<LoglikelihoodResult> out(requests.size());
  for (size_t g0 = 0; g0 < members.size();) {
    size_t g1 = g0, tokens = 0;
    while (g1 < members.size() && (g1 == g0 || tokens + group_tokens[g1]->size() <= token_budget_))
      tokens += group_tokens[g1++]->size();
    std::deque<KvBlock> blocks(g1 - g0);
    std::vector<Job> pre, ext;
    for (size_t g = g0; g < g1; g++) {
      if (group_tokens[g]->empty()) continue;
      Job j;
      j.tokens = *group_tokens[g];
      j.predict_from = (int)j.tokens.size();
      j.keep = &blocks[g - g0];
      pre.push_back(std::move(j));
    }
    LM_RETURN_IF_ERROR(run_jobs(pre));
    std::vector<size_t> ext_req;
    for (size_t g = g0; g < g1; g++) {
      for (size_t i : members[g]) {
        Job j;
        j.prefix = group_tokens[g]->empty() ? nullptr : &blocks[g - g0];
        j.tokens.push_back(enc[i].last);
        j.tokens.insert(j.tokens.end(), enc[i].cont.begin(), enc[i].cont.end() - 1);
        j.targets = enc[i].cont;
        ext.push_back(std::move(j));
        ext_req.push_back(i);
      }
    }
    LM_RETURN_IF_ERROR(run_jobs(ext));
    for (size_t e = 0; e < ext.size(); e++) {
      LoglikelihoodResult& r = out[ext_req[e]];
      r.tokens.assign(enc[ext_req[e]].cont.begin(), enc[ext_req[e]].cont.end());
      r.token_logprobs = ext[e].logprob;
      r.token_greedy = ext[e].greedy;
      r.logprob = 0;
      r.is_greedy = true;
      for (size_t t = 0; t < r.token_logprobs.size(); t++) {
        r.logprob += r.token_logprobs[t];
        r.is_greedy = r.is_greedy && r.token_greedy[t];
      }
    }
    g0 = g1;
  }
  return out;
}

Result<std::vector<RollingResult>> GptLm::loglikelihood_rolling(
    std::span<const std::string> documents) {
  std::vector<RollingResult> out(documents.size());
  std::vector<Job> jobs;
  std::vector<size_t> doc_of;
  for (size_t d = 0; d < documents.size(); d++) {
    LM_ASSIGN_OR_RETURN(std::vector<int> toks,
                        encode_checked(documents[d], fmt::format("document {}", d)));
    out[d].tokens = (int64_t)toks.size();
    for (TokenWindow& w : rolling_windows(toks, eot_, n_ctx_)) {
      Job j;
      j.tokens.assign(w.input.begin(), w.input.end());
      j.predict_from = w.predict_from;
      j.targets.assign(w.targets.begin(), w.targets.end());
      jobs.push_back(std::move(j));
      doc_of.push_back(d);
      out[d].windows++;
    }
  }
  LM_RETURN_IF_ERROR(run_jobs(jobs));
  for (size_t j = 0; j < jobs.size(); j++)
    for (double lp : jobs[j].logprob) out[doc_of[j]].logprob += lp;
  return out;
}

Result<std::vector<std::vector<std::string>>> GptLm::generate_until(
    std::span<const GenerationRequest> requests) {
  std::vector<std::vector<std::string>> out(requests.size());
  struct Path {
    size_t req = 0;
    int index = 0;  // j of Rng(seed + j)
    KvBlock cache;
    Rng rng;
    std::vector<int> ids;
    int32_t next = 0;  // the token to feed
    bool done = false;
    std::string text;
  };
  size_t bs = (size_t)std::max(1, opt_.batch_size);
  for (size_t r0 = 0; r0 < requests.size(); r0 += bs) {
    size_t r1 = std::min(requests.size(), r0 + bs);
    std::deque<KvBlock> prompts(r1 - r0);
    std::deque<Path> paths;
    std::vector<Job> pre;
    std::vector<int32_t> last(r1 - r0);
    for (size_t q = r0; q < r1; q++) {
      const GenerationRequest& rq = requests[q];
      const GenerationKwargs& kw = rq.kwargs;
      if (rq.samples < 1)
        return invalid_argument("{}: samples is {} (at least 1)", rq.label, rq.samples);
      if (kw.max_gen_toks < 1)
        return invalid_argument("{}: max_gen_toks is {} (at least 1)", rq.label, kw.max_gen_toks);
      bool sample = kw.do_sample && kw.temperature > 0;
      generate::SamplerOptions so{(float)kw.temperature, kw.top_k, (float)kw.top_p};
      if (!sample) so = generate::SamplerOptions{0.0f, 0, 1.0f};
      LM_RETURN_IF_ERROR(so.validate().with_context(rq.label));
      LM_ASSIGN_OR_RETURN(std::vector<int> ctx, encode_checked(rq.context, rq.label));
      if (ctx.empty()) ctx = {eot_};
      // The harness keeps the last (max_length - max_gen_toks) context tokens.
      int keep = std::max(1, n_ctx_ - kw.max_gen_toks);
      if ((int)ctx.size() > keep) ctx.erase(ctx.begin(), ctx.end() - keep);
      last[q - r0] = ctx.back();
      if (ctx.size() > 1) {
        Job j;
        j.tokens.assign(ctx.begin(), ctx.end() - 1);
        j.predict_from = (int)j.tokens.size();
        j.keep = &prompts[q - r0];
        pre.push_back(std::move(j));
      }
      // Greedy paths are all the same: decode one and copy it.
      int n = sample ? rq.samples : 1;
      for (int s = 0; s < n; s++) {
        Path& p = paths.emplace_back();
        p.req = q, p.index = s, p.rng = Rng(rq.seed + (uint64_t)s), p.next = ctx.back();
      }
    }
    LM_RETURN_IF_ERROR(run_jobs(pre));
    std::vector<generate::Sampler> samplers;
    for (size_t q = r0; q < r1; q++) {
      const GenerationKwargs& kw = requests[q].kwargs;
      bool sample = kw.do_sample && kw.temperature > 0;
      samplers.emplace_back(
          sample ? generate::SamplerOptions{(float)kw.temperature, kw.top_k, (float)kw.top_p}
                 : generate::SamplerOptions{0.0f, 0, 1.0f});
    }
    // Step every unfinished path of the chunk together, one token each.
    std::vector<generate::Segment> segs;
    std::vector<Path*> active;
    for (;;) {
      segs.clear();
      active.clear();
      for (Path& p : paths) {
        if (p.done) continue;
        generate::Segment s;
        if (prompts[p.req - r0].size() > 0) s.prefix.push_back(&prompts[p.req - r0]);
        s.cache = &p.cache;
        s.tokens = std::span<const int32_t>(&p.next, 1);
        segs.push_back(std::move(s));
        active.push_back(&p);
        if (segs.size() >= row_budget_) break;
      }
      if (segs.empty()) break;
      LM_RETURN_IF_ERROR(fwd_.forward(segs));
      for (size_t a = 0; a < active.size(); a++) {
        Path& p = *active[a];
        const GenerationRequest& rq = requests[p.req];
        int tok = samplers[p.req - r0].sample(fwd_.logits(a), vocab_, p.rng);
        if (tok == eot_) {
          p.done = true;
          continue;
        }
        p.ids.push_back(tok);
        p.next = tok;
        p.text = decode(p.ids);
        bool stop = false;
        for (const std::string& u : rq.kwargs.until)
          if (!u.empty() && p.text.find(u) != std::string::npos) stop = true;
        int used = prompts[p.req - r0].size() + p.cache.size();
        if (stop || (int)p.ids.size() >= rq.kwargs.max_gen_toks || used + 1 > n_ctx_) p.done = true;
      }
    }
    for (size_t q = r0; q < r1; q++) out[q].assign(requests[q].samples, std::string());
    for (Path& p : paths) {
      const GenerationRequest& rq = requests[p.req];
      std::string s = decode(p.ids);
      size_t cut = s.size();
      for (const std::string& u : rq.kwargs.until)
        if (!u.empty()) cut = std::min(cut, s.find(u));
      s.resize(cut);
      bool sample = rq.kwargs.do_sample && rq.kwargs.temperature > 0;
      if (sample)
        out[p.req][p.index] = std::move(s);
      else
        std::fill(out[p.req].begin(), out[p.req].end(), s);
    }
  }
  return out;
}

}  // namespace

size_t trailing_whitespace_bytes(std::string_view s) {
  size_t pos = 0, end_non_space = 0;
  while (pos < s.size()) {
    char32_t c = uni::utf8_decode(s, &pos);
    if (!python_space(c)) end_non_space = pos;
  }
  return s.size() - end_non_space;
}

std::vector<TokenWindow> rolling_windows(const std::vector<int>& tokens, int prefix_token,
                                         int max_len) {
  // get_rolling_token_windows(token_list, prefix_token, max_seq_len, context_len=1), then
  // make_disjoint_window: context a[:len(a)-len(b)+1], continuation b, and the model input
  // (context + continuation)[-(max_len+1):][:-1].
  std::vector<TokenWindow> out;
  const int n = (int)tokens.size();
  if (n == 0) return out;
  auto add = [&](std::vector<int> a, std::vector<int> b) {
    std::vector<int> seq(a.begin(), a.end() - (long)(b.size() - 1));
    seq.insert(seq.end(), b.begin(), b.end());
    if ((int)seq.size() > max_len + 1) seq.erase(seq.begin(), seq.end() - (max_len + 1));
    TokenWindow w;
    w.input.assign(seq.begin(), seq.end() - 1);
    w.predict_from = (int)w.input.size() - (int)b.size();
    w.targets = std::move(b);
    out.push_back(std::move(w));
  };
  int first = std::min(max_len, n);
  std::vector<int> a{prefix_token};
  a.insert(a.end(), tokens.begin(), tokens.begin() + first - 1);
  add(a, std::vector<int>(tokens.begin(), tokens.begin() + first));
  int predicted = first;
  while (predicted < n) {
    int wlen = std::min(n - predicted, max_len), end = predicted + wlen;
    add(std::vector<int>(tokens.begin() + (end - max_len - 1), tokens.begin() + (end - 1)),
        std::vector<int>(tokens.begin() + (end - wlen), tokens.begin() + end));
    predicted += wlen;
  }
  return out;
}

Result<std::unique_ptr<LanguageModel>> make_gpt_lm(std::unique_ptr<model::Gpt> gpt,
                                                   generate::TextCodec codec, ModelInfo info,
                                                   const ModelOptions& options) {
  if (!gpt) return internal_error("make_gpt_lm: no model");
  kernels::set_kernel_threads(resolve_threads(options.threads));
  const model::GptConfig& c = gpt->config();
  if (info.params == 0) info.params = c.num_params();
  if (info.n_ctx == 0) info.n_ctx = c.n_ctx;
  if (info.vocab_size == 0) info.vocab_size = c.vocab_size;
  if (info.eot < 0) info.eot = codec.eot();
  if (info.eot < 0 || info.eot >= c.vocab_size)
    return invalid_argument("{}: the end-of-text token {} is not in the model's vocabulary of {}",
                            info.path, info.eot, c.vocab_size)
        .with_hint("the tokenizer has no <|endoftext|>: pass the model's own tokenizer");
  if (info.tokenizer.empty()) info.tokenizer = codec.name();
  return std::unique_ptr<LanguageModel>(
      new GptLm(std::move(gpt), std::move(codec), std::move(info), options));
}

}  // namespace lm::eval
