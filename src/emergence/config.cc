// config.cc: load_emergence_config and its checks (see config.h).
#include "emergence/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "emergence/tasks.h"

namespace lm::emergence {
namespace {

constexpr const char* kHint = "see examples/emergence.toml";

Status bad(const std::string& path, const std::string& key, const std::string& what,
           const std::string& hint = kHint) {
  return Status(Code::kInvalidArgument, fmt::format("{}: {}: {}", path, key, what), hint);
}

// Reads t[k] into *v when present; a value of the wrong type is an error naming the key.
template <typename T>
Status get(const toml::table& t, const std::string& path, const std::string& section, const char* k,
           T* v) {
  auto node = t[k];
  if (!node) return ok_status();
  const std::string key = section.empty() ? k : section + "." + k;
  if constexpr (std::is_same_v<T, std::string>) {
    if (auto x = node.value<std::string>()) {
      *v = *x;
      return ok_status();
    }
  } else if constexpr (std::is_same_v<T, bool>) {
    if (auto x = node.value<bool>()) {
      *v = *x;
      return ok_status();
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    if (auto x = node.value<double>()) {
      *v = *x;
      return ok_status();
    }
  } else {
    if (auto x = node.value<int64_t>()) {
      *v = static_cast<T>(*x);
      return ok_status();
    }
  }
  return bad(path, key, "has the wrong type");
}

Status get_strings(const toml::table& t, const std::string& path, const std::string& key,
                   const char* k, std::vector<std::string>* v) {
  auto node = t[k];
  if (!node) return ok_status();
  auto* a = node.as_array();
  if (!a) return bad(path, key, "must be an array of strings");
  v->clear();
  for (auto& x : *a) {
    auto s = x.value<std::string>();
    if (!s) return bad(path, key, "must be an array of strings");
    v->push_back(*s);
  }
  return ok_status();
}

Status get_shapes(const toml::table& t, const std::string& path, const char* k,
                  const std::string& role, std::vector<ModelShape>* out) {
  auto node = t[k];
  if (!node) return ok_status();
  auto* a = node.as_array();
  if (!a) return bad(path, k, "must be an array of {n_layer=, n_head=, n_embd=} tables");
  for (size_t i = 0; i < a->size(); ++i) {
    auto* s = (*a)[i].as_table();
    const std::string key = fmt::format("{}[{}]", k, i);
    if (!s) return bad(path, key, "must be a table {n_layer=, n_head=, n_embd=}");
    ModelShape m;
    m.role = role;
    LM_RETURN_IF_ERROR(get(*s, path, key, "n_layer", &m.shape.n_layer));
    LM_RETURN_IF_ERROR(get(*s, path, key, "n_head", &m.shape.n_head));
    LM_RETURN_IF_ERROR(get(*s, path, key, "n_embd", &m.shape.n_embd));
    // false: attention-only (a boolean only: toml++ would read 0 / 1 as one)
    if ((*s)["mlp"] && !(*s)["mlp"].is_boolean())
      return bad(path, key + ".mlp", "has the wrong type");
    LM_RETURN_IF_ERROR(get(*s, path, key, "mlp", &m.shape.mlp));
    for (const auto& kv : *s)
      if (kv.first.str() != "n_layer" && kv.first.str() != "n_head" && kv.first.str() != "n_embd" &&
          kv.first.str() != "mlp")
        return bad(path, key + "." + std::string(kv.first.str()), "is not a shape key",
                   "a shape has n_layer, n_head, n_embd and mlp (false: attention-only)");
    if (m.shape.n_layer <= 0 || m.shape.n_head <= 0 || m.shape.n_embd <= 0 ||
        m.shape.n_embd % m.shape.n_head != 0)
      return bad(path, key,
                 fmt::format("shape {}/{}/{} needs positive n_layer, n_head, n_embd with n_head "
                             "dividing n_embd",
                             m.shape.n_layer, m.shape.n_head, m.shape.n_embd));
    out->push_back(m);
  }
  return ok_status();
}

// `key` as a list of integers 1..max into *out (kept when absent); errors name section.key.
Status get_ints(const toml::table& m, const std::string& path, const std::string& s,
                const char* key, int max, const char* what, std::vector<int>* out) {
  if (!m[key]) return ok_status();
  auto* a = m[key].as_array();
  if (!a) return bad(path, s + "." + key, "must be an array of integers");
  out->clear();
  for (auto& d : *a) {
    auto v = d.value<int64_t>();
    if (!v || *v < 1 || *v > max)
      return bad(path, s + "." + key, fmt::format("{} must be 1..{}", what, max));
    out->push_back(static_cast<int>(*v));
  }
  return ok_status();
}

// The same for a [min, max] pair.
Status get_range(const toml::table& m, const std::string& path, const std::string& s,
                 const char* key, int max, const char* what, const char* example,
                 std::vector<int>* out) {
  if (m[key] && !m[key].as_array())
    return bad(path, s + "." + key, fmt::format("must be an array [min, max], e.g. {}", example));
  LM_RETURN_IF_ERROR(get_ints(m, path, s, key, max, what, out));
  if (m[key] && (out->size() != 2 || (*out)[0] > (*out)[1]))
    return bad(path, s + "." + key, fmt::format("[min, max] with min <= max, e.g. {}", example));
  return ok_status();
}

// [mixture] or [icl_mixture] (s: the table's name) into *x, over the values *x already holds.
Status parse_mixture(const toml::table* m, const std::string& path, const std::string& s,
                     MixtureConfig* x_out) {
  auto& x = *x_out;
  LM_RETURN_IF_ERROR(get_strings(*m, path, s + ".text", "text", &x.text));
  LM_RETURN_IF_ERROR(get(*m, path, s, "text_fraction", &x.text_fraction));
  LM_RETURN_IF_ERROR(get(*m, path, s, "text_max_documents", &x.text_max_documents));
  LM_RETURN_IF_ERROR(get(*m, path, s, "sample", &x.sample));
  LM_RETURN_IF_ERROR(
      get_ints(*m, path, s, "arithmetic_digits", 5, "digit counts", &x.arithmetic_digits));
  LM_RETURN_IF_ERROR(get(*m, path, s, "arithmetic_train", &x.arithmetic_train));
  LM_RETURN_IF_ERROR(get(*m, path, s, "arithmetic_epochs", &x.arithmetic_epochs));
  LM_RETURN_IF_ERROR(get(*m, path, s, "arithmetic_format", &x.arithmetic_format));
  LM_RETURN_IF_ERROR(get(*m, path, s, "worked_steps_fraction", &x.worked_steps_fraction));
  LM_RETURN_IF_ERROR(get(*m, path, s, "induction_train", &x.induction_train));
  LM_RETURN_IF_ERROR(get_range(*m, path, s, "induction_lengths", 200, "letter counts", "[8, 64]",
                               &x.induction_lengths));
  LM_RETURN_IF_ERROR(get(*m, path, s, "induction_separator", &x.induction_separator));
  LM_RETURN_IF_ERROR(get(*m, path, s, "examples_per_document", &x.examples_per_document));
  LM_RETURN_IF_ERROR(get(*m, path, s, "repeat_train", &x.repeat_train));
  LM_RETURN_IF_ERROR(get_range(*m, path, s, "repeat_lengths", 4096, "symbol counts", "[256, 320]",
                               &x.repeat_lengths));
  LM_RETURN_IF_ERROR(get(*m, path, s, "repeat_alphabet", &x.repeat_alphabet));
  LM_RETURN_IF_ERROR(get(*m, path, s, "repeat_documents", &x.repeat_documents));
  LM_RETURN_IF_ERROR(get(*m, path, s, "icl_fraction", &x.icl_fraction));
  LM_RETURN_IF_ERROR(get(*m, path, s, "icl_documents", &x.icl_documents));
  LM_RETURN_IF_ERROR(get(*m, path, s, "val_fraction", &x.val_fraction));
  return ok_status();
}

Status check_mixture(const std::string& p, const std::string& sec, const MixtureConfig& m) {
  if (m.worked_steps_fraction < 0 || m.worked_steps_fraction > 1)
    return bad(p, sec + ".worked_steps_fraction", "must be in [0, 1]");
  if (!is_arithmetic_format(m.arithmetic_format))
    return bad(p, sec + ".arithmetic_format",
               fmt::format("'{}' is not question, compact or reversed", m.arithmetic_format));
  if (m.arithmetic_epochs < 1 || m.arithmetic_epochs > 1000)
    return bad(p, sec + ".arithmetic_epochs", "must be 1..1000");
  if (!(m.text_fraction > 0) || m.text_fraction > 1)
    return bad(p, sec + ".text_fraction", "must be in (0, 1]");
  if (m.examples_per_document < 1) return bad(p, sec + ".examples_per_document", "must be >= 1");
  if (m.icl_fraction < 0 || m.icl_fraction >= 1)
    return bad(p, sec + ".icl_fraction", "must be in [0, 1)");
  if (m.val_fraction <= 0 || m.val_fraction >= 1)
    return bad(p, sec + ".val_fraction", "must be in (0, 1): the trainer validates on it");
  if (m.induction_separator != " " && !m.induction_separator.empty())
    return bad(p, sec + ".induction_separator", "\" \" (spaced letters) or \"\" (contiguous)");
  if (m.repeat_train < 0 || m.repeat_documents < 0)
    return bad(p, sec + ".repeat_train", "repeat_train and repeat_documents must be >= 0");
  if (m.repeat_alphabet < 2 || m.repeat_alphabet > static_cast<int>(kRepeatSymbols.size()))
    return bad(p, sec + ".repeat_alphabet",
               fmt::format("must be 2..{} (single-byte symbols)", kRepeatSymbols.size()));
  return ok_status();
}

}  // namespace

Result<EmergenceConfig> load_emergence_config(const std::string& path) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status(
        Code::kCorrupt,
        fmt::format("{}:{}: {}", path, e.source().begin.line, std::string(e.description())), kHint);
  }
  static const std::set<std::string> kTop = {
      "out",        "tokenizer", "seed",         "data_seed",   "threads",    "seq_len",
      "batch_size", "lr",        "warmup_steps", "min_steps",   "ladder",     "icl_models",
      "mixture",    "budget",    "eval",         "loader_mode", "icl_mixture"};
  for (auto& [k, v] : t)
    if (!kTop.count(std::string(k.str()))) return bad(path, std::string(k.str()), "unknown key");
  EmergenceConfig c;
  c.path = path;
  LM_RETURN_IF_ERROR(get(t, path, "", "out", &c.out));
  LM_RETURN_IF_ERROR(get(t, path, "", "tokenizer", &c.tokenizer));
  LM_RETURN_IF_ERROR(get(t, path, "", "seed", &c.seed));
  LM_RETURN_IF_ERROR(get(t, path, "", "data_seed", &c.data_seed));
  LM_RETURN_IF_ERROR(get(t, path, "", "threads", &c.threads));
  LM_RETURN_IF_ERROR(get(t, path, "", "seq_len", &c.seq_len));
  LM_RETURN_IF_ERROR(get(t, path, "", "batch_size", &c.batch_size));
  LM_RETURN_IF_ERROR(get(t, path, "", "loader_mode", &c.loader_mode));
  LM_RETURN_IF_ERROR(get(t, path, "", "lr", &c.lr));
  LM_RETURN_IF_ERROR(get(t, path, "", "warmup_steps", &c.warmup_steps));
  LM_RETURN_IF_ERROR(get(t, path, "", "min_steps", &c.min_steps));
  LM_RETURN_IF_ERROR(get_shapes(t, path, "ladder", "ladder", &c.models));
  LM_RETURN_IF_ERROR(get_shapes(t, path, "icl_models", "icl", &c.models));
  if (auto* m = t["mixture"].as_table())
    LM_RETURN_IF_ERROR(parse_mixture(m, path, "mixture", &c.mixture));
  if (auto node = t["icl_mixture"]) {
    auto* m = node.as_table();
    if (!m) return bad(path, "icl_mixture", "must be a table of [mixture]'s keys");
    // one held-out ICL set and one eval format for every model: these stay [mixture]'s
    for (const char* k : {"icl_fraction", "icl_documents", "arithmetic_format", "sample",
                          "val_fraction", "repeat_alphabet", "repeat_documents"})
      if ((*m)[k])
        return bad(path, std::string("icl_mixture.") + k,
                   "is set in [mixture] only (the held-out sets and the eval prompts are the "
                   "study's, the same for every model)");
    MixtureConfig x = c.mixture;  // each key defaults to [mixture]'s value
    LM_RETURN_IF_ERROR(parse_mixture(m, path, "icl_mixture", &x));
    c.icl_mixture = x;
  }
  if (auto* b = t["budget"].as_table()) {
    auto& x = c.budget;
    const std::string s = "budget";
    LM_RETURN_IF_ERROR(get(*b, path, s, "rule", &x.rule));
    LM_RETURN_IF_ERROR(get(*b, path, s, "tokens", &x.tokens));
    LM_RETURN_IF_ERROR(get(*b, path, s, "tokens_per_param", &x.tokens_per_param));
    LM_RETURN_IF_ERROR(get(*b, path, s, "count_embeddings", &x.count_embeddings));
    LM_RETURN_IF_ERROR(get(*b, path, s, "min_tokens", &x.min_tokens));
    LM_RETURN_IF_ERROR(get(*b, path, s, "max_tokens", &x.max_tokens));
    LM_RETURN_IF_ERROR(get(*b, path, s, "checkpoints", &x.checkpoints));
    LM_RETURN_IF_ERROR(get(*b, path, s, "icl_tokens", &x.icl_tokens));
    LM_RETURN_IF_ERROR(get(*b, path, s, "icl_batch_size", &x.icl_batch_size));
  }
  if (auto* e = t["eval"].as_table()) {
    auto& x = c.eval;
    const std::string s = "eval";
    LM_RETURN_IF_ERROR(get_strings(*e, path, "eval.tasks", "tasks", &x.tasks));
    LM_RETURN_IF_ERROR(get_strings(*e, path, "eval.strategies", "strategies", &x.strategies));
    LM_RETURN_IF_ERROR(get(*e, path, s, "k_shot", &x.k_shot));
    LM_RETURN_IF_ERROR(get(*e, path, s, "limit", &x.limit));
    LM_RETURN_IF_ERROR(get(*e, path, s, "sc_limit", &x.sc_limit));
    LM_RETURN_IF_ERROR(get(*e, path, s, "sc_samples", &x.sc_samples));
    LM_RETURN_IF_ERROR(get(*e, path, s, "batch_size", &x.batch_size));
    LM_RETURN_IF_ERROR(get(*e, path, s, "bootstrap_iters", &x.bootstrap_iters));
    LM_RETURN_IF_ERROR(get(*e, path, s, "icl_context", &x.icl_context));
  }
  LM_RETURN_IF_ERROR(check_emergence_config(c));
  return c;
}

