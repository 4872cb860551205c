// runs.cc: a small CSV reader (comma separated, optional double quotes, CRLF tolerated) and the
// runs.csv validation: every failure names path:line, the column and the value.
#include "scaling/runs.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "core/file_util.h"

namespace lm::scaling {
namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"')
        quoted = false;
      else
        cur += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  for (auto& s : out) {
    size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
    s = b == std::string::npos ? "" : s.substr(b, e - b + 1);
  }
  return out;
}

int find_col(const std::vector<std::string>& header, const std::string& name) {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

Result<double> parse_number(const std::string& s, const std::string& where, const std::string& col,
                            bool must_be_positive) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) {
    return invalid_argument("{}: column '{}' is not a number: '{}'", where, col, s);
  }
  if (!std::isfinite(v))
    return invalid_argument("{}: column '{}' is {} (not finite)", where, col, s);
  if (must_be_positive && v <= 0) {
    return invalid_argument("{}: column '{}' must be > 0, got {}", where, col, s);
  }
  return v;
}

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

}  // namespace

Result<RunsTable> parse_runs_csv(const std::string& text, const std::string& path,
                                 const RunsColumns& cols) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  if (lines.empty())
    return invalid_argument("{}: empty file (expected a header params,tokens,loss)", path);
  auto header = split_csv_line(lines[0]);
  int ip = find_col(header, cols.params), it = find_col(header, cols.tokens);
  int il = find_col(header, cols.loss), ic = find_col(header, cols.flops);
  int in = find_col(header, cols.name);
  std::string missing;
  if (ip < 0) missing += " " + cols.params;
  if (it < 0 && ic < 0) missing += " " + cols.tokens;
  if (il < 0) missing += " " + cols.loss;
  if (!missing.empty()) {
    return Status(
        Code::kInvalidArgument,
        fmt::format("{}:1: missing column(s):{} (header is '{}')", path, missing, lines[0]),
        "runs.csv needs a header with params,tokens,loss (optional flops,name)");
  }
  RunsTable t;
  std::vector<int> extra_idx;
  for (size_t i = 0; i < header.size(); ++i) {
    int k = static_cast<int>(i);
    if (k != ip && k != it && k != il && k != ic && k != in) {
      extra_idx.push_back(k);
      t.extra_columns.push_back(header[i]);
    }
  }
  for (size_t li = 1; li < lines.size(); ++li) {
    if (lines[li].find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = fmt::format("{}:{}", path, li + 1);
    auto f = split_csv_line(lines[li]);
    if (f.size() != header.size()) {
      return invalid_argument("{}: {} fields, the header has {}", where, f.size(), header.size());
    }
    Run r;
    LM_ASSIGN_OR_RETURN(r.params, parse_number(f[ip], where, cols.params, true));
    LM_ASSIGN_OR_RETURN(r.loss, parse_number(f[il], where, cols.loss, true));
    if (ic >= 0) {
      LM_ASSIGN_OR_RETURN(r.flops, parse_number(f[ic], where, cols.flops, true));
    }
    if (it >= 0) {
      LM_ASSIGN_OR_RETURN(r.tokens, parse_number(f[it], where, cols.tokens, true));
    } else {
      r.tokens = r.flops / (6.0 * r.params);
    }
    if (ic < 0) r.flops = 6.0 * r.params * r.tokens;
    if (in >= 0) r.name = f[in];
    for (int k : extra_idx) r.extra.push_back(f[k]);
    t.runs.push_back(std::move(r));
  }
  return t;
}

Result<RunsTable> read_runs_csv(const std::string& path, const RunsColumns& cols) {
  auto text = read_file(path);
  if (!text.ok()) return text.status().with_hint("give --runs a runs.csv (params,tokens,loss)");
  return parse_runs_csv(*text, path, cols);
}

Status write_runs_csv(const std::string& path, const RunsTable& t) {
  std::string out = "params,tokens,flops,loss,name";
  for (auto& c : t.extra_columns) out += "," + csv_escape(c);
  out += "\n";
  for (auto& r : t.runs) {
    out += fmt::format("{:.17g},{:.17g},{:.17g},{:.17g},{}", r.params, r.tokens, r.flops, r.loss,
                       csv_escape(r.name));
    for (auto& e : r.extra) out += "," + csv_escape(e);
    out += "\n";
  }
  return write_file_atomic(path, out);
}

RunsTable drop_highest_losses(const RunsTable& t, int k) {
  if (k <= 0 || static_cast<size_t>(k) > t.runs.size()) return t;
  std::vector<double> losses;
  for (auto& r : t.runs) losses.push_back(r.loss);
  std::sort(losses.begin(), losses.end());
  double thr = losses[losses.size() - k];
  RunsTable o;
  o.extra_columns = t.extra_columns;
  for (auto& r : t.runs)
    if (r.loss < thr) o.runs.push_back(r);
  return o;
}

}  // namespace lm::scaling
