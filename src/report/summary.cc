// summary.cc: summarize_pipeline (see summary.h): each stage's figure from its files.
#include "report/summary.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/file_util.h"

namespace lm::report {
namespace {

using Json = nlohmann::ordered_json;

Result<Json> read_json(const std::string& path) {
  LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return corrupt("{}: not a JSON object", path).with_hint("re-run the stage that writes it");
  return j;
}

// The number at j[a][b]... (0 when absent or not a number).
double num(const Json& j, std::initializer_list<const char*> keys) {
  const Json* p = &j;
  for (const char* k : keys) {
    if (!p->is_object() || !p->contains(k)) return 0;
    p = &(*p)[k];
  }
  return p->is_number() ? p->get<double>() : 0;
}

std::string count(double v) {  // 205258 -> "205,258"
  std::string s = fmt::format("{:.0f}", v), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && (s.size() - i) % 3 == 0 && s[i - 1] != '-') out += ',';
    out += s[i];
  }
  return out;
}

std::string mb(double bytes) { return fmt::format("{:.2f} MB", bytes / 1e6); }

std::string millions(double v) { return fmt::format("{:.2f} M", v / 1e6); }

Status collect(const std::string& out, StageRow* row, Json* fig) {
  const std::string path = out + "/sample/manifest.json";
  if (!file_exists(path)) return ok_status();
  LM_ASSIGN_OR_RETURN(Json j, read_json(path));
  double bytes = 0;
  std::vector<std::string> langs;
  if (j.contains("sources") && j["sources"].is_object())
    for (const auto& [key, v] : j["sources"].items()) {
      bytes += num(v, {"bytes"});
      std::string lang = key.substr(key.find('/') + 1);
      if (std::find(langs.begin(), langs.end(), lang) == langs.end()) langs.push_back(lang);
    }
  (*fig)["documents"] = num(j, {"documents"});
  (*fig)["bytes"] = bytes;
  row->figure = fmt::format("{} documents, {} of text, {} languages", count(num(j, {"documents"})),
                            mb(bytes), langs.size());
  row->path = "sample/";
  return ok_status();
}

Status clean(const std::string& out, StageRow* row, Json* fig) {
  const std::string path = out + "/clean/stats.json";
  if (!file_exists(path)) return ok_status();
  LM_ASSIGN_OR_RETURN(Json j, read_json(path));
  const double in = num(j, {"input", "documents"}), kept = num(j, {"kept", "documents"});
  (*fig)["documents_in"] = in;
  (*fig)["documents_kept"] = kept;
  (*fig)["bytes_kept"] = num(j, {"kept", "bytes"});
  row->figure = fmt::format("{} of {} documents kept ({:.1f}%), {}", count(kept), count(in),
                            in > 0 ? 100 * kept / in : 0.0, mb(num(j, {"kept", "bytes"})));
  if (j.contains("by_lang") && j["by_lang"].is_object()) {
    std::string per;
    for (const auto& [lang, g] : j["by_lang"].items()) {
      per += fmt::format("{}{} {}", per.empty() ? "" : ", ", lang,
                         count(num(g, {"kept", "documents"})));
      (*fig)["kept_by_lang"][lang] = num(g, {"kept", "documents"});
    }
    row->figure += "\n" + per;
  }
  row->path = "clean/stats.json";
  return ok_status();
}

Status dedup(const std::string& out, StageRow* row, Json* fig) {
  const std::string path = out + "/dedup/stats.json";
  if (!file_exists(path)) return ok_status();
  LM_ASSIGN_OR_RETURN(Json j, read_json(path));
  const double in = num(j, {"documents_in"}), kept = num(j, {"documents_kept"});
  (*fig)["documents_removed"] = in - kept;
  row->figure = fmt::format("{} of {} documents removed as duplicates, {} lines", count(in - kept),
                            count(in), count(num(j, {"lines_removed"})));
  row->path = "dedup/stats.json";
  return ok_status();
}

