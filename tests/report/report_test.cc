// report_test.cc: `lmforge report` on a run folder and on a sweep folder (runs generated from a
// known law with noise): the page has one inline gnuplot SVG per plot, and it renders in headless
// Chromium (--dump-dom shows the SVG elements; --screenshot writes a non-trivial PNG). Chromium
// tests skip when /usr/bin/chromium is absent; gnuplot is required.
#include "report/report.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/rng.h"
#include "scaling/fit_report.h"
#include "test_util.h"

namespace lm::report {
namespace {

std::string tmpdir(const std::string& name) {
  return std::string(LMFORGE_BUILD_DIR) + "/test-tmp/report-" + name + "-" +
         std::to_string(getpid());
}

int run(const std::string& cmd, std::string* out) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  out->clear();
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out->append(buf, n);
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string metrics(double n, double steps, Rng& rng) {
  std::string m;
  for (int s = 10; s <= steps; s += 10) {
    double d = s * 512.0;
    double loss =
        (1.6 + 40 / std::pow(n, 0.32) + 90 / std::pow(d, 0.3)) * std::exp(0.003 * rng.normal());
    m += fmt::format("{{\"step\":{},\"tokens\":{},\"loss\":{:.6f},\"lr\":{:.6g}}}\n", s, d, loss,
                     1e-3 * std::cos(1.5 * s / steps));
  }
  return m;
}

std::string make_sweep(const std::string& dir) {
  Rng rng(3);
  std::string csv = "params,tokens,flops,loss,name\n";
  for (double c : {2e11, 6e11, 2e12}) {
    for (double n : {1.5e4, 3e4, 6e4, 1.2e5, 2.4e5}) {
      double d = c / (6 * n);
      std::string name = fmt::format("c{:.0e}-n{:.0e}", c, n);
      double loss =
          (1.6 + 40 / std::pow(n, 0.32) + 90 / std::pow(d, 0.3)) * std::exp(0.003 * rng.normal());
      csv += fmt::format("{},{},{},{},{}\n", n, d, c, loss, name);
      EXPECT_TRUE(make_dirs(dir + "/runs/" + name).ok());
      EXPECT_TRUE(
          write_file_atomic(dir + "/runs/" + name + "/metrics.jsonl", metrics(n, d / 512, rng))
              .ok());
    }
  }
  EXPECT_TRUE(write_file_atomic(dir + "/runs.csv", csv).ok());
  return dir;
}

size_t count(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + 1)) ++n;
  return n;
}

void check_chromium(const std::string& html_path, size_t svgs) {
  if (!file_exists("/usr/bin/chromium")) LM_SKIP_OR_FAIL_IN_CI("no /usr/bin/chromium");
  std::string profile = html_path + ".chromium-profile";
  std::string flags =
      "/usr/bin/chromium --headless --no-sandbox --disable-gpu "
      "--disable-background-networking --disable-component-update --disable-sync "
      "--no-first-run --user-data-dir=" +
      profile;
  std::string dom, out;
  ASSERT_EQ(run("timeout 120 " + flags + " --dump-dom file://" + html_path + " 2>/dev/null", &dom),
            0);
  EXPECT_EQ(count(dom, "<svg"), svgs) << dom.substr(0, 500);
  EXPECT_EQ(count(dom, "<figcaption>"), svgs);
  std::string png = html_path + ".png";
  ASSERT_EQ(run("timeout 120 " + flags + " --window-size=1000,3000 --screenshot=" + png +
                    " file://" + html_path,
                &out),
            0)
      << out;
  auto img = read_file(png);
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->substr(1, 3), "PNG");
  EXPECT_GT(img->size(), 20000u);  // a blank page is a few KB
}

