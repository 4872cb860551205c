// task_config.cc: yaml-cpp nodes -> TaskConfig, key by key, each error with file:line and key.
// yaml-cpp throws; every throw is caught here (no exception leaves this file). Scalars keep
// YAML's typing for results.json's "configs": quoted = string, plain = int / float / bool / null
// when they parse as one.
#include "eval/task_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "core/file_util.h"

namespace lm::eval {
namespace fs = std::filesystem;
namespace {

struct Entry {
  YAML::Node node;
  std::string file;
};
using Entries = std::vector<std::pair<std::string, Entry>>;  // in order, later keys override

const std::set<std::string>& known_keys() {
  static const std::set<std::string> kKnownKeys = {"task",
                                                   "tag",
                                                   "task_alias",
                                                   "dataset_path",
                                                   "dataset_name",
                                                   "dataset_kwargs",
                                                   "training_split",
                                                   "validation_split",
                                                   "test_split",
                                                   "fewshot_split",
                                                   "description",
                                                   "doc_to_text",
                                                   "doc_to_target",
                                                   "doc_to_choice",
                                                   "target_delimiter",
                                                   "fewshot_delimiter",
                                                   "num_fewshot",
                                                   "fewshot_config",
                                                   "output_type",
                                                   "generation_kwargs",
                                                   "repeats",
                                                   "filter_list",
                                                   "metric_list",
                                                   "include",
                                                   "metadata",
                                                   "should_decontaminate",
                                                   "doc_to_decontamination_query",
                                                   "process_docs",
                                                   "chat_template"};
  return kKnownKeys;
}

std::string join_set(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
  return out;
}

int line_of(const YAML::Node& n) { return n.Mark().is_null() ? 0 : n.Mark().line + 1; }

Status at(const std::string& file, const YAML::Node& n, const std::string& key,
          const std::string& what) {
  return invalid_argument("{}:{}: {}: {}", file, line_of(n), key, what);
}

Status refuse_function(const std::string& file, const YAML::Node& n, const std::string& key) {
  return at(file, n, key, "'!function' (Python code) is not supported")
      .with_hint(
          "write it as a template (the Jinja subset in docs/eval.md) or preprocess the "
          "documents into fields of the JSONL file");
}

Status check_no_function(const std::string& file, const YAML::Node& n, const std::string& key) {
  if (n.Tag() == "!function") return refuse_function(file, n, key);
  if (n.IsSequence() || n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node& child = n.IsMap() ? it->second : *it;
      LM_RETURN_IF_ERROR(check_no_function(file, child, key));
    }
  }
  return ok_status();
}

// YAML -> JSON with YAML 1.2 core-schema typing of plain scalars.
Json to_json(const YAML::Node& n) {
  if (n.IsNull()) return nullptr;
  if (n.IsSequence()) {
    Json a = Json::array();
    for (const auto& x : n) a.push_back(to_json(x));
    return a;
  }
  if (n.IsMap()) {
    Json o = Json::object();
    for (auto it = n.begin(); it != n.end(); ++it) o[it->first.Scalar()] = to_json(it->second);
    return o;
  }
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return s;  // quoted
  if (s == "true" || s == "True") return true;
  if (s == "false" || s == "False") return false;
  if (s == "null" || s == "~" || s == "Null") return nullptr;
  if (!s.empty() && s.find_first_not_of("-+0123456789") == std::string::npos) {
    try {
      size_t used = 0;
      long long v = std::stoll(s, &used);
      if (used == s.size()) return v;
    } catch (...) {
    }
  }
  if (!s.empty() && s.find_first_not_of("-+0123456789.eE") == std::string::npos) {
    try {
      size_t used = 0;
      double v = std::stod(s, &used);
      if (used == s.size()) return v;
    } catch (...) {
    }
  }
  return s;
}

Result<std::string> get_string(const Entry& e, const std::string& key) {
  if (!e.node.IsScalar()) return at(e.file, e.node, key, "expected a string");
  return e.node.Scalar();
}

Result<int64_t> get_int(const YAML::Node& n, const std::string& file, const std::string& key) {
  Json j = n.IsScalar() ? to_json(n) : Json();
  if (!j.is_number_integer()) return at(file, n, key, "expected an integer");
  return j.get<int64_t>();
}

Result<double> get_double(const YAML::Node& n, const std::string& file, const std::string& key) {
  Json j = n.IsScalar() ? to_json(n) : Json();
  if (!j.is_number()) return at(file, n, key, "expected a number");
  return j.get<double>();
}

Result<bool> get_bool(const YAML::Node& n, const std::string& file, const std::string& key) {
  Json j = n.IsScalar() ? to_json(n) : Json();
  if (!j.is_boolean()) return at(file, n, key, "expected true or false");
  return j.get<bool>();
}

Result<std::vector<std::string>> get_string_list(const YAML::Node& n, const std::string& file,
                                                 const std::string& key) {
  std::vector<std::string> out;
  if (n.IsScalar()) return std::vector<std::string>{n.Scalar()};
  if (!n.IsSequence()) return at(file, n, key, "expected a string or a list of strings");
  for (const auto& x : n) {
    if (!x.IsScalar()) return at(file, x, key, "expected a list of strings");
    out.push_back(x.Scalar());
  }
  return out;
}

Result<DocField> get_doc_field(const Entry& e, const std::string& key) {
  DocField f;
  f.where = fmt::format("{}:{}: {}", e.file, line_of(e.node), key);
  if (e.node.IsSequence()) {
    f.kind = DocField::kList;
    for (const auto& x : e.node) {
      if (!x.IsScalar()) return at(e.file, x, key, "expected a list of strings (templates)");
      f.items.push_back(x.Scalar());
    }
    return f;
  }
  if (!e.node.IsScalar())
    return at(e.file, e.node, key, "expected a field name, a template, an integer or a list");
  Json j = to_json(e.node);
  if (j.is_number_integer()) {
    f.kind = DocField::kInt;
    f.index = j.get<int64_t>();
  } else {
    f.kind = DocField::kString;
    f.text = e.node.Scalar();
  }
  return f;
}

Status check_keys(const YAML::Node& map, const std::string& file, const std::string& key,
                  const std::set<std::string>& allowed) {
  if (!map.IsMap()) return at(file, map, key, "expected a mapping");
  for (auto it = map.begin(); it != map.end(); ++it) {
    std::string k = it->first.Scalar();
    if (!allowed.count(k))
      return invalid_argument("{}:{}: unknown key '{}' in {} (known: {})", file, line_of(it->first),
                              k, key, join_set(allowed));
  }
  return ok_status();
}

Status parse_generation_kwargs(const Entry& e, TaskConfig* c) {
  LM_RETURN_IF_ERROR(
      check_keys(e.node, e.file, "generation_kwargs",
                 {"until", "max_gen_toks", "do_sample", "temperature", "top_k", "top_p"}));
  GenerationKwargs& g = c->generation_kwargs;
  for (auto it = e.node.begin(); it != e.node.end(); ++it) {
    std::string k = it->first.Scalar();
    const YAML::Node& v = it->second;
    std::string key = "generation_kwargs." + k;
    if (k == "until") {
      LM_ASSIGN_OR_RETURN(g.until, get_string_list(v, e.file, key));
    } else if (k == "max_gen_toks") {
      LM_ASSIGN_OR_RETURN(int64_t x, get_int(v, e.file, key));
      if (x < 1) return at(e.file, v, key, "must be at least 1");
      g.max_gen_toks = (int)x;
    } else if (k == "do_sample") {
      LM_ASSIGN_OR_RETURN(g.do_sample, get_bool(v, e.file, key));
    } else if (k == "temperature") {
      LM_ASSIGN_OR_RETURN(g.temperature, get_double(v, e.file, key));
      if (g.temperature < 0) return at(e.file, v, key, "must be >= 0");
    } else if (k == "top_k") {
      LM_ASSIGN_OR_RETURN(int64_t x, get_int(v, e.file, key));
      if (x < 0) return at(e.file, v, key, "must be >= 0");
      g.top_k = (int)x;
    } else {
      LM_ASSIGN_OR_RETURN(g.top_p, get_double(v, e.file, key));
      if (g.top_p <= 0 || g.top_p > 1) return at(e.file, v, key, "must be in (0, 1]");
    }
  }
  c->has_generation_kwargs = true;
  return ok_status();
}

Status parse_filter_list(const Entry& e, TaskConfig* c) {
  if (!e.node.IsSequence())
    return at(e.file, e.node, "filter_list", "expected a list of {name, filter}");
  int i = 0;
  for (const auto& item : e.node) {
    std::string key = fmt::format("filter_list[{}]", i++);
    LM_RETURN_IF_ERROR(check_keys(item, e.file, key, {"name", "filter"}));
    FilterConfig f;
    f.where = fmt::format("{}:{}: {}", e.file, line_of(item), key);
    if (!item["name"] || !item["name"].IsScalar()) return at(e.file, item, key, "needs a 'name'");
    f.name = item["name"].Scalar();
    YAML::Node steps = item["filter"];
    if (!steps || !steps.IsSequence())
      return at(e.file, item, key, "needs 'filter', a list of steps");
    int j = 0;
    for (const auto& s : steps) {
      std::string sk = fmt::format("{}.filter[{}]", key, j++);
      LM_RETURN_IF_ERROR(check_keys(
          s, e.file, sk,
          {"function", "regex_pattern", "group_select", "fallback", "ignore_case", "k"}));
      FilterStep st;
      if (!s["function"] || !s["function"].IsScalar())
        return at(e.file, s, sk, "needs a 'function'");
      st.function = s["function"].Scalar();
      if (s["regex_pattern"]) {
        if (!s["regex_pattern"].IsScalar())
          return at(e.file, s["regex_pattern"], sk + ".regex_pattern", "expected a string");
        st.regex_pattern = s["regex_pattern"].Scalar();
      }
      if (s["group_select"]) {
        LM_ASSIGN_OR_RETURN(int64_t g, get_int(s["group_select"], e.file, sk + ".group_select"));
        st.group_select = (int)g;
      }
      if (s["fallback"]) st.fallback = s["fallback"].Scalar();
      if (s["ignore_case"]) {
        LM_ASSIGN_OR_RETURN(st.ignore_case,
                            get_bool(s["ignore_case"], e.file, sk + ".ignore_case"));
      }
      if (s["k"]) {
        LM_ASSIGN_OR_RETURN(int64_t k, get_int(s["k"], e.file, sk + ".k"));
        st.k = (int)k;
      }
      f.steps.push_back(std::move(st));
    }
    c->filter_list.push_back(std::move(f));
  }
  return ok_status();
}

Status parse_metric_list(const Entry& e, TaskConfig* c) {
  if (!e.node.IsSequence())
    return at(e.file, e.node, "metric_list", "expected a list of {metric, ...}");
  int i = 0;
  for (const auto& item : e.node) {
    std::string key = fmt::format("metric_list[{}]", i++);
    LM_RETURN_IF_ERROR(check_keys(item, e.file, key,
                                  {"metric", "aggregation", "higher_is_better", "ignore_case",
                                   "ignore_punctuation", "ignore_numbers", "regexes_to_ignore"}));
    MetricConfig m;
    m.where = fmt::format("{}:{}: {}", e.file, line_of(item), key);
    if (!item["metric"] || !item["metric"].IsScalar())
      return at(e.file, item, key, "needs a 'metric'");
    if (item["metric"].Tag() == "!function") return refuse_function(e.file, item["metric"], key);
    m.metric = item["metric"].Scalar();
    if (item["aggregation"]) m.aggregation = item["aggregation"].Scalar();
    if (item["higher_is_better"]) {
      LM_ASSIGN_OR_RETURN(bool h, get_bool(item["higher_is_better"], e.file, key));
      m.higher_is_better = h;
    }
    if (item["ignore_case"]) {
      LM_ASSIGN_OR_RETURN(m.exact_match.ignore_case,
                          get_bool(item["ignore_case"], e.file, key + ".ignore_case"));
    }
    if (item["ignore_punctuation"]) {
      LM_ASSIGN_OR_RETURN(
          m.exact_match.ignore_punctuation,
          get_bool(item["ignore_punctuation"], e.file, key + ".ignore_punctuation"));
    }
    if (item["ignore_numbers"]) {
      LM_ASSIGN_OR_RETURN(m.exact_match.ignore_numbers,
                          get_bool(item["ignore_numbers"], e.file, key + ".ignore_numbers"));
    }
    if (item["regexes_to_ignore"]) {
      LM_ASSIGN_OR_RETURN(
          m.exact_match.regexes_to_ignore,
          get_string_list(item["regexes_to_ignore"], e.file, key + ".regexes_to_ignore"));
    }
    c->metric_list.push_back(std::move(m));
  }
  return ok_status();
}

Status parse_fewshot_config(const Entry& e, TaskConfig* c) {
  LM_RETURN_IF_ERROR(check_keys(e.node, e.file, "fewshot_config", {"sampler", "samples"}));
  if (e.node["sampler"]) {
    c->fewshot_sampler = e.node["sampler"].Scalar();
    if (c->fewshot_sampler != "default" && c->fewshot_sampler != "first_n")
      return at(e.file, e.node["sampler"], "fewshot_config.sampler",
                fmt::format("'{}' is not a sampler (default, first_n)", c->fewshot_sampler));
  }
  if (e.node["samples"]) {
    const YAML::Node& s = e.node["samples"];
    if (s.Tag() == "!function") return refuse_function(e.file, s, "fewshot_config.samples");
    if (!s.IsSequence())
      return at(e.file, s, "fewshot_config.samples", "expected a list of documents");
    for (const auto& d : s) {
      if (!d.IsMap())
        return at(e.file, d, "fewshot_config.samples",
                  "each sample must be a mapping (a document)");
      c->fewshot_samples.push_back(to_json(d));
    }
  }
  return ok_status();
}

Status parse_dataset_kwargs(const Entry& e, TaskConfig* c) {
  LM_RETURN_IF_ERROR(check_keys(e.node, e.file, "dataset_kwargs", {"data_files"}));
  const YAML::Node& df = e.node["data_files"];
  if (df.IsScalar()) {
    c->data_files_test = df.Scalar();
    return ok_status();
  }
  LM_RETURN_IF_ERROR(
      check_keys(df, e.file, "dataset_kwargs.data_files", {"train", "validation", "test"}));
  for (auto it = df.begin(); it != df.end(); ++it) {
    std::string k = it->first.Scalar();
    if (!it->second.IsScalar())
      return at(e.file, it->second, "dataset_kwargs.data_files." + k, "expected one path");
    (k == "train"        ? c->data_files_train
     : k == "validation" ? c->data_files_validation
                         : c->data_files_test) = it->second.Scalar();
  }
  c->dataset_dir = fs::path(e.file).parent_path().string();
  return ok_status();
}

Status apply_entry(const std::string& key, const Entry& e, TaskConfig* c) {
  const YAML::Node& n = e.node;
  if (key == "process_docs") return refuse_function(e.file, n, key);
  LM_RETURN_IF_ERROR(check_no_function(e.file, n, key));
  if (key == "task") {
    LM_ASSIGN_OR_RETURN(c->task, get_string(e, key));
  } else if (key == "tag") {
    LM_ASSIGN_OR_RETURN(c->tag, get_string_list(n, e.file, key));
  } else if (key == "task_alias") {
    LM_ASSIGN_OR_RETURN(c->task_alias, get_string(e, key));
  } else if (key == "dataset_path") {
    LM_ASSIGN_OR_RETURN(c->dataset_path, get_string(e, key));
    c->dataset_dir = fs::path(e.file).parent_path().string();
  } else if (key == "dataset_name") {
    if (!n.IsNull()) {
      LM_ASSIGN_OR_RETURN(c->dataset_name, get_string(e, key));
    }
  } else if (key == "dataset_kwargs") {
    LM_RETURN_IF_ERROR(parse_dataset_kwargs(e, c));
  } else if (key == "training_split") {
    LM_ASSIGN_OR_RETURN(c->training_split, get_string(e, key));
  } else if (key == "validation_split") {
    LM_ASSIGN_OR_RETURN(c->validation_split, get_string(e, key));
  } else if (key == "test_split") {
    LM_ASSIGN_OR_RETURN(c->test_split, get_string(e, key));
  } else if (key == "fewshot_split") {
    LM_ASSIGN_OR_RETURN(c->fewshot_split, get_string(e, key));
  } else if (key == "description") {
    LM_ASSIGN_OR_RETURN(c->description, get_string(e, key));
  } else if (key == "doc_to_text") {
    LM_ASSIGN_OR_RETURN(c->doc_to_text, get_doc_field(e, key));
  } else if (key == "doc_to_target") {
    LM_ASSIGN_OR_RETURN(c->doc_to_target, get_doc_field(e, key));
  } else if (key == "doc_to_choice") {
    LM_ASSIGN_OR_RETURN(c->doc_to_choice, get_doc_field(e, key));
  } else if (key == "target_delimiter") {
    LM_ASSIGN_OR_RETURN(c->target_delimiter, get_string(e, key));
  } else if (key == "fewshot_delimiter") {
    LM_ASSIGN_OR_RETURN(c->fewshot_delimiter, get_string(e, key));
  } else if (key == "num_fewshot") {
    LM_ASSIGN_OR_RETURN(int64_t k, get_int(n, e.file, key));
    if (k < 0) return at(e.file, n, key, "must be >= 0");
    c->num_fewshot = (int)k;
  } else if (key == "fewshot_config") {
    LM_RETURN_IF_ERROR(parse_fewshot_config(e, c));
  } else if (key == "output_type") {
    LM_ASSIGN_OR_RETURN(c->output_type, get_string(e, key));
    static const std::set<std::string> kOutputTypes = {"loglikelihood", "multiple_choice",
                                                       "generate_until", "loglikelihood_rolling"};
    if (!kOutputTypes.count(c->output_type))
      return at(
          e.file, n, key,
          fmt::format("'{}' is not an output type ({})", c->output_type, join_set(kOutputTypes)));
  } else if (key == "generation_kwargs") {
    LM_RETURN_IF_ERROR(parse_generation_kwargs(e, c));
  } else if (key == "chat_template") {
    LM_ASSIGN_OR_RETURN(c->chat_template, get_bool(n, e.file, key));
  } else if (key == "repeats") {
    LM_ASSIGN_OR_RETURN(int64_t r, get_int(n, e.file, key));
    if (r < 1) return at(e.file, n, key, "must be >= 1");
    c->repeats = (int)r;
  } else if (key == "filter_list") {
    LM_RETURN_IF_ERROR(parse_filter_list(e, c));
  } else if (key == "metric_list") {
    LM_RETURN_IF_ERROR(parse_metric_list(e, c));
  } else if (key == "metadata") {
    if (!n.IsMap()) return at(e.file, n, key, "expected a mapping (e.g. version: 1.0)");
    c->metadata = to_json(n);
  }
  // should_decontaminate, doc_to_decontamination_query: accepted, not used (no training-set
  // overlap check here).
  return ok_status();
}

Result<YAML::Node> load_yaml(const std::string& text, const std::string& path) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap())
      return invalid_argument(
          "{}:{}: a task file must be a mapping of keys (task:, dataset_path:, ...)", path,
          line_of(root));
    return root;
  } catch (const YAML::Exception& ex) {
    return invalid_argument("{}:{}:{}: malformed YAML: {}", path, ex.mark.line + 1,
                            ex.mark.column + 1, ex.msg);
  }
}