Status tokenize(const std::string& out, StageRow* row, Json* fig) {
  const std::string path = out + "/tokenizer.json";
  if (!file_exists(path)) return ok_status();
  LM_ASSIGN_OR_RETURN(Json j, read_json(path));
  if (!j.contains("model") || !j["model"].is_object() || !j["model"].contains("vocab") ||
      !j["model"]["vocab"].is_object())
    return corrupt("{}: no model.vocab (not a Hugging Face tokenizer.json)", path);
  double size = 0;  // ids are 0..size-1: the largest id of the vocabulary and the added tokens
  for (const auto& [tok, id] : j["model"]["vocab"].items())
    if (id.is_number()) size = std::max(size, id.get<double>() + 1);
  if (j.contains("added_tokens") && j["added_tokens"].is_array())
    for (const auto& t : j["added_tokens"]) size = std::max(size, num(t, {"id"}) + 1);
  std::string type = j["model"].value("type", std::string("?"));
  (*fig)["vocabulary"] = size;
  row->figure = fmt::format("vocabulary {} ({})", count(size), type);
  row->path = "tokenizer.json";
  return ok_status();
}

Status pack(const std::string& out, double clean_bytes, StageRow* row, Json* fig) {
  const std::string path = out + "/pack/corpus.meta.json";
  if (!file_exists(path)) return ok_status();
  LM_ASSIGN_OR_RETURN(Json j, read_json(path));
  const double train = num(j, {"train", "tokens"}), val = num(j, {"val", "tokens"});
  const double docs = num(j, {"train", "documents"}) + num(j, {"val", "documents"});
  (*fig)["train_tokens"] = train;
  (*fig)["val_tokens"] = val;
  row->figure = fmt::format("{} train + {} val tokens", millions(train), millions(val));
  // A weighted pack (pack --weight) writes some train documents several times: its tokens are
  // not the cleaned text's, so it shows the weights instead of bytes/token.
  if (j.contains("source_weights") && j["source_weights"].is_object() &&
      !j["source_weights"].empty()) {
    std::string w;
    for (const auto& [source, v] : j["source_weights"].items()) {
      w += fmt::format("{}{} x{:g}", w.empty() ? "" : ", ", source, v.get<double>());
    }
    (*fig)["source_weights"] = j["source_weights"];
    row->figure += fmt::format(" (train weighted: {})", w);
  } else if (clean_bytes > 0 && train + val > docs) {  // one EOT per document
    (*fig)["bytes_per_token"] = clean_bytes / (train + val - docs);
    row->figure += fmt::format(", {:.2f} bytes/token", clean_bytes / (train + val - docs));
  }
  row->path = "pack/corpus.{bin,idx,val.*,meta.json}";
  return ok_status();
}

Status train(const std::string& out, StageRow* row, Json* fig) {
  const std::string path = out + "/run/metrics.jsonl";
  if (!file_exists(path)) return ok_status();
  LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  std::istringstream in(text);
  std::string line;
  double step = 0, tokens = 0, val = NAN, loss = NAN;
  std::vector<double> speeds;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return corrupt("{}:{}: not a JSON object", path, n).with_hint("re-run the training");
    if (!j.contains("step")) continue;
    step = num(j, {"step"});
    tokens = std::max(tokens, num(j, {"tokens"}));
    if (j.contains("loss") && j["loss"].is_number()) loss = j["loss"].get<double>();
    if (j.contains("val_loss") && j["val_loss"].is_number()) val = j["val_loss"].get<double>();
    if (num(j, {"tokens_per_sec"}) > 0) speeds.push_back(num(j, {"tokens_per_sec"}));
  }
  double speed = 0;  // the median: the first steps (warm-up of the caches) are slower
  if (!speeds.empty()) {
    std::nth_element(speeds.begin(), speeds.begin() + speeds.size() / 2, speeds.end());
    speed = speeds[speeds.size() / 2];
  }
  double params = 0;
  if (file_exists(out + "/run/run.json")) {
    LM_ASSIGN_OR_RETURN(Json r, read_json(out + "/run/run.json"));
    params = num(r, {"params"});
  }
  (*fig)["params"] = params;
  (*fig)["steps"] = step;
  (*fig)["tokens"] = tokens;
  (*fig)["train_loss"] = std::isfinite(loss) ? Json(loss) : Json(nullptr);
  (*fig)["val_loss"] = std::isfinite(val) ? Json(val) : Json(nullptr);
  (*fig)["tokens_per_sec"] = speed;
  row->figure = fmt::format("{} params, {} steps, {} tokens", millions(params), count(step),
                            millions(tokens));
  row->figure +=
      std::isfinite(val)
          ? fmt::format("\nval loss {:.3f} (perplexity {:.1f}), {} tokens/s", val, std::exp(val),
                        count(speed))
          : fmt::format("\nno val loss; last train loss {:.3f}, {} tokens/s", loss, count(speed));
  row->path = "run/";
  return ok_status();
}