TEST(Report, SweepPageRendersInChromium) {
  std::string dir = make_sweep(tmpdir("sweep"));
  std::string out;
  ASSERT_EQ(run(std::string(LMFORGE_BINARY) + " report " + dir + " --bootstrap 20 --json", &out), 0)
      << out;
  EXPECT_NE(out.find("\"kind\":\"sweep\""), std::string::npos) << out;
  auto html = read_file(dir + "/report.html");
  ASSERT_TRUE(html.ok());
  EXPECT_EQ(count(*html, "<svg"), 4u);  // curves, IsoFLOP, frontier, predicted vs actual
  EXPECT_NE(html->find("IsoFLOP"), std::string::npos);
  EXPECT_NE(html->find("95% bootstrap band"), std::string::npos);
  EXPECT_EQ(html->find(".report-tmp"), std::string::npos);
  check_chromium(dir + "/report.html", 4);
}

// The sweep folder's runs.csv fitted quickly (coarse grid, 8 bootstrap resamples).
Result<scaling::FitReport> quick_fit(const std::string& dir) {
  LM_ASSIGN_OR_RETURN(auto t, scaling::read_runs_csv(dir + "/runs.csv"));
  scaling::Approach3Options fo;
  fo.bootstrap = 8;
  fo.coarse_grid = true;
  return scaling::fit_runs(t, fo);
}