Status check_emergence_config(const EmergenceConfig& c) {
  const std::string& p = c.path;
  if (c.out.empty()) return bad(p, "out", "is required (the study folder)");
  int ladder = 0;
  for (const auto& m : c.models) ladder += m.role == "ladder";
  if (ladder < 3)
    return bad(p, "ladder",
               fmt::format("has {} sizes; a size ladder needs at least 3 (the issue asks for 6, "
                           "evenly spaced in log N)",
                           ladder),
               "add [[ladder]] shapes {n_layer=, n_head=, n_embd=} from small to large");
  if (c.seq_len < 2 || c.batch_size < 1) return bad(p, "seq_len", "seq_len >= 2, batch_size >= 1");
  if (c.loader_mode != "concatenate" && c.loader_mode != "pad" && c.loader_mode != "docmask")
    return bad(p, "loader_mode", "concatenate, pad or docmask");
  if (!(c.lr > 0)) return bad(p, "lr", "must be > 0");
  const auto& b = c.budget;
  if (b.rule != "fixed" && b.rule != "tokens_per_param")
    return bad(p, "budget.rule", fmt::format("'{}' is not fixed or tokens_per_param", b.rule));
  if (b.rule == "fixed" && !(b.tokens > 0)) return bad(p, "budget.tokens", "must be > 0");
  if (b.rule == "tokens_per_param" && !(b.tokens_per_param > 0))
    return bad(p, "budget.tokens_per_param", "must be > 0");
  if (b.checkpoints < 1 || b.checkpoints > 20) return bad(p, "budget.checkpoints", "must be 1..20");
  const auto& m = c.mixture;
  LM_RETURN_IF_ERROR(check_mixture(p, "mixture", m));
  if (c.icl_mixture) {
    LM_RETURN_IF_ERROR(check_mixture(p, "icl_mixture", *c.icl_mixture));
    if (std::none_of(c.models.begin(), c.models.end(),
                     [](const ModelShape& s) { return s.role == "icl"; }))
      return bad(p, "icl_mixture", "is given but no [[icl_models]] would train on it",
                 "add [[icl_models]] shapes or remove [icl_mixture]");
  }
  if (b.icl_tokens < 0) return bad(p, "budget.icl_tokens", "must be >= 0 (0: the budget rule)");
  if (b.icl_batch_size < 0)
    return bad(p, "budget.icl_batch_size", "must be >= 0 (0: the study's batch_size)");
  const auto& e = c.eval;
  if (e.tasks.empty()) return bad(p, "eval.tasks", "names no task", "e.g. [\"arithmetic_add_3\"]");
  if (e.strategies.empty())
    return bad(p, "eval.strategies", "names no strategy", "zero-shot, k-shot, cot, sc");
  for (const auto& s : e.strategies)
    if (s != "zero-shot" && s != "k-shot" && s != "cot" && s != "sc")
      return bad(p, "eval.strategies", fmt::format("'{}' is not zero-shot, k-shot, cot or sc", s));
  for (const auto& t : e.tasks) {
    auto info = task_info(t);
    if (!info)
      return bad(p, "eval.tasks", fmt::format("'{}' is not an emergence task", t),
                 "tasks: arithmetic_add_1..5, induction_copy, induction_copy_shifted, kjv_cloze, "
                 "gcide_define");
    LM_RETURN_IF_ERROR(task_in_mixture(*info, m).with_context(p + ": eval.tasks"));
  }
  if ((std::count(e.strategies.begin(), e.strategies.end(), "k-shot") && e.k_shot < 1) ||
      e.sc_samples < 1 || e.limit < 0 || e.sc_limit < 0)
    return bad(p, "eval", "k_shot and sc_samples must be >= 1, limits >= 0");
  bool icl_needed = m.icl_fraction > 0 || m.repeat_documents > 0;
  if (icl_needed && (e.icl_context < 501 || e.icl_context > c.seq_len))
    return bad(p, "eval.icl_context",
               fmt::format("{} tokens: the ICL score reads token 500, so it needs 501..seq_len "
                           "({}) tokens",
                           e.icl_context, c.seq_len),
               "raise seq_len to >= 512 or set mixture.icl_fraction = 0 (no ICL score)");
  // a held-out repeated-halves document must reach icl_context tokens, with token 50 in its first
  // half and token 500 in its second
  if (m.repeat_documents > 0 &&
      (2 * m.repeat_lengths[0] < e.icl_context || m.repeat_lengths[1] > 500))
    return bad(p, "mixture.repeat_lengths",
               fmt::format("[{}, {}] with repeat_documents: each half needs {}..500 symbols, so "
                           "that a document reaches eval.icl_context ({}) tokens with token 50 in "
                           "its first half and token 500 in its second",
                           m.repeat_lengths[0], m.repeat_lengths[1], (e.icl_context + 1) / 2,
                           e.icl_context),
               "e.g. repeat_lengths = [256, 320]");
  return ok_status();
}

}  // namespace lm::emergence