Status generate(const std::string& out, StageRow* row) {
  const std::string path = out + "/run/generate.txt";
  if (!file_exists(path)) return ok_status();
  LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  row->figure = fmt::format("{} bytes of samples", count(static_cast<double>(text.size())));
  row->path = "run/generate.txt";
  return ok_status();
}

// The main metric of each task (exact_match, else acc, else the first one), per filter, from
// run/eval/results.json and run/eval/*/results.json (one `eval tasks --output` each).
Status evaluate_file(const std::string& path, std::string* lines, Json* fig) {
  LM_ASSIGN_OR_RETURN(Json j, read_json(path));
  if (!j.contains("results") || !j["results"].is_object())
    return corrupt("{}: no \"results\" object (not an lm-evaluation-harness results file)", path);
  for (const auto& [task, metrics] : j["results"].items()) {
    if (!metrics.is_object()) continue;
    std::string main;
    for (const char* want : {"exact_match,", "acc,", ""})
      for (const auto& [key, v] : metrics.items())
        if (main.empty() && key.rfind(want, 0) == 0 && key.find("_stderr") == std::string::npos &&
            key != "alias")
          main = key.substr(0, key.find(','));
    std::string line = task + ":";
    for (const auto& [key, v] : metrics.items()) {
      if (key.rfind(main + ",", 0) != 0 || !v.is_number()) continue;
      line += fmt::format(" {} {:.3f}", key, v.get<double>());
      (*fig)[task][key] = v;
    }
    *lines += (lines->empty() ? "" : "\n") + line;
  }
  return ok_status();
}

Status evaluate(const std::string& out, StageRow* row, Json* fig) {
  const std::string dir = out + "/run/eval";
  std::vector<std::string> files;
  if (file_exists(dir + "/results.json")) files.push_back("results.json");
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_directory() && file_exists(e.path().string() + "/results.json"))
      files.push_back(e.path().filename().string() + "/results.json");
  if (files.empty()) return ok_status();
  std::sort(files.begin() + (files[0] == "results.json" ? 1 : 0), files.end());
  std::string lines;
  for (const auto& f : files) LM_RETURN_IF_ERROR(evaluate_file(dir + "/" + f, &lines, fig));
  row->figure = lines;
  row->path = "run/eval/" + (files.size() == 1 ? files[0] : std::string("**/results.json"));
  return ok_status();
}

Status watch(const std::string& out, StageRow* row) {
  if (!file_exists(out + "/run/report.html")) return ok_status();
  row->figure = "loss curves, extrapolation";
  row->path = "run/report.html";
  return ok_status();
}

Status scale(const std::string& out, StageRow* row, Json* fig) {
  const std::string dir = out + "/sweep-tiny";
  if (!file_exists(dir + "/sweep.json")) return ok_status();
  LM_ASSIGN_OR_RETURN(Json j, read_json(dir + "/sweep.json"));
  (*fig)["runs"] = num(j, {"runs"});
  (*fig)["holdout_predicted_loss"] = num(j, {"holdout_predicted_loss"});
  if (j.contains("holdout_skipped") && j["holdout_skipped"].is_string())
    row->figure = fmt::format("{} runs; no held-out prediction (the fit has no optimum)",
                              count(num(j, {"runs"})));
  else
    row->figure = fmt::format("{} runs; held-out predicted {:.3f}", count(num(j, {"runs"})),
                              num(j, {"holdout_predicted_loss"}));
  if (j.contains("holdout_actual_loss")) {
    const double err = num(j, {"holdout_error"}), actual = num(j, {"holdout_actual_loss"});
    (*fig)["holdout_actual_loss"] = actual;
    (*fig)["holdout_error"] = err;
    row->figure += fmt::format(", actual {:.3f} (error {:+.3f}, {:+.1f}%)", actual, err,
                               actual > 0 ? 100 * err / actual : 0.0);
  }
  if (j.contains("fit") && j["fit"].is_object()) {
    const Json& f = j["fit"];
    const bool e_ok = f.contains("E_identified") && f["E_identified"].is_boolean() &&
                      f["E_identified"].get<bool>();
    (*fig)["E_identified"] = e_ok;
    row->figure += fmt::format("\nalpha {:.2f}, beta {:.2f}, E {:.2f}{}", num(f, {"alpha"}),
                               num(f, {"beta"}), num(f, {"E"}), e_ok ? "" : " (not identified)");
  }
  row->path = file_exists(dir + "/report.html") ? "sweep-tiny/report.html" : "sweep-tiny/";
  return ok_status();
}

