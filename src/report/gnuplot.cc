// gnuplot.cc: data files + script -> `gnuplot script.gp` (posix_spawnp, output captured to a log
// whose text becomes the error message) -> SVG file -> inline SVG string.
#include "report/gnuplot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cmath>
#include <cstring>

#include "core/file_util.h"

extern char** environ;

namespace lm::report {
namespace {

std::string quote(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

Status run_gnuplot(const std::string& script, const std::string& log) {
  const char* argv[] = {"gnuplot", script.c_str(), nullptr};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, "gnuplot", &fa, nullptr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    return Status(Code::kFailedPrecondition,
                  fmt::format("cannot run gnuplot: {}", std::strerror(rc)),
                  "install it: apt-get install gnuplot-nox");
  }
  int st = 0;
  waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    auto text = read_file(log);
    return internal_error("gnuplot failed on {}: {}", script, text.ok() ? *text : "");
  }
  return ok_status();
}

}  // namespace

Result<std::string> render_svg(const Plot& p, const std::string& dir, const std::string& name) {
  LM_RETURN_IF_ERROR(make_dirs(dir));
  const std::string svg = dir + "/" + name + ".svg";
  std::string gp =
      "set terminal svg size 760,460 dynamic enhanced font 'sans,12' background '#ffffff'\n";
  gp += "set output " + quote(svg) + "\nset encoding utf8\nset grid\nset key outside right\n";
  gp += "set title " + quote(p.title) + "\nset xlabel " + quote(p.xlabel) + "\nset ylabel " +
        quote(p.ylabel) + "\n";
  if (p.logx) gp += "set logscale x\nset format x '10^{%L}'\n";
  if (p.logy) gp += "set logscale y\n";
  for (const auto& e : p.extra) gp += e + "\n";
  std::string plot;
  int k = 0;
  for (const auto& s : p.series) {
    if (s.rows.empty()) continue;
    std::string dat = fmt::format("{}/{}-{}.dat", dir, name, k++);
    std::string body;
    for (const auto& r : s.rows) {
      bool ok = true;
      for (double v : r) ok = ok && std::isfinite(v);
      if (!ok) continue;
      for (size_t i = 0; i < r.size(); ++i) body += fmt::format("{}{:.10g}", i ? " " : "", r[i]);
      body += "\n";
    }
    LM_RETURN_IF_ERROR(write_file_atomic(dat, body));
    plot += (plot.empty() ? "plot " : ", \\\n  ") + quote(dat) + " using " + s.using_cols +
            " with " + s.style + (s.title.empty() ? " notitle" : " title " + quote(s.title));
  }
  if (plot.empty()) return invalid_argument("plot '{}' has no data", p.title);
  gp += plot + "\n";
  const std::string script = dir + "/" + name + ".gp";
  LM_RETURN_IF_ERROR(write_file_atomic(script, gp));
  LM_RETURN_IF_ERROR(run_gnuplot(script, dir + "/" + name + ".log"));
  LM_ASSIGN_OR_RETURN(std::string text, read_file(svg));
  size_t at = text.find("<svg");
  if (at == std::string::npos) return internal_error("{}: gnuplot wrote no <svg> element", svg);
  return text.substr(at);
}

}  // namespace lm::report
