// eval_tasks.cc: task lookup in the tasks folder, the prepare-everything-then-score order of
// `lmforge eval tasks`, and the listing of built-in tasks.
#include "eval/eval_tasks.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "core/timer.h"
#include "eval/builtin_tasks.h"

#ifndef LMFORGE_VERSION
#define LMFORGE_VERSION "unknown"
#endif

namespace lm::eval {
namespace fs = std::filesystem;
namespace {

bool is_yaml_path(const std::string& s) {
  auto ends = [&](const char* e) {
    std::string x(e);
    return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
  };
  return ends(".yaml") || ends(".yml") || s.find('/') != std::string::npos;
}

std::vector<std::string> yaml_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string ext = it->path().extension().string();
    if (ext == ".yaml" || ext == ".yml") out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string resolved_tasks_dir(const EvalTasksOptions& o) {
  return o.tasks_dir.empty() ? default_tasks_dir() : o.tasks_dir;
}

std::string resolved_data_dir(const EvalTasksOptions& o) {
  return o.task_data_dir.empty() ? default_task_data_dir() : o.task_data_dir;
}

EvalTaskOptions task_options(const EvalTasksOptions& o, bool builtin) {
  EvalTaskOptions t;
  t.num_fewshot = o.num_fewshot;
  t.limit = o.limit;
  t.seed = o.seed;
  t.bootstrap_iters = o.bootstrap_iters;
  t.log_samples = o.log_samples;
  t.data.task_data_dir = resolved_data_dir(o);
  t.data.builtin = builtin;
  return t;
}

}  // namespace

std::string default_task_data_dir() {
  const char* env = std::getenv("LMFORGE_TASK_DATA");
  return env && *env ? env : "out/tasks";
}

Result<std::optional<TaskConfig>> find_task_in(const std::string& tasks_dir,
                                               const std::string& name) {
  std::vector<std::string> files = yaml_files(tasks_dir);
  for (const auto& f : files)
    if (fs::path(f).stem().string() == name) {
      LM_ASSIGN_OR_RETURN(TaskConfig c, load_task_config(f));
      return std::optional<TaskConfig>(std::move(c));
    }
  for (const auto& f : files) {
    auto c = load_task_config(f);
    if (c.ok() && c->task == name) return std::optional<TaskConfig>(std::move(*c));
  }
  return std::optional<TaskConfig>();
}

Result<TaskPlanSet> prepare_eval_tasks(const EvalTasksOptions& o) {
  if (o.tasks.empty())
    return invalid_argument("--tasks: no task named").with_hint("lmforge eval tasks --list");
  std::string tasks_dir = resolved_tasks_dir(o);
  TaskPlanSet set;
  std::map<std::string, bool> builtin;
  for (const auto& spec : o.tasks) {
    TaskConfig config;
    bool is_builtin = false;
    if (is_yaml_path(spec)) {
      LM_ASSIGN_OR_RETURN(config, load_task_config(spec));
      std::error_code ec;
      auto rel = fs::relative(fs::absolute(spec, ec), fs::absolute(tasks_dir, ec), ec);
      is_builtin = !ec && !rel.empty() && rel.native().rfind("..", 0) != 0;
    } else {
      LM_ASSIGN_OR_RETURN(auto found, find_task_in(tasks_dir, spec));
      if (!found)
        return not_found("--tasks: no task '{}' in {} (by file name or task: name)", spec,
                         tasks_dir)
            .with_hint(
                "lmforge eval tasks --list shows the built-in tasks; a task file is given by its "
                "path (x.yaml)");
      config = std::move(*found);
      is_builtin = true;
    }
    TaskFinder finder = [&](const std::string& name) -> Result<std::optional<TaskConfig>> {
      // The sibling _cot task: beside the task file first, then in the tasks folder.
      auto near = find_task_in(fs::path(config.file).parent_path().string(), name);
      if (near.ok() && *near) return near;
      return find_task_in(tasks_dir, name);
    };
    for (const auto& s : o.strategies) {
      LM_ASSIGN_OR_RETURN(StrategyPlan plan, plan_strategy(config, s, o.strategy, finder));
      for (const auto& p : set.plans)
        if (p.name == plan.name)
          return invalid_argument("--tasks: '{}' is evaluated twice", plan.name);
      builtin[plan.name] = is_builtin;
      set.plans.push_back(std::move(plan));
    }
  }
  for (const auto& plan : set.plans) {
    LM_ASSIGN_OR_RETURN(PreparedTaskPtr p, prepare_task(plan, task_options(o, builtin[plan.name])));
    set.prepared.push_back(std::move(p));
  }
  return set;
}

Result<EvalTasksReport> run_eval_tasks(const EvalTasksOptions& o, const ModelOpener& open) {
  Timer timer;
  double date =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  LM_ASSIGN_OR_RETURN(TaskPlanSet set, prepare_eval_tasks(o));
  ModelOptions mo;
  mo.path = o.checkpoint;
  mo.tokenizer = o.tokenizer;
  mo.threads = o.threads;
  mo.batch_size = o.batch_size;
  auto model = open ? open(mo) : open_model(mo);
  if (!model.ok()) return model.status();
  LanguageModel& lm = **model;
  EvalTasksReport rep;
  for (size_t i = 0; i < set.prepared.size(); i++) {
    EvalTaskOptions to = task_options(o, false);
    LM_ASSIGN_OR_RETURN(TaskResult r, run_task(lm, *set.prepared[i], to));
    rep.results.push_back(std::move(r));
  }
  const ModelInfo& mi = lm.info();
  RunInfo info;
  info.model = mi.format.empty() ? "lmforge" : mi.format;
  info.model_args = "pretrained=" + o.checkpoint;
  info.model_info =
      Json{{"name", mi.name},       {"format", mi.format}, {"tokenizer", mi.tokenizer},
           {"params", mi.params},   {"n_ctx", mi.n_ctx},   {"vocab_size", mi.vocab_size},
           {"eot_token_id", mi.eot}};
  info.limit = o.limit;
  info.bootstrap_iters = o.bootstrap_iters;
  info.seed = o.seed;
  info.strategies = o.strategies;
  info.lmforge_version = LMFORGE_VERSION;
  info.date = date;
  info.seconds = timer.seconds();
  rep.results_json = results_json(rep.results, info);
  rep.table = results_table(rep.results);
  if (!o.output.empty())
    LM_RETURN_IF_ERROR(write_results(o.output, rep.results, info, o.log_samples));
  return rep;
}

Result<std::vector<TaskListing>> list_builtin_tasks(const std::string& tasks_dir,
                                                    const std::string& task_data_dir) {
  std::vector<TaskListing> out;
  for (const auto& b : builtin_tasks(tasks_dir)) {
    TaskListing l{b.name, b.yaml, b.summary, false, ""};
    auto c = load_task_config(b.yaml);
    if (c.ok()) {
      DataOptions d{task_data_dir, true};
      auto split = eval_split(*c);
      if (split.ok()) {
        auto f = split_file(*c, *split, d);
        l.data_present = f.ok();
        if (f.ok()) l.data_file = *f;
      }
    }
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace lm::eval
