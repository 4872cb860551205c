// results.cc: results.json / samples_<task>.jsonl / the markdown table, and SHA-256 (OpenSSL) for
// the samples' doc_hash / prompt_hash / target_hash as the harness computes them.
#include "eval/results.h"

#include <fmt/core.h>
#include <openssl/evp.h>

#include <cmath>
#include <filesystem>

#include "core/file_util.h"

namespace lm::eval {
namespace {

Json number_or_na(const std::optional<double>& v) {
  if (!v) return "N/A";
  if (!std::isfinite(*v)) return nullptr;
  return *v;
}

Json finite_or_null(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

size_t cp_len(const std::string& s) {
  size_t len = 0;
  for (unsigned char c : s) len += (c & 0xC0) != 0x80;  // code points
  return len;
}

std::string pad(const std::string& s, size_t w, bool right) {
  size_t len = cp_len(s);
  if (len >= w) return s;
  return right ? std::string(w - len, ' ') + s : s + std::string(w - len, ' ');
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned int i = 0; i < n; i++) out += fmt::format("{:02x}", md[i]);
  return out;
}

Json results_json(const std::vector<TaskResult>& results, const RunInfo& info) {
  Json j = Json::object();
  Json res = Json::object(), group_subtasks = Json::object(), configs = Json::object(),
       versions = Json::object(), nshot = Json::object(), hib = Json::object(),
       nsamples = Json::object();
  for (const auto& r : results) {
    Json t = Json::object();
    t["alias"] = r.name;
    for (const auto& m : r.metrics) {
      t[m.metric + "," + m.filter] = finite_or_null(m.value);
      t[m.metric + "_stderr," + m.filter] = number_or_na(m.stderr_value);
    }
    res[r.name] = t;
    group_subtasks[r.name] = Json::array();
    Json cfg = r.config;
    cfg["task"] = r.name;
    if (r.strategy != "direct") cfg["lmforge_strategy"] = r.strategy;
    configs[r.name] = cfg;
    versions[r.name] = r.version;
    nshot[r.name] = r.n_shot;
    Json h = Json::object();
    for (const auto& m : r.metrics) h[m.metric] = m.higher_is_better;
    hib[r.name] = h;
    nsamples[r.name] = Json{{"original", r.n_original}, {"effective", r.n_effective}};
  }
  j["results"] = res;
  j["group_subtasks"] = group_subtasks;
  j["configs"] = configs;
  j["versions"] = versions;
  j["n-shot"] = nshot;
  j["higher_is_better"] = hib;
  j["n-samples"] = nsamples;
  j["config"] = Json{{"model", info.model},
                     {"model_args", info.model_args},
                     {"model_info", info.model_info},
                     {"batch_size", "auto"},
                     {"limit", info.limit > 0 ? Json(info.limit) : Json(nullptr)},
                     {"bootstrap_iters", info.bootstrap_iters},
                     {"gen_kwargs", nullptr},
                     {"strategies", info.strategies},
                     {"random_seed", info.seed},
                     {"numpy_seed", info.seed},
                     {"torch_seed", info.seed},
                     {"fewshot_seed", info.seed}};
  j["lmforge_version"] = info.lmforge_version;
  // Run-dependent fields, kept apart (determinism tests drop exactly these two keys).
  j["date"] = info.date;
  j["total_evaluation_time_seconds"] = fmt::format("{:.3f}", info.seconds);
  return j;
}

Status write_results(const std::string& out_dir, const std::vector<TaskResult>& results,
                     const RunInfo& info, bool log_samples) {
  std::string text =
      results_json(results, info).dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  // Each file is written atomically; when one fails, the ones this call wrote (and OUT, when this
  // call made it) are removed again, so OUT never holds part of a run.
  std::error_code ec;
  const bool made = !std::filesystem::exists(out_dir, ec);
  LM_RETURN_IF_ERROR(make_dirs(out_dir));
  std::vector<std::string> written;
  auto write = [&](const std::string& path, const std::string& data) {
    Status st = write_file_atomic(path, data);
    if (st.ok()) {
      written.push_back(path);
      return st;
    }
    for (const auto& w : written) std::filesystem::remove(w, ec);
    if (made) std::filesystem::remove(out_dir, ec);
    return st;
  };
  if (log_samples) {
    for (const auto& r : results) {
      std::string lines;
      for (const auto& s : r.samples) lines += s + "\n";
      LM_RETURN_IF_ERROR(write(out_dir + "/samples_" + r.name + ".jsonl", lines));
    }
  }
  return write(out_dir + "/results.json", text);
}

std::string results_table(const std::vector<TaskResult>& results) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"Tasks", "Version", "Filter", "n-shot", "Metric", "", "Value", "", "Stderr"});
  for (const auto& r : results) {
    std::string version = r.version.is_null()     ? "N/A"
                          : r.version.is_string() ? r.version.get<std::string>()
                                                  : r.version.dump();
    bool first = true;
    for (const auto& m : r.metrics) {
      std::string se = m.stderr_value ? fmt::format("{:.4f}", *m.stderr_value) : "N/A";
      rows.push_back({first ? r.name : "", first ? version : "", m.filter,
                      first ? std::to_string(r.n_shot) : "", m.metric,
                      m.higher_is_better ? "↑" : "↓", fmt::format("{:.4f}", m.value), "±", se});
      first = false;
    }
  }
  std::vector<size_t> w(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); i++) w[i] = std::max(w[i], cp_len(row[i]));
  const bool right[] = {false, true, false, true, false, false, true, false, true};
  std::string out;
  for (size_t r = 0; r < rows.size(); r++) {
    out += "|";
    for (size_t i = 0; i < rows[r].size(); i++)
      out += pad(rows[r][i], w[i], right[i] && r > 0) + "|";
    out += "\n";
    if (r == 0) {
      out += "|";
      for (size_t i = 0; i < w.size(); i++)
        out += std::string(std::max<size_t>(w[i], 1) - (right[i] ? 1 : 0), '-') +
               (right[i] ? ":" : "") + "|";
      out += "\n";
    }
  }
  return out;
}

}  // namespace lm::eval