// The mean exact match over the tasks of an `eval tasks` results.json (tasks without one skipped).
Result<double> mean_exact_match(const std::string& path, int* tasks) {
  LM_ASSIGN_OR_RETURN(Json j, read_json(path));
  if (!j.contains("results") || !j["results"].is_object())
    return corrupt("{}: no \"results\" object (not an lm-evaluation-harness results file)", path);
  double sum = 0;
  *tasks = 0;
  for (const auto& [task, m] : j["results"].items())
    if (m.is_object() && m.contains("exact_match,none") && m["exact_match,none"].is_number()) {
      sum += m["exact_match,none"].get<double>();
      ++*tasks;
    }
  return *tasks > 0 ? sum / *tasks : 0.0;
}

// scripts/sample-sft: held-out exact match of the base (zero-shot) and the fine-tuned model.
Status sft(const std::string& out, StageRow* row, Json* fig) {
  const std::string base = out + "/sft/eval_base/results.json",
                    tuned = out + "/sft/eval_sft/results.json";
  if (!file_exists(base) || !file_exists(tuned)) return ok_status();
  int n_base = 0, n_sft = 0;
  LM_ASSIGN_OR_RETURN(double b, mean_exact_match(base, &n_base));
  LM_ASSIGN_OR_RETURN(double t, mean_exact_match(tuned, &n_sft));
  (*fig)["tasks"] = n_sft;
  (*fig)["base_exact_match"] = b;
  (*fig)["sft_exact_match"] = t;
  row->figure =
      fmt::format("held-out exact match {:.1f}% (base) -> {:.1f}% (SFT), mean of {} tasks", 100 * b,
                  100 * t, n_sft);
  row->path = "sft/";
  return ok_status();
}

// OUT/emergence/emergence.json: the largest arithmetic task's exact match and per-token accuracy
// from the smallest to the largest ladder size (zero-shot), and the last ICL score per role.
Status emergence(const std::string& out, StageRow* row, Json* fig) {
  const std::string dir = out + "/emergence";
  if (!file_exists(dir + "/emergence.json")) return ok_status();
  LM_ASSIGN_OR_RETURN(Json j, read_json(dir + "/emergence.json"));
  const Json& rows = j.contains("rows") && j["rows"].is_array() ? j["rows"] : Json::array();
  (*fig)["checkpoints"] = rows.size();
  row->figure = fmt::format("{} checkpoints", rows.size());
  if (j.contains("analysis") && j["analysis"].contains("mirage")) {
    std::string task;
    for (const auto& [t, v] : j["analysis"]["mirage"].items())
      if (t.rfind("arithmetic_add_", 0) == 0 && v.contains("zero-shot")) task = t;
    if (!task.empty()) {
      const Json& pts = j["analysis"]["mirage"][task]["zero-shot"]["points"];
      if (pts.is_array() && !pts.empty()) {
        const Json &a = pts.front(), &b = pts.back();
        (*fig)["task"] = task;
        (*fig)["exact_match_smallest"] = num(a, {"exact_match"});
        (*fig)["exact_match_largest"] = num(b, {"exact_match"});
        row->figure += fmt::format("; {} EM {:.2f} -> {:.2f}, token acc {:.2f} -> {:.2f}", task,
                                   num(a, {"exact_match"}), num(b, {"exact_match"}),
                                   num(a, {"token_accuracy"}), num(b, {"token_accuracy"}));
      }
    }
  }
  row->path = file_exists(dir + "/report.html") ? "emergence/report.html" : "emergence/";
  return ok_status();
}

// OUT/times.tsv: "Stage<TAB>seconds" per line, in the order the stages ran.
Result<std::vector<std::pair<std::string, double>>> read_times(const std::string& path) {
  std::vector<std::pair<std::string, double>> times;
  if (!file_exists(path)) return times;
  LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    size_t tab = line.find('\t');
    char* end = nullptr;
    double s = tab == std::string::npos ? NAN : std::strtod(line.c_str() + tab + 1, &end);
    if (tab == std::string::npos || !std::isfinite(s) || end == line.c_str() + tab + 1)
      return corrupt("{}:{}: expected \"Stage<TAB>seconds\", got \"{}\"", path, n, line);
    times.emplace_back(line.substr(0, tab), s);
  }
  return times;
}

}  // namespace