Status collect(const std::string& text, const std::string& path, int depth, Entries* out) {
  if (depth > 8) return invalid_argument("{}: includes nest more than 8 deep (a cycle?)", path);
  LM_ASSIGN_OR_RETURN(YAML::Node root, load_yaml(text, path));
  try {
    Entries own;
    for (auto it = root.begin(); it != root.end(); ++it) {
      std::string key = it->first.Scalar();
      if (!known_keys().count(key))
        return invalid_argument("{}:{}: unknown key '{}'", path, line_of(it->first), key)
            .with_hint("lmforge reads the task-file keys listed in docs/eval.md");
      if (key == "include") {
        if (!it->second.IsScalar()) return at(path, it->second, key, "expected a file name");
        fs::path inc = fs::path(path).parent_path() / it->second.Scalar();
        auto inc_text = read_file(inc.string());
        if (!inc_text.ok())
          return invalid_argument("{}:{}: include: cannot read '{}'", path, line_of(it->second),
                                  inc.string())
              .with_hint("an include is resolved relative to the including file's folder");
        LM_RETURN_IF_ERROR(collect(*inc_text, inc.string(), depth + 1, out));
        continue;
      }
      own.push_back({key, Entry{it->second, path}});
    }
    for (auto& kv : own) {
      auto found = std::find_if(out->begin(), out->end(),
                                [&](const auto& x) { return x.first == kv.first; });
      if (found != out->end())
        found->second = kv.second;
      else
        out->push_back(kv);
    }
  } catch (const YAML::Exception& ex) {
    return invalid_argument("{}:{}: {}", path, ex.mark.line + 1, ex.msg);
  }
  return ok_status();
}

}  // namespace

