// task_data.cc: finds a split's file (beside the task file, then in the task-data folder) and
// reads JSONL / JSON arrays / CSV (RFC 4180 quoting) / TSV into JSON documents.
#include "eval/task_data.h"

#include <filesystem>

#include "core/file_util.h"

namespace lm::eval {
namespace fs = std::filesystem;
namespace {

bool is_local_loader(const std::string& p) { return p == "json" || p == "csv" || p == "text"; }

Json cell_value(const std::string& s) {
  if (!s.empty() && s.size() < 19 && s.find_first_not_of("0123456789") == std::string::npos &&
      (s.size() == 1 || s[0] != '0'))
    return std::stoll(s);
  return s;
}

Result<std::vector<std::vector<std::string>>> parse_csv(const std::string& text, char sep,
                                                        const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false, in_quotes = false;
  int line = 1, row_line = 1;
  for (size_t i = 0; i < text.size(); i++) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        i++;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        if (c == '\n') line++;
        cell += c;
      }
      continue;
    }
    if (c == '"' && sep == ',' && cell.empty() && !quoted) {
      in_quotes = quoted = true;
    } else if (c == sep) {
      row.push_back(cell);
      cell.clear();
      quoted = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') i++;
      row.push_back(cell);
      cell.clear();
      quoted = false;
      if (!(row.size() == 1 && row[0].empty())) rows.push_back(row);
      row.clear();
      row_line = ++line;
    } else {
      cell += c;
    }
  }
  if (in_quotes) return invalid_argument("{}:{}: a quoted field is never closed", path, row_line);
  if (!cell.empty() || !row.empty()) {
    row.push_back(cell);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

Result<std::string> eval_split(const TaskConfig& c) {
  if (!c.test_split.empty()) return c.test_split;
  if (!c.validation_split.empty()) return c.validation_split;
  return invalid_argument("{}: task '{}' names neither test_split nor validation_split", c.file,
                          c.task)
      .with_hint("add test_split: test (the split that is scored)");
}

std::string fewshot_pool_split(const TaskConfig& c) {
  if (!c.fewshot_split.empty()) return c.fewshot_split;
  if (!c.training_split.empty()) return c.training_split;
  if (!c.validation_split.empty()) return c.validation_split;
  return c.test_split;
}

Result<std::string> split_file(const TaskConfig& c, const std::string& split,
                               const DataOptions& o) {
  std::vector<std::string> tried;
  auto locate = [&](const std::string& p) -> std::string {
    fs::path path(p);
    std::vector<fs::path> cands;
    if (path.is_absolute())
      cands.push_back(path);
    else {
      cands.push_back(fs::path(c.dataset_dir) / path);
      if (!o.task_data_dir.empty()) cands.push_back(fs::path(o.task_data_dir) / path);
    }
    for (const auto& x : cands) {
      tried.push_back(x.lexically_normal().string());
      std::error_code ec;
      if (fs::exists(x, ec)) return x.lexically_normal().string();
    }
    return "";
  };
  std::string found;
  if (is_local_loader(c.dataset_path) ||
      !(c.data_files_train.empty() && c.data_files_validation.empty() &&
        c.data_files_test.empty())) {
    const std::string& f = split == "train"        ? c.data_files_train
                           : split == "validation" ? c.data_files_validation
                           : split == "test"       ? c.data_files_test
                                                   : std::string();
    if (f.empty())
      return invalid_argument("{}: task '{}': dataset_kwargs.data_files has no file for split '{}'",
                              c.file, c.task, split)
          .with_hint("data_files takes train, validation and test");
    found = locate(f);
  } else {
    std::string base = locate(c.dataset_path);
    std::error_code ec;
    if (!base.empty() && fs::is_directory(base, ec)) {
      fs::path dir = fs::path(base) / c.dataset_name;
      tried.clear();
      for (const char* ext : {".jsonl", ".json", ".csv", ".tsv"}) {
        fs::path p = dir / (split + ext);
        tried.push_back(p.lexically_normal().string());
        if (fs::exists(p, ec)) {
          found = p.lexically_normal().string();
          break;
        }
      }
    } else {
      found = base;
    }
  }
  if (!found.empty()) return found;
  std::string list;
  for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
  Status s(Code::kNotFound, fmt::format("{}: task '{}': no data file for split '{}' (tried {})",
                                        c.file, c.task, split, list));
  if (o.builtin)
    return s.with_hint(
        "built-in tasks' documents are generated: lmforge eval make-data --sample "
        "out/sample --out out/tasks (then --task-data out/tasks)");
  return s.with_hint(
      "dataset_path is a file or a folder of <split>.jsonl, relative to the task "
      "file's folder or to --task-data");
}

Result<std::vector<Json>> read_documents(const std::string& path) {
  LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  std::string ext = fs::path(path).extension().string();
  std::vector<Json> docs;
  if (ext == ".csv" || ext == ".tsv") {
    LM_ASSIGN_OR_RETURN(auto rows, parse_csv(text, ext == ".csv" ? ',' : '\t', path));
    if (rows.empty()) return invalid_argument("{}: no header row", path);
    for (size_t r = 1; r < rows.size(); r++) {
      if (rows[r].size() != rows[0].size())
        return invalid_argument("{}: row {} has {} fields, the header {}", path, r + 1,
                                rows[r].size(), rows[0].size());
      Json d = Json::object();
      for (size_t k = 0; k < rows[0].size(); k++) d[rows[0][k]] = cell_value(rows[r][k]);
      docs.push_back(std::move(d));
    }
    return docs;
  }
  size_t first = text.find_first_not_of(" \t\r\n");
  if (ext == ".json" && first != std::string::npos && text[first] == '[') {
    Json arr = Json::parse(text, nullptr, false);
    if (arr.is_discarded() || !arr.is_array())
      return invalid_argument("{}: not a JSON array of documents", path);
    for (size_t i = 0; i < arr.size(); i++) {
      if (!arr[i].is_object()) return invalid_argument("{}: item {} is not an object", path, i);
      docs.push_back(std::move(arr[i]));
    }
    return docs;
  }
  size_t pos = 0;
  int line = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    line++;
    std::string_view l(text.data() + pos, nl - pos);
    pos = nl + 1;
    if (l.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    Json d = Json::parse(l, nullptr, false);
    if (d.is_discarded()) return invalid_argument("{}:{}: not valid JSON", path, line);
    if (!d.is_object())
      return invalid_argument("{}:{}: a document must be a JSON object", path, line);
    docs.push_back(std::move(d));
  }
  return docs;
}

Result<std::vector<Json>> load_split(const TaskConfig& c, const std::string& split,
                                     const DataOptions& o) {
  LM_ASSIGN_OR_RETURN(std::string path, split_file(c, split, o));
  return read_documents(path);
}

}  // namespace lm::eval