Result<PipelineSummary> summarize_pipeline(const std::string& out) {
  if (!file_exists(out))
    return not_found("{}: no such folder", out).with_hint("run `make run` (OUT=DIR) first");
  PipelineSummary s;
  s.out_dir = out;
  const char* names[] = {"Collect",  "Clean", "Dedup", "Tokenize", "Pack", "Train",    "Generate",
                         "Evaluate", "Watch", "Plan",  "Scale",    "SFT",  "Emergence"};
  for (const char* n : names) s.rows.push_back({n, "", "", -1});
  auto fig = [&](const char* stage) -> Json* { return &s.figures[stage]; };
  LM_RETURN_IF_ERROR(collect(out, &s.rows[0], fig("Collect")));
  LM_RETURN_IF_ERROR(clean(out, &s.rows[1], fig("Clean")));
  LM_RETURN_IF_ERROR(dedup(out, &s.rows[2], fig("Dedup")));
  LM_RETURN_IF_ERROR(tokenize(out, &s.rows[3], fig("Tokenize")));
  LM_RETURN_IF_ERROR(pack(out, num(s.figures["Clean"], {"bytes_kept"}), &s.rows[4], fig("Pack")));
  LM_RETURN_IF_ERROR(train(out, &s.rows[5], fig("Train")));
  LM_RETURN_IF_ERROR(generate(out, &s.rows[6]));
  LM_RETURN_IF_ERROR(evaluate(out, &s.rows[7], fig("Evaluate")));
  LM_RETURN_IF_ERROR(watch(out, &s.rows[8]));
  s.rows[9].figure = "";  // estimate / scaling law print their tables; nothing is written
  LM_RETURN_IF_ERROR(scale(out, &s.rows[10], fig("Scale")));
  LM_RETURN_IF_ERROR(sft(out, &s.rows[11], fig("SFT")));
  LM_RETURN_IF_ERROR(emergence(out, &s.rows[12], fig("Emergence")));
  for (auto it = s.figures.begin(); it != s.figures.end();)
    it = it->empty() ? s.figures.erase(it) : std::next(it);

  LM_ASSIGN_OR_RETURN(auto times, read_times(out + "/times.tsv"));
  for (const auto& [stage, secs] : times) {
    auto it = std::find_if(s.rows.begin(), s.rows.end(),
                           [&, &stage = stage](const StageRow& r) { return r.stage == stage; });
    if (it == s.rows.end()) {
      s.rows.push_back({stage, "", "", secs});
    } else {
      it->seconds = secs;
    }
    s.total_seconds = std::max(0.0, s.total_seconds) + secs;
  }
  // A stage with neither files nor a time did not run: leave it out.
  s.rows.erase(std::remove_if(s.rows.begin(), s.rows.end(),
                              [](const StageRow& r) { return r.figure.empty() && r.seconds < 0; }),
               s.rows.end());
  return s;
}

std::string format_summary(const PipelineSummary& s) {
  size_t ws = 5, wf = 6;
  for (const auto& r : s.rows) {
    ws = std::max(ws, r.stage.size());
    std::istringstream in(r.figure);
    for (std::string l; std::getline(in, l);) wf = std::max(wf, l.size());
  }
  std::string out = fmt::format("{:<{}}  {:>7}  {:<{}}  {}\n", "stage", ws, "seconds", "figure", wf,
                                "output (under " + s.out_dir + "/)");
  for (const auto& r : s.rows) {
    std::istringstream in(r.figure.empty() ? std::string("-") : r.figure);
    std::string l;
    std::getline(in, l);
    out += fmt::format("{:<{}}  {:>7}  {:<{}}  {}\n", r.stage, ws,
                       r.seconds < 0 ? std::string("-") : fmt::format("{:.1f}", r.seconds), l, wf,
                       r.path);
    while (std::getline(in, l)) out += fmt::format("{:<{}}  {:>7}  {}\n", "", ws, "", l);
  }
  if (s.total_seconds >= 0)
    out += fmt::format("{:<{}}  {:>7.1f}  ({:.1f} min)\n", "total", ws, s.total_seconds,
                       s.total_seconds / 60);
  return out;
}

nlohmann::ordered_json summary_json(const PipelineSummary& s) {
  Json rows = Json::array();
  for (const auto& r : s.rows)
    rows.push_back({{"stage", r.stage},
                    {"seconds", r.seconds < 0 ? Json(nullptr) : Json(r.seconds)},
                    {"figure", r.figure},
                    {"path", r.path}});
  return {{"out", s.out_dir},
          {"stages", rows},
          {"total_seconds", s.total_seconds < 0 ? Json(nullptr) : Json(s.total_seconds)},
          {"figures", s.figures}};
}

}  // namespace lm::report
