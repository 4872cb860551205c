// evaluator.cc: prepare (data, prompts, gold answers, filters, metrics) then run (requests per
// output_type, filters, per-document metrics, aggregation) one task, the way the harness's
// ConfigurableTask.construct_requests / process_results and evaluator.evaluate do it.
#include "eval/evaluator.h"

#include <cmath>
#include <map>
#include <set>

#include "core/progress.h"
#include "core/rng.h"
#include "eval/fewshot.h"
#include "eval/filters.h"
#include "eval/metrics.h"
#include "eval/prompt.h"
#include "eval/results.h"

namespace lm::eval {
namespace {

enum class Agg { kMean, kPerplexity, kWeightedPerplexity, kBitsPerByte };

struct MetricSpec {
  std::string name;
  Agg agg = Agg::kMean;
  bool higher_is_better = true;
  std::unique_ptr<ExactMatcher> matcher;  // exact_match
};

struct DocInfo {
  int64_t doc_id = 0;
  Json doc;
  Json target;  // doc_to_target as the harness returns it
  std::string target_text;
  std::vector<std::string> references;  // generate_until
  std::vector<std::string> choices;     // multiple_choice
  std::vector<int> gold;
  std::string context;
};

const std::map<std::string, std::set<std::string>>& metrics_by_type() {
  static const std::map<std::string, std::set<std::string>> kMetricsByType = {
      {"loglikelihood", {"acc", "perplexity", "target_logprob", "token_accuracy"}},
      {"multiple_choice",
       {"acc", "acc_norm", "acc_bytes", "acc_mutual_info", "exact_match", "brier_score"}},
      {"generate_until",
       {"exact_match", "token_edit_distance", "target_logprob", "token_accuracy"}},
      {"loglikelihood_rolling", {"word_perplexity", "byte_perplexity", "bits_per_byte"}}};
  return kMetricsByType;
}

std::vector<std::string> default_metrics(const std::string& type) {
  if (type == "loglikelihood") return {"perplexity", "acc"};
  if (type == "multiple_choice") return {"acc", "acc_norm"};
  if (type == "loglikelihood_rolling")
    return {"word_perplexity", "byte_perplexity", "bits_per_byte"};
  return {"exact_match"};
}

const char* agg_name(Agg a) {
  switch (a) {
    case Agg::kMean:
      return "mean";
    case Agg::kPerplexity:
      return "perplexity";
    case Agg::kWeightedPerplexity:
      return "weighted_perplexity";
    case Agg::kBitsPerByte:
      return "bits_per_byte";
  }
  return "mean";
}

Result<MetricSpec> make_metric(const std::string& name, const MetricConfig* mc,
                               const TaskConfig& c) {
  std::string where = mc ? mc->where : c.file;
  const auto& allowed = metrics_by_type().at(c.output_type);
  if (!allowed.count(name)) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    return invalid_argument("{}: metric '{}' does not apply to output_type {} (it takes: {})",
                            where, name, c.output_type, list);
  }
  MetricSpec m;
  m.name = name;
  if (name == "perplexity")
    m.agg = Agg::kPerplexity;
  else if (name == "word_perplexity" || name == "byte_perplexity")
    m.agg = Agg::kWeightedPerplexity;
  else if (name == "bits_per_byte")
    m.agg = Agg::kBitsPerByte;
  m.higher_is_better =
      !(name == "brier_score" || name == "token_edit_distance" || m.agg != Agg::kMean);
  if (mc && !mc->aggregation.empty() && mc->aggregation != agg_name(m.agg))
    return invalid_argument(
        "{}: aggregation '{}' for {} is not supported (lmforge aggregates it as {})", where,
        mc->aggregation, name, agg_name(m.agg));
  if (mc && mc->higher_is_better) m.higher_is_better = *mc->higher_is_better;
  if (name == "exact_match") {
    auto em = ExactMatcher::create(mc ? mc->exact_match : ExactMatchOptions{});
    if (!em.ok()) return em.status().with_context(where);
    m.matcher = std::make_unique<ExactMatcher>(std::move(*em));
  }
  return m;
}

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Json gen_kwargs_json(const GenerationKwargs& g) {
  return Json{{"until", g.until},         {"max_gen_toks", g.max_gen_toks},
              {"do_sample", g.do_sample}, {"temperature", g.temperature},
              {"top_k", g.top_k},         {"top_p", g.top_p}};
}

uint64_t gen_seed(uint64_t seed, int64_t doc_id, int stage) {
  uint64_t x = seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(doc_id + 1)) ^ ((uint64_t)stage << 56);
  return splitmix64(x);
}

}  // namespace

