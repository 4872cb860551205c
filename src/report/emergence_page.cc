// emergence_page.cc: see emergence_page.h.
#include "report/emergence_page.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "core/file_util.h"

namespace lm::report {
namespace {

using Json = nlohmann::json;

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s)
    o += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  return o;
}

double value(const Json& row, const std::string& task, const std::string& s, const std::string& m,
             const char* field = "value") {
  const Json& ms = row["metrics"];
  if (!ms.contains(task) || !ms[task].contains(s) || !ms[task][s].contains(m)) return NAN;
  const Json& v = ms[task][s][m][field];
  return v.is_number() ? v.get<double>() : NAN;
}

// gnuplot's enhanced text gives _ ^ @ & ~ { } a meaning (subscript, superscript, phantom box
// "@": "add_2@sc" showed as "add_2s"): each is escaped for titles.
std::string plain(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (std::strchr("_^@&~{}", c) != nullptr && c != '\0') o += "\\";
    o += c;
  }
  return o;
}

std::string cell(double v) { return std::isfinite(v) ? fmt::format("{:.3f}", v) : "-"; }

// Every plot of the page: log x, the key outside.
Plot log_x(const std::string& title, const std::string& xlabel, const std::string& ylabel) {
  Plot p;
  p.title = plain(title);
  p.xlabel = xlabel;
  p.ylabel = ylabel;
  p.logx = true;
  p.extra = {"set key outside right"};
  return p;
}

Plot vs_n(const std::string& title, const std::string& ylabel) {
  return log_x(title, "non-embedding parameters N", ylabel);
}

}  // namespace