Result<TaskConfig> parse_task_config(const std::string& yaml_text, const std::string& path) {
  Entries entries;
  LM_RETURN_IF_ERROR(collect(yaml_text, path, 0, &entries));
  TaskConfig c;
  c.file = path;
  try {
    for (const auto& [key, e] : entries) {
      LM_RETURN_IF_ERROR(apply_entry(key, e, &c));
      c.raw[key] = to_json(e.node);
    }
  } catch (const YAML::Exception& ex) {
    return invalid_argument("{}:{}: {}", path, ex.mark.line + 1, ex.msg);
  }
  if (c.task.empty()) return invalid_argument("{}: the task file has no 'task:' name", path);
  if (c.dataset_path.empty() && c.fewshot_samples.empty())
    return invalid_argument("{}: task '{}' has no dataset_path", path, c.task)
        .with_hint("dataset_path: a JSONL / CSV / TSV file or a folder with <split>.jsonl");
  if (!c.doc_to_text.present())
    return invalid_argument("{}: task '{}' has no doc_to_text", path, c.task);
  if (!c.doc_to_target.present())
    return invalid_argument("{}: task '{}' has no doc_to_target", path, c.task);
  if (c.output_type == "multiple_choice" && !c.doc_to_choice.present())
    return invalid_argument("{}: task '{}' is multiple_choice but has no doc_to_choice", path,
                            c.task);
  return c;
}

Result<TaskConfig> load_task_config(const std::string& path) {
  auto text = read_file(path);
  if (!text.ok()) return not_found("{}: cannot read the task file", path);
  return parse_task_config(*text, path);
}

Json task_version(const TaskConfig& config) {
  if (config.metadata.is_object() && config.metadata.contains("version"))
    return config.metadata["version"];
  return nullptr;
}

}  // namespace lm::eval