class PreparedTask {
 public:
  StrategyPlan plan;
  std::string name;
  int n_shot = 0;
  int64_t n_original = 0;
  std::vector<DocInfo> docs;
  std::vector<MetricSpec> metrics;
  std::vector<FilterPipeline> filters;
  GenerationKwargs gen;
  bool mutual_info = false, target_ll = false;
};

void PreparedTaskDeleter::operator()(PreparedTask* p) const { delete p; }

Result<PreparedTaskPtr> prepare_task(const StrategyPlan& plan, const EvalTaskOptions& o) {
  PreparedTaskPtr t(new PreparedTask());
  t->plan = plan;
  t->name = plan.name;
  const TaskConfig& c = t->plan.config;
  LM_ASSIGN_OR_RETURN(DocRenderer renderer, DocRenderer::create(c));
  LM_ASSIGN_OR_RETURN(std::string split, eval_split(c));
  LM_ASSIGN_OR_RETURN(std::vector<Json> docs, load_split(c, split, o.data));
  t->n_original = (int64_t)docs.size();
  if (docs.empty())
    return invalid_argument("{}: task '{}': the {} split has no documents", c.file, c.task, split);
  int64_t n = o.limit > 0 ? std::min<int64_t>(o.limit, (int64_t)docs.size()) : (int64_t)docs.size();
  t->n_shot = plan.two_stage ? 0 : (o.num_fewshot ? *o.num_fewshot : c.num_fewshot.value_or(0));
  t->plan.config.raw["num_fewshot"] = t->n_shot;

  // Few-shot pool: inline samples, else fewshot_split / training / validation / test.
  std::vector<Json> pool;
  bool same_split = false;
  if (t->n_shot > 0) {
    if (!c.fewshot_samples.empty()) {
      pool = c.fewshot_samples;
    } else {
      std::string ps = fewshot_pool_split(c);
      // The evaluated split is its own pool (k + 1 drawn, the document dropped) when it is the
      // same split or the same file (a dataset_path that is one file serves every split).
      auto pool_file = split_file(c, ps, o.data), eval_file = split_file(c, split, o.data);
      same_split = ps == split || (pool_file.ok() && eval_file.ok() && *pool_file == *eval_file);
      if (same_split)
        pool = docs;
      else {
        LM_ASSIGN_OR_RETURN(pool, load_split(c, ps, o.data));
      }
    }
  }
  FewshotSampler sampler(std::move(pool), c.fewshot_sampler, o.seed, same_split);

  // Metrics and filters.
  if (c.metric_list.empty()) {
    for (const auto& m : default_metrics(c.output_type)) {
      LM_ASSIGN_OR_RETURN(MetricSpec s, make_metric(m, nullptr, c));
      t->metrics.push_back(std::move(s));
    }
  }
  for (const auto& mc : c.metric_list) {
    if (plan.two_stage && mc.metric != "exact_match" && mc.metric != "token_edit_distance")
      continue;
    LM_ASSIGN_OR_RETURN(MetricSpec s, make_metric(mc.metric, &mc, c));
    t->metrics.push_back(std::move(s));
  }
  if (plan.two_stage && t->metrics.empty()) {
    LM_ASSIGN_OR_RETURN(MetricSpec s, make_metric("exact_match", nullptr, c));
    t->metrics.push_back(std::move(s));
  }
  for (const auto& m : t->metrics) {
    t->mutual_info = t->mutual_info || m.name == "acc_mutual_info";
    t->target_ll = t->target_ll || m.name == "target_logprob" || m.name == "token_accuracy";
  }
  if (plan.two_stage) {
    std::vector<FilterStep> steps = {FilterStep{.function = "take_first"}};
    std::string fname = "first-number";
    if (plan.samples > 1) {
      steps = {FilterStep{.function = "majority_vote"}, FilterStep{.function = "take_first"}};
      fname = fmt::format("maj@{}", plan.samples);
    }
    LM_ASSIGN_OR_RETURN(FilterPipeline f,
                        FilterPipeline::create(fname, steps, c.file + ": zero-shot CoT"));
    t->filters.push_back(std::move(f));
  } else if (c.output_type == "generate_until") {
    if (c.filter_list.empty()) {
      LM_ASSIGN_OR_RETURN(
          FilterPipeline f,
          FilterPipeline::create("none", {FilterStep{.function = "take_first"}}, c.file));
      t->filters.push_back(std::move(f));
    }
    for (const auto& fc : c.filter_list) {
      LM_ASSIGN_OR_RETURN(FilterPipeline f, FilterPipeline::create(fc.name, fc.steps, fc.where));
      t->filters.push_back(std::move(f));
    }
  } else {
    if (!c.filter_list.empty())
      return invalid_argument("{}: filter_list applies to generate_until tasks, '{}' is {}",
                              c.filter_list[0].where, c.task, c.output_type);
    LM_ASSIGN_OR_RETURN(FilterPipeline f, FilterPipeline::create("none", {}, c.file));
    t->filters.push_back(std::move(f));
  }
  t->gen = c.generation_kwargs;
  if (!c.has_generation_kwargs) t->gen.until = {c.fewshot_delimiter};  // the harness's default

  // Documents, gold answers and prompts.
  for (int64_t i = 0; i < n; i++) {
    DocInfo d;
    d.doc_id = i;
    d.doc = docs[(size_t)i];
    auto fill = [&]() -> Status {
      LM_ASSIGN_OR_RETURN(d.target, renderer.target(d.doc));
      if (c.output_type == "multiple_choice") {
        LM_ASSIGN_OR_RETURN(d.choices, renderer.choices(d.doc));
        LM_ASSIGN_OR_RETURN(d.gold, renderer.gold(d.doc));
      }
      LM_ASSIGN_OR_RETURN(d.target_text, renderer.target_text(d.doc));
      if (c.output_type == "generate_until") {
        LM_ASSIGN_OR_RETURN(d.references, renderer.references(d.doc));
      }
      if ((c.output_type == "loglikelihood" || c.output_type == "loglikelihood_rolling") &&
          d.target_text.empty())
        return invalid_argument("the target is empty");
      LM_ASSIGN_OR_RETURN(std::vector<const Json*> shots, sampler.sample(d.doc, i, t->n_shot));
      LM_ASSIGN_OR_RETURN(d.context, build_context(c, renderer, d.doc, shots));
      return ok_status();
    };
    Status s = fill();
    if (!s.ok())
      return s.with_context(fmt::format("{}: task '{}', {} doc {}", c.file, c.task, split, i));
    t->docs.push_back(std::move(d));
  }
  return t;
}