Result<EmergencePage> emergence_page(const std::string& dir) {
  LM_ASSIGN_OR_RETURN(std::string text, read_file(dir + "/emergence.json"));
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.contains("rows") || !j["rows"].is_array() || !j.contains("analysis"))
    return Status(Code::kCorrupt, dir + "/emergence.json: not an emergence study's output",
                  "rerun `lmforge emergence --resume` to rewrite it");
  EmergencePage page;
  page.title = "Emergence study " + dir;
  std::vector<Json> fin;
  for (const auto& r : j["rows"])
    if (r.value("role", "") == "ladder" && r.value("final", false)) fin.push_back(r);
  std::sort(fin.begin(), fin.end(), [](const Json& a, const Json& b) {
    return a["non_embedding_params"].get<double>() < b["non_embedding_params"].get<double>();
  });
  std::vector<std::string> tasks = j.value("tasks", std::vector<std::string>{});
  // summary table: final ladder checkpoints, zero-shot discrete / continuous per task
  std::string h = fmt::format(
      "<p>{} checkpoints ({} ladder models at the end of training), tokenizer {}, context {}. "
      "Config {}.</p>\n<table><tr><th>model</th><th>N</th><th>tokens</th>",
      j["rows"].size(), fin.size(), esc(j.value("tokenizer", "")), j.value("seq_len", 0),
      esc(j.value("config", "")));
  for (const auto& t : tasks) h += "<th>" + esc(t) + "<br>discrete / token acc</th>";
  bool repeats = false;
  for (const auto& r : fin) repeats |= r.contains("icl_repeat_score");
  h +=
      repeats ? "<th>ICL score<br>text / repeated halves</th></tr>\n" : "<th>ICL score</th></tr>\n";
  for (const auto& r : fin) {
    h += fmt::format("<tr><td>{}</td><td>{:.3g}</td><td>{:.3g}</td>",
                     esc(r["model"].get<std::string>()), r["non_embedding_params"].get<double>(),
                     r["tokens"].get<double>());
    for (const auto& t : tasks) {
      const bool mc = t == "gcide_define" || t == "kjv_cloze";
      const double d = value(r, t, "zero-shot", mc ? "acc" : "exact_match");
      const double c =
          value(r, t, "zero-shot", t == "gcide_define" ? "brier_score" : "token_accuracy");
      h += "<td>" + cell(d) + " / " + cell(c) + "</td>";
    }
    auto num = [&](const char* k) {
      return r.contains(k) && r[k].is_number() ? r[k].get<double>() : NAN;
    };
    h += "<td>" + cell(num("icl_score")) +
         (repeats ? " / " + cell(num("icl_repeat_score")) : std::string()) + "</td></tr>\n";
  }
  h += "</table>\n";
  const Json& a = j["analysis"];
  if (a.contains("mirage"))
    for (const auto& [task, by_s] : a["mirage"].items())
      for (const auto& [s, m] : by_s.items())
        h += fmt::format("<p><b>Mirage test, {} ({})</b>: answers of {:.1f} tokens; {}.</p>\n",
                         esc(task), esc(s), m.value("answer_tokens_mean", 0.0),
                         esc(m.value("verdict", "")));
  page.summary_html = h;

  // 1. per task: discrete and continuous metrics vs N
  for (const auto& t : tasks) {
    const bool mc = t == "gcide_define" || t == "kjv_cloze";
    Plot p = vs_n(t + ": discrete and continuous metrics against N (zero-shot)", "metric");
    std::vector<std::pair<std::string, std::string>> ms =
        t == "gcide_define"
            ? std::vector<std::pair<std::string, std::string>>{{"acc", "acc"},
                                                               {"brier_score", "Brier score"}}
        : mc ? std::vector<std::pair<std::string, std::string>>{{"acc", "acc (discrete)"},
                                                                {"token_accuracy",
                                                                 "per-token accuracy"}}
             : std::vector<std::pair<std::string, std::string>>{
                   {"exact_match", "exact match (discrete)"},
                   {"token_accuracy", "per-token accuracy"}};
    for (const auto& [m, title] : ms) {
      Series s;
      s.title = title;
      s.style = "yerrorlines pt 7";
      s.using_cols = "1:2:3";
      for (const auto& r : fin) {
        double v = value(r, t, "zero-shot", m), e = value(r, t, "zero-shot", m, "stderr");
        if (std::isfinite(v))
          s.rows.push_back(
              {r["non_embedding_params"].get<double>(), v, std::isfinite(e) ? e : 0.0});
      }
      if (!s.rows.empty()) p.series.push_back(s);
    }
    if (!p.series.empty())
      page.plots.push_back({p, t + ": the discrete metric and a continuous one of the same "
                                   "answers, final checkpoint of each ladder size (error bars: "
                                   "standard errors)."});
  }
  // 2. predicted vs measured exact match
  if (a.contains("mirage"))
    for (const auto& [task, by_s] : a["mirage"].items()) {
      if (!by_s.contains("zero-shot")) continue;
      const Json& m = by_s["zero-shot"];
      Plot p =
          vs_n(task + ": measured exact match vs predicted from per-token accuracy", "exact match");
      Series meas{"measured", {}, "yerrorlines pt 7", "1:2:3"},
          pl{"p^L (measured p)", {}, "linespoints pt 6", "1:2"},
          fit{"p(N)^L (smooth fit of p)", {}, "lines dt 2", "1:2"};
      for (const auto& pt : m["points"]) {
        const double n = pt["N"].get<double>();
        meas.rows.push_back(
            {n, pt["exact_match"].get<double>(), pt["exact_match_stderr"].get<double>()});
        pl.rows.push_back({n, pt["predicted_pL"].get<double>()});
        fit.rows.push_back({n, pt["implied_by_fit"].get<double>()});
      }
      p.series = {meas, pl, fit};
      page.plots.push_back(
          {p, fmt::format("{}: exact match measured, predicted as p^L from the per-token "
                          "accuracy p (L = {:.1f} answer tokens), and implied by the smooth fit "
                          "logit(p) = a + b log10 N. {}",
                          task, m.value("answer_tokens_mean", 0.0), m.value("verdict", ""))});
    }
  // 3. ICL score vs tokens per model, and 3b. the induction-head contrast (paired over the same
  // documents): on the held-out text and, where scored, on the held-out repeated random halves
  struct DocSet {
    const char* score;     // the curve's key
    const char* contrast;  // the contrast point's keys: value, stderr, documents
    const char* stderr_key;
    const char* documents;
    const char* what;
  };
  for (const DocSet& ds :
       {DocSet{"icl_score", "contrast", "stderr", "documents", "held-out text documents"},
        DocSet{"icl_repeat_score", "repeat_contrast", "repeat_stderr", "repeat_documents",
               "held-out repeated random halves (L random symbols, then the same L again)"}}) {
    const bool text_set = std::string(ds.score) == "icl_score";
    if (a.contains("icl")) {
      Plot p = log_x(text_set ? "In-context learning score against training tokens"
                              : "ICL score on repeated random halves against training tokens",
                     "training tokens", "loss(token 500) - loss(token 50), nats");
      for (const auto& m : a["icl"]) {
        Series s;
        s.title =
            plain(fmt::format("{} ({} layer{})", m["model"].get<std::string>(),
                              m["layers"].get<int>(), m["layers"].get<int>() == 1 ? "" : "s"));
        s.style = m["layers"].get<int>() == 1 ? "linespoints dt 2 pt 6" : "linespoints pt 7";
        for (const auto& pt : m["curve"])
          if (pt.contains(ds.score) && pt[ds.score].is_number())
            s.rows.push_back({pt["tokens"].get<double>(), pt[ds.score].get<double>()});
        if (!s.rows.empty()) p.series.push_back(s);
      }
      if (!p.series.empty())
        page.plots.push_back(
            {p, fmt::format("Olsson et al.'s ICL score on the {} at every kept checkpoint: more "
                            "negative = later tokens are predicted better than early ones (the "
                            "context is used). Dashed: 1-layer models.",
                            ds.what)});
    }
    if (!a.contains("icl_contrast")) continue;
    Plot p = log_x(text_set ? "ICL contrast: 1-layer minus deeper model, paired over the same "
                              "documents"
                            : "ICL contrast on repeated random halves: 1-layer minus deeper model",
                   "training tokens", "score(1 layer) - score(2+ layers), nats");
    std::string text;
    for (const auto& m : a["icl_contrast"]) {
      Series s;
      s.title = plain(fmt::format("{} - {}", m["one_layer"].get<std::string>(),
                                  m["multi_layer"].get<std::string>()));
      s.style = "yerrorlines pt 7";
      s.using_cols = "1:2:3";
      for (const auto& pt : m["points"])
        if (pt.contains(ds.contrast))
          s.rows.push_back({pt["tokens"].get<double>(), pt[ds.contrast].get<double>(),
                            pt[ds.stderr_key].is_number() ? pt[ds.stderr_key].get<double>() : 0.0});
      if (s.rows.empty()) continue;
      p.series.push_back(s);
      const auto& f = m["points"].back();
      if (!f.contains(ds.contrast)) continue;
      text += fmt::format("{} minus {}: {:+.3f} ± {} nats at the end ({} documents). ",
                          m["one_layer"].get<std::string>(), m["multi_layer"].get<std::string>(),
                          f[ds.contrast].get<double>(),
                          f[ds.stderr_key].is_number()
                              ? fmt::format("{:.3f}", f[ds.stderr_key].get<double>())
                              : "?",
                          f[ds.documents].get<int>());
    }
    if (p.series.empty()) continue;
    page.summary_html += fmt::format(
        "<p><b>ICL contrast on the {}</b> (paired over the same documents; positive = the "
        "deeper model uses the context more): {}</p>\n",
        esc(ds.what), esc(text));
    page.plots.push_back(
        {p, fmt::format("The induction-head contrast on the {}: per document, the 1-layer "
                        "model's ICL score minus the deeper model's, averaged (error bars: "
                        "standard error of the paired difference). Olsson et al. find about "
                        "0.4 nats on text once 2-layer models form induction heads, and none "
                        "for 1-layer ones. {}",
                        ds.what, text)});
  }
  // 4. CoT gain and k-shot gain vs N
  for (const auto& [key, title, ylabel] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"cot_gain", "Chain of thought minus direct (k-shot) exact match against N", "CoT gain"},
           {"kshot_gain", "k-shot minus zero-shot (discrete metric) against N", "k-shot gain"}}) {
    if (!a.contains(key)) continue;
    Plot p = vs_n(title, ylabel);
    std::map<std::string, Series> by;
    for (const auto& r : a[key])
      for (const auto& [k, v] : r.items())
        if (k != "N" && k != "model" && v.is_number()) {
          auto& s = by[k];
          s.title = plain(k);
          s.style = "linespoints pt 7";
          s.rows.push_back({r["N"].get<double>(), v.get<double>()});
        }
    for (auto& [k, s] : by) p.series.push_back(s);
    if (!p.series.empty())
      page.plots.push_back({p, title + " (final checkpoint of each ladder size)."});
  }
  return page;
}

}  // namespace lm::report