// A sweep folder with fit.json: the page shows that file's law (here with a marked E), not a
// refit of runs.csv, and its bootstrap resamples make the band.
TEST(Report, SweepPageReadsFitJson) {
  std::string dir = make_sweep(tmpdir("fitjson"));
  auto fit = quick_fit(dir);
  ASSERT_TRUE(fit.ok()) << fit.status().to_string();
  fit->approach3.params.E = 1.23456;
  ASSERT_TRUE(scaling::write_fit_json(dir + "/fit.json", *fit).ok());
  auto back = scaling::read_fit_json(dir + "/fit.json");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->approach3.bootstrap_params.size(), 8u);
  EXPECT_EQ(back->approach3.E.hi, fit->approach3.E.hi);
  EXPECT_EQ(scaling::fit_report_json(*back), scaling::fit_report_json(*fit));
  auto r = write_report(dir, {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto html = read_file(r->path);
  ASSERT_TRUE(html.ok());
  EXPECT_NE(html->find("<td>1.23456</td>"), std::string::npos);
  EXPECT_NE(html->find("95% bootstrap band"), std::string::npos);
}

// A fit whose bootstrap lets A run off to inf (E not identified, as the tiny sweep's does):
// fit.json holds null there (nlohmann::json writes inf so); it reads back as inf and the page is
// written. It used to be refused as "intervals.A is not [lo, hi]".
TEST(Report, SweepPageReadsAnUnboundedInterval) {
  std::string dir = make_sweep(tmpdir("fitjson-inf"));
  auto fit = quick_fit(dir);
  ASSERT_TRUE(fit.ok()) << fit.status().to_string();
  fit->approach3.A.hi = INFINITY;
  fit->approach3.A.se = INFINITY;
  fit->approach3.B.lo = -INFINITY;
  fit->approach3.bootstrap_params[0].A = INFINITY;
  ASSERT_TRUE(scaling::write_fit_json(dir + "/fit.json", *fit).ok());
  auto text = read_file(dir + "/fit.json");
  ASSERT_TRUE(text.ok());
  ASSERT_TRUE(nlohmann::json::parse(*text)["intervals"]["A"][1].is_null());
  auto back = scaling::read_fit_json(dir + "/fit.json");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->approach3.A.hi, INFINITY);
  EXPECT_EQ(back->approach3.A.se, INFINITY);
  EXPECT_EQ(back->approach3.B.lo, -INFINITY);
  EXPECT_EQ(back->approach3.bootstrap_params[0].A, INFINITY);
  EXPECT_EQ(back->approach3.A.lo, fit->approach3.A.lo);
  EXPECT_EQ(scaling::fit_report_json(*back), scaling::fit_report_json(*fit));
  auto r = write_report(dir, {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  // Still a clear error: an interval end that is neither a number nor null.
  auto j = nlohmann::json::parse(*text);
  j["intervals"]["A"][1] = "big";
  ASSERT_TRUE(write_file_atomic(dir + "/fit.json", j.dump()).ok());
  auto bad = scaling::read_fit_json(dir + "/fit.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("intervals.A is not [lo, hi]"), std::string::npos);
}

// sweep.json's "reading" (what the fit can and cannot tell, as `scaling sweep` prints it) is on
// the page, escaped.
TEST(Report, SweepPageShowsTheReading) {
  std::string dir = make_sweep(tmpdir("reading"));
  nlohmann::json s = {{"runs", 9},
                      {"reading", "What this fit can and cannot tell:\n  - N < 1e5\n"}};
  ASSERT_TRUE(write_file_atomic(dir + "/sweep.json", s.dump()).ok());
  auto r = write_report(dir, {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto html = read_file(r->path);
  ASSERT_TRUE(html.ok());
  EXPECT_NE(html->find("<pre>What this fit can and cannot tell:\n  - N &lt; 1e5\n</pre>"),
            std::string::npos);
}

// sweep.json's run_table (`scaling sweep`) is a table on the page: every run's budget, shape,
// parameters apart with the non-embedding share, tokens, steps and validation loss, and the
// held-out run marked with its prediction.
TEST(Report, SweepPageShowsTheRunTable) {
  std::string dir = make_sweep(tmpdir("runtable"));
  nlohmann::json row = {{"name", "c1.00e+11-l2-h4-e32"},
                        {"budget", 1e11},
                        {"n_layer", 2},
                        {"n_head", 4},
                        {"n_embd", 32},
                        {"params", 43904},
                        {"non_embedding_params", 25472},
                        {"embedding_params", 18432},
                        {"non_embedding_share", 25472.0 / 43904},
                        {"tokens", 379392},
                        {"steps", 741},
                        {"val_loss", 4.25},
                        {"holdout", false}};
  nlohmann::json held = row;
  held["name"] = "holdout-<x>";
  held["holdout"] = true;
  held["val_loss"] = nullptr;  // not trained yet
  held["predicted_loss"] = 3.5;
  nlohmann::json s = {{"runs", 1}, {"run_table", {row, held}}};
  ASSERT_TRUE(write_file_atomic(dir + "/sweep.json", s.dump()).ok());
  auto r = write_report(dir, {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto html = read_file(r->path);
  ASSERT_TRUE(html.ok());
  EXPECT_NE(html->find("<th>non-embedding share</th>"), std::string::npos);
  EXPECT_NE(html->find("<tr><td style=\"text-align:left\">c1.00e+11-l2-h4-e32</td><td>1e+11</td>"
                       "<td>2 x 32 (4 heads)</td><td>43904</td><td>25472</td><td>18432</td>"
                       "<td>58%</td><td>3.794e+05</td><td>741</td><td>4.2500</td><td></td></tr>"),
            std::string::npos)
      << *html;
  EXPECT_NE(html->find("holdout-&lt;x&gt;</td>"), std::string::npos);
  EXPECT_NE(html->find("<td>-</td><td>held out, predicted 3.5000</td>"), std::string::npos);
}

TEST(Report, RunPage) {
  std::string dir = tmpdir("run");
  ASSERT_TRUE(make_dirs(dir).ok());
  Rng rng(1);
  ASSERT_TRUE(write_file_atomic(dir + "/metrics.jsonl", metrics(1e5, 2000, rng)).ok());
  auto r = write_report(dir, {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->kind, "run");
  EXPECT_EQ(r->plots, 2);
  auto html = read_file(r->path);
  EXPECT_NE(html->find("Extrapolation from the first 50%"), std::string::npos);
}

// A run with eval/results.json in the harness's layout (as `lmforge eval tasks --output RUN/eval`
// writes it): the page has the eval table, one row per task@strategy and metric,filter, with
// value ± stderr, n-shot and n-samples; a stderr of "N/A" stays N/A; a broken file is an error.
TEST(Report, RunPageShowsEvalResults) {
  std::string dir = tmpdir("run-eval");
  ASSERT_TRUE(make_dirs(dir + "/eval").ok());
  Rng rng(1);
  ASSERT_TRUE(write_file_atomic(dir + "/metrics.jsonl", metrics(1e5, 2000, rng)).ok());
  ASSERT_TRUE(write_file_atomic(dir + "/eval/results.json", R"({
  "results": {
    "arithmetic_add_2": {"alias": "arithmetic_add_2", "exact_match,none": 0.25,
                         "exact_match_stderr,none": 0.0625},
    "arithmetic_add_2@sc": {"alias": "arithmetic_add_2@sc", "exact_match,score-first": 0.125,
                            "exact_match_stderr,score-first": 0.05,
                            "exact_match,maj@8": 0.375, "exact_match_stderr,maj@8": "N/A"}
  },
  "n-shot": {"arithmetic_add_2": 3, "arithmetic_add_2@sc": 3},
  "n-samples": {"arithmetic_add_2": {"original": 500, "effective": 16},
                "arithmetic_add_2@sc": {"original": 500, "effective": 16}}
})")
                  .ok());
  auto r = write_report(dir, {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto html = read_file(r->path);
  ASSERT_TRUE(html.ok());
  EXPECT_NE(html->find("<h2>Evaluation (eval/results.json)</h2>"), std::string::npos);
  EXPECT_NE(html->find("<th>task@strategy</th><th>metric</th><th>filter</th><th>value ± "
                       "stderr</th><th>n-shot</th><th>n-samples</th>"),
            std::string::npos);
  const char* rows[] = {
      "arithmetic_add_2</td><td style=\"text-align:left\">exact_match</td><td "
      "style=\"text-align:left\">none</td><td>0.2500 ± 0.0625</td><td>3</td><td>16 of 500</td>",
      "arithmetic_add_2@sc</td><td style=\"text-align:left\">exact_match</td><td "
      "style=\"text-align:left\">score-first</td><td>0.1250 ± 0.0500</td><td>3</td><td>16 of "
      "500</td>",
      "maj@8</td><td>0.3750 ± N/A</td>"};
  for (const char* row : rows)
    EXPECT_NE(html->find(row), std::string::npos) << row << "\n" << *html;
  EXPECT_EQ(html->find("_stderr"), std::string::npos);  // stderr keys are not rows of their own
  ASSERT_TRUE(write_file_atomic(dir + "/eval/results.json", "{\"configs\": {}}").ok());
  auto bad = write_report(dir, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("eval/results.json"), std::string::npos);
}

TEST(Report, MissingInputsAreAClearError) {
  std::string dir = tmpdir("empty");
  ASSERT_TRUE(make_dirs(dir).ok());
  auto r = write_report(dir, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("neither runs.csv"), std::string::npos);
}

// A sweep folder whose runs.csv is bad: the same row-naming errors as `scaling fit`, through the
// CLI (exit 1), and too few runs for the law says how many it needs.
TEST(Report, BadRunsCsvNamesTheRow) {
  std::string dir = tmpdir("badcsv");
  ASSERT_TRUE(make_dirs(dir).ok());
  const std::string bin = LMFORGE_BINARY;
  struct Case {
    const char* csv;
    const char* needle;
  } cases[] = {
      {"params,tokens,loss\n1e8,1e9,3\n1e8,1e9,nan\n", "runs.csv:3: column 'loss' is nan"},
      {"params,loss\n1e8,3\n", "missing column(s): tokens"},
      {"params,tokens,loss\n1e8,1e9,3\n0,1e9,3\n", "runs.csv:3: column 'params' must be > 0"},
      {"params,tokens,loss\n1e8,1e9,3\n2e8,1e9,2.9\n", "at least 5 runs"},
  };
  for (const auto& c : cases) {
    ASSERT_TRUE(write_file_atomic(dir + "/runs.csv", c.csv).ok());
    std::string out;
    EXPECT_EQ(run(bin + " report " + dir, &out), 1) << c.csv;
    EXPECT_NE(out.find(c.needle), std::string::npos) << out;
    EXPECT_FALSE(file_exists(dir + "/report.html"));
  }
}

}  // namespace
}  // namespace lm::report