std::vector<std::string> prepared_contexts(const PreparedTask& t) {
  std::vector<std::string> out;
  for (const auto& d : t.docs) out.push_back(d.context);
  return out;
}

const std::string& prepared_name(const PreparedTask& t) { return t.name; }

int64_t prepared_requests(const PreparedTask& t) {
  const std::string& type = t.plan.config.output_type;
  int64_t n = 0;
  for (const auto& d : t.docs) {
    if (type == "multiple_choice")
      n += (int64_t)d.choices.size() * (t.mutual_info ? 2 : 1);
    else if (t.plan.two_stage)
      n += 1 + t.plan.samples;
    else
      n += 1 + (t.target_ll ? 1 : 0);
  }
  return n;
}

namespace {

// Per (metric, filter) items for aggregation.
struct Items {
  std::vector<double> values;
  std::vector<Weighted> weighted;
};

Result<std::vector<LoglikelihoodResult>> run_ll(LanguageModel& lm,
                                                const std::vector<LoglikelihoodRequest>& reqs,
                                                const std::string& desc, int batch) {
  std::vector<LoglikelihoodResult> out;
  Progress progress(desc, reqs.size());
  for (size_t b = 0; b < reqs.size(); b += (size_t)batch) {
    size_t e = std::min(reqs.size(), b + (size_t)batch);
    LM_ASSIGN_OR_RETURN(
        auto r, lm.loglikelihood(std::span<const LoglikelihoodRequest>(reqs.data() + b, e - b)));
    if (r.size() != e - b)
      return internal_error("the model returned {} results for {} requests", r.size(), e - b);
    for (auto& x : r) out.push_back(std::move(x));
    progress.add(e - b);
  }
  progress.finish();
  return out;
}

Result<std::vector<std::vector<std::string>>> run_gen(LanguageModel& lm,
                                                      const std::vector<GenerationRequest>& reqs,
                                                      const std::string& desc, int batch) {
  std::vector<std::vector<std::string>> out;
  Progress progress(desc, reqs.size());
  size_t step = std::max<size_t>(1, (size_t)batch / 16);
  for (size_t b = 0; b < reqs.size(); b += step) {
    size_t e = std::min(reqs.size(), b + step);
    LM_ASSIGN_OR_RETURN(
        auto r, lm.generate_until(std::span<const GenerationRequest>(reqs.data() + b, e - b)));
    if (r.size() != e - b)
      return internal_error("the model returned {} generations for {} requests", r.size(), e - b);
    for (size_t i = 0; i < r.size(); i++)
      if ((int)r[i].size() != reqs[b + i].samples)
        return internal_error("{}: the model returned {} samples, {} asked", reqs[b + i].label,
                              r[i].size(), reqs[b + i].samples);
    for (auto& x : r) out.push_back(std::move(x));
    progress.add(e - b);
  }
  progress.finish();
  return out;
}

Json ll_pair(const LoglikelihoodResult& r) { return Json::array({r.logprob, r.is_greedy}); }

double token_mean(const LoglikelihoodResult& r, bool greedy) {
  if (r.token_logprobs.empty()) return 0;
  double s = 0;
  for (size_t i = 0; i < r.token_logprobs.size(); i++)
    s += greedy ? (double)r.token_greedy[i] : r.token_logprobs[i];
  return s / (double)r.token_logprobs.size();
}

}  // namespace

Result<TaskResult> run_task(LanguageModel& lm, const PreparedTask& t, const EvalTaskOptions& o) {
  const TaskConfig& c = t.plan.config;
  const std::string& type = c.output_type;
  const size_t nf = t.filters.size();
  TaskResult res;
  res.name = t.name;
  res.task = c.task;
  res.strategy = t.plan.strategy;
  res.output_type = type;
  res.config = c.raw;
  res.version = task_version(c);
  res.n_shot = t.n_shot;
  res.n_original = t.n_original;
  res.n_effective = (int64_t)t.docs.size();
  for (const auto& f : t.filters) res.filters.push_back(f.name());
  std::vector<std::vector<Items>> items(t.metrics.size(), std::vector<Items>(nf));
  // Per document, per filter: the metric values (for samples) and the JSON pieces.
  auto label = [&](const DocInfo& d, const std::string& what) {
    return fmt::format("task {}, doc {}{}", t.name, d.doc_id, what);
  };

  // Requests and responses, per output type.
  std::vector<Json> arguments(t.docs.size()), resps(t.docs.size());
  std::vector<std::vector<Json>> filtered(t.docs.size(), std::vector<Json>(nf));
  std::vector<std::vector<std::map<std::string, Json>>> values(
      t.docs.size(), std::vector<std::map<std::string, Json>>(nf));
  auto put = [&](size_t di, size_t fi, size_t mi, double v, const Json& logged) {
    items[mi][fi].values.push_back(v);
    values[di][fi][t.metrics[mi].name] = logged;
  };
  auto put_w = [&](size_t di, size_t fi, size_t mi, Weighted w) {
    items[mi][fi].weighted.push_back(w);
    values[di][fi][t.metrics[mi].name] = Json::array({w.ll, w.weight});
  };

  if (type == "loglikelihood" || type == "multiple_choice" ||
      (type == "generate_until" && t.target_ll && !t.plan.two_stage)) {
    std::vector<LoglikelihoodRequest> reqs;
    for (const auto& d : t.docs) {
      if (type == "multiple_choice") {
        for (size_t k = 0; k < d.choices.size(); k++)
          reqs.push_back({d.context, c.target_delimiter + d.choices[k],
                          label(d, fmt::format(", choice {}", k))});
        if (t.mutual_info)
          for (size_t k = 0; k < d.choices.size(); k++)
            reqs.push_back(
                {"", d.choices[k], label(d, fmt::format(", unconditional choice {}", k))});
      } else {
        reqs.push_back({d.context, c.target_delimiter + d.target_text, label(d, ", target")});
      }
    }
    LM_ASSIGN_OR_RETURN(auto lls, run_ll(lm, reqs, t.name + " (loglikelihood)", o.batch_requests));
    size_t at = 0;
    for (size_t di = 0; di < t.docs.size(); di++) {
      const DocInfo& d = t.docs[di];
      if (type == "multiple_choice") {
        size_t nc = d.choices.size();
        std::vector<double> ll(nc), uncond(nc);
        arguments[di] = Json::array();
        resps[di] = Json::array();
        filtered[di][0] = Json::array();
        for (size_t k = 0; k < nc; k++) {
          const auto& r = lls[at + k];
          ll[k] = r.logprob;
          arguments[di].push_back(Json::array({reqs[at + k].context, reqs[at + k].continuation}));
          resps[di].push_back(Json::array({ll_pair(r)}));
          filtered[di][0].push_back(ll_pair(r));
        }
        if (t.mutual_info) {
          for (size_t k = 0; k < nc; k++) {
            const auto& r = lls[at + nc + k];
            uncond[k] = r.logprob;
            arguments[di].push_back(Json::array({"", reqs[at + nc + k].continuation}));
            resps[di].push_back(Json::array({ll_pair(r)}));
            filtered[di][0].push_back(ll_pair(r));
          }
        }
        for (size_t mi = 0; mi < t.metrics.size(); mi++) {
          const std::string& m = t.metrics[mi].name;
          double v = 0;
          if (m == "acc")
            v = mc_acc(ll, d.gold);
          else if (m == "acc_norm")
            v = mc_acc_norm(ll, d.choices, d.gold);
          else if (m == "acc_bytes")
            v = mc_acc_bytes(ll, d.choices, d.gold);
          else if (m == "acc_mutual_info")
            v = mc_acc_mutual_info(ll, uncond, d.gold);
          else if (m == "exact_match")
            v = lls[at + d.gold[0]].is_greedy ? 1.0 : 0.0;
          else if (m == "brier_score")
            v = brier_score(ll, d.gold[0]);
          put(di, 0, mi, v, v);
        }
        at += nc * (t.mutual_info ? 2 : 1);
      } else if (type == "loglikelihood") {
        const auto& r = lls[at++];
        arguments[di] = Json::array({Json::array({reqs[di].context, reqs[di].continuation})});
        resps[di] = Json::array({Json::array({ll_pair(r)})});
        filtered[di][0] = Json::array({ll_pair(r)});
        for (size_t mi = 0; mi < t.metrics.size(); mi++) {
          const std::string& m = t.metrics[mi].name;
          if (m == "perplexity")
            put(di, 0, mi, r.logprob, r.logprob);
          else if (m == "acc")
            put(di, 0, mi, r.is_greedy ? 1.0 : 0.0, r.is_greedy ? 1.0 : 0.0);
          else if (m == "target_logprob")
            put(di, 0, mi, token_mean(r, false), token_mean(r, false));
          else
            put(di, 0, mi, token_mean(r, true), token_mean(r, true));
        }
      } else {  // generate_until's teacher-forced target, scored below with the generations
        resps[di] = Json::array({Json::array({ll_pair(lls[at])})});
        for (size_t fi = 0; fi < nf; fi++)
          for (size_t mi = 0; mi < t.metrics.size(); mi++) {
            const std::string& m = t.metrics[mi].name;
            if (m == "target_logprob")
              put(di, fi, mi, token_mean(lls[at], false), token_mean(lls[at], false));
            if (m == "token_accuracy")
              put(di, fi, mi, token_mean(lls[at], true), token_mean(lls[at], true));
          }
        at++;
      }
    }
  }

  if (type == "loglikelihood_rolling") {
    std::vector<std::string> texts;
    for (const auto& d : t.docs) texts.push_back(d.target_text);
    Progress progress(t.name + " (rolling)", texts.size());
    std::vector<RollingResult> rr;
    for (size_t b = 0; b < texts.size(); b += 16) {
      size_t e = std::min(texts.size(), b + 16);
      LM_ASSIGN_OR_RETURN(
          auto r, lm.loglikelihood_rolling(std::span<const std::string>(texts.data() + b, e - b)));
      for (auto& x : r) rr.push_back(x);
      progress.add(e - b);
    }
    progress.finish();
    for (size_t di = 0; di < t.docs.size(); di++) {
      arguments[di] = Json::array({Json::array({texts[di]})});
      resps[di] = Json::array({Json::array({rr[di].logprob})});
      filtered[di][0] = Json::array({rr[di].logprob});
      for (size_t mi = 0; mi < t.metrics.size(); mi++) {
        const std::string& m = t.metrics[mi].name;
        double w =
            m == "word_perplexity" ? (double)count_words(texts[di]) : (double)texts[di].size();
        put_w(di, 0, mi, Weighted{rr[di].logprob, w});
      }
    }
  }

  if (type == "generate_until") {
    // answers[di][fi]: the filtered answer each metric compares with the references.
    std::vector<std::vector<std::string>> answers(t.docs.size(), std::vector<std::string>(nf));
    std::vector<GenerationRequest> reqs;
    const GenerationKwargs& g1 = t.plan.two_stage ? t.plan.stage1 : t.gen;
    for (const auto& d : t.docs) {
      std::string ctx =
          t.plan.two_stage ? d.context + c.target_delimiter + t.plan.trigger : d.context;
      int samples = t.plan.two_stage ? t.plan.samples : c.repeats;
      reqs.push_back({ctx, g1, samples, gen_seed(o.seed, d.doc_id, 1), label(d, ", generation")});
    }
    LM_ASSIGN_OR_RETURN(auto gens, run_gen(lm, reqs, t.name + " (generate)", o.batch_requests));
    std::vector<std::vector<std::string>> responses = gens;  // what the filters see
    std::vector<GenerationRequest> reqs2;
    if (t.plan.two_stage) {
      for (size_t di = 0; di < t.docs.size(); di++)
        for (size_t j = 0; j < gens[di].size(); j++)
          reqs2.push_back({reqs[di].context + gens[di][j] + t.plan.answer_trigger, t.plan.stage2, 1,
                           gen_seed(o.seed, t.docs[di].doc_id, 2),
                           label(t.docs[di], fmt::format(", answer {}", j))});
      LM_ASSIGN_OR_RETURN(auto gens2, run_gen(lm, reqs2, t.name + " (answer)", o.batch_requests));
      size_t at = 0;
      for (size_t di = 0; di < t.docs.size(); di++) {
        Json stage2 = Json::array();
        for (size_t j = 0; j < gens[di].size(); j++, at++) {
          responses[di][j] = first_number(gens2[at][0]);
          stage2.push_back(gens2[at][0]);
        }
        arguments[di] = Json::array({Json::array({reqs[di].context, gen_kwargs_json(g1)})});
        for (size_t j = 0; j < gens[di].size(); j++)
          arguments[di].push_back(Json::array(
              {reqs2[at - gens[di].size() + j].context, gen_kwargs_json(t.plan.stage2)}));
        resps[di] = Json::array({gens[di], stage2});
      }
    } else {
      for (size_t di = 0; di < t.docs.size(); di++) {
        arguments[di] = Json::array({Json::array({reqs[di].context, gen_kwargs_json(g1)})});
        Json r = Json::array({gens[di]});
        if (t.target_ll && resps[di].is_array()) r.push_back(resps[di][0]);
        resps[di] = r;
      }
    }
    for (size_t di = 0; di < t.docs.size(); di++) {
      const DocInfo& d = t.docs[di];
      for (size_t fi = 0; fi < nf; fi++) {
        std::vector<std::string> out = t.filters[fi].apply(responses[di]);
        answers[di][fi] = out.empty() ? std::string() : out[0];
        filtered[di][fi] = Json::array({answers[di][fi]});
        for (size_t mi = 0; mi < t.metrics.size(); mi++) {
          const std::string& m = t.metrics[mi].name;
          if (m == "exact_match") {
            double v = t.metrics[mi].matcher->score_any(answers[di][fi], d.references);
            put(di, fi, mi, v, v);
          } else if (m == "token_edit_distance") {
            LM_ASSIGN_OR_RETURN(std::vector<int> a, lm.encode(answers[di][fi]));
            int64_t best = -1;
            for (const auto& ref : d.references) {
              LM_ASSIGN_OR_RETURN(std::vector<int> b, lm.encode(ref));
              int64_t e = token_edit_distance(a, b);
              if (best < 0 || e < best) best = e;
            }
            put(di, fi, mi, (double)best, (double)best);
          }
        }
      }
    }
  }

  // Aggregate.
  for (size_t fi = 0; fi < nf; fi++) {
    for (size_t mi = 0; mi < t.metrics.size(); mi++) {
      const MetricSpec& m = t.metrics[mi];
      const Items& it = items[mi][fi];
      MetricValue v;
      v.metric = m.name;
      v.filter = t.filters[fi].name();
      v.higher_is_better = m.higher_is_better;
      uint64_t bseed = o.seed;
      if (m.agg == Agg::kMean) {
        v.value = mean(it.values);
        v.stderr_value = mean_stderr(it.values);
      } else if (m.agg == Agg::kPerplexity) {
        v.value = perplexity_of_lls(it.values);
        if (o.bootstrap_iters > 0 && it.values.size() > 1)
          v.stderr_value = bootstrap_stderr<double>(
              std::span<const double>(it.values),
              [](std::span<const double> x) { return perplexity_of_lls(x); }, o.bootstrap_iters,
              bseed);
      } else {
        bool bpb = m.agg == Agg::kBitsPerByte;
        auto f = [bpb](std::span<const Weighted> x) {
          return bpb ? bits_per_byte(x) : weighted_perplexity(x);
        };
        v.value = f(it.weighted);
        if (o.bootstrap_iters > 0 && it.weighted.size() > 1)
          v.stderr_value = bootstrap_stderr<Weighted>(std::span<const Weighted>(it.weighted), f,
                                                      o.bootstrap_iters, bseed);
      }
      res.metrics.push_back(v);
    }
  }

  if (o.log_samples) {
    for (size_t di = 0; di < t.docs.size(); di++) {
      const DocInfo& d = t.docs[di];
      for (size_t fi = 0; fi < nf; fi++) {
        Json s = Json::object();
        s["doc_id"] = d.doc_id;
        s["doc"] = d.doc;
        s["target"] = d.target;
        s["arguments"] = arguments[di];
        s["resps"] = resps[di];
        s["filtered_resps"] = filtered[di][fi];
        s["filter"] = t.filters[fi].name();
        Json names = Json::array();
        for (const auto& m : t.metrics) names.push_back(m.name);
        s["metrics"] = names;
        s["doc_hash"] = sha256_hex(d.doc.dump(2, ' ', false, Json::error_handler_t::replace));
        s["prompt_hash"] = sha256_hex(arguments[di][0][0].get<std::string>());
        s["target_hash"] = sha256_hex(python_str(d.target));
        for (const auto& m : t.metrics) s[m.name] = values[di][fi][m.name];
        res.samples.push_back(dump(s));
      }
    }
  }
  return res;
}

}  // namespace lm::eval
