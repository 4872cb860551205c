// data.cc: the three JSONL forms of instruction data, read into conversations.
#include "sft/data.h"

#include <fmt/core.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/strings.h"

namespace lm::sft {

int64_t ReadStats::skipped_total() const {
  int64_t n = 0;
  for (const auto& [k, v] : skipped) n += v;
  return n;
}

void ReadStats::skip(const std::string& reason, const std::string& where) {
  skipped[reason]++;
  if (examples.size() < 5) examples.push_back(where + ": " + reason);
}

std::string ReadStats::summary() const {
  if (skipped.empty()) return "none skipped";
  std::string s = fmt::format("{} skipped:", skipped_total());
  for (const auto& [k, v] : skipped) s += fmt::format(" {} {};", v, k);
  s += " first: ";
  for (size_t i = 0; i < examples.size(); i++) s += (i ? " | " : "") + examples[i];
  return s;
}

Result<OnError> parse_on_error(const std::string& s) {
  if (s == "fail") return OnError::kFail;
  if (s == "skip") return OnError::kSkip;
  return invalid_argument("--on-error '{}': expected fail or skip", s);
}

namespace {

using Json = nlohmann::json;

Result<std::string> string_member(const Json& j, const char* key, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return invalid_argument("no \"{}\" member", key);
    return std::string();
  }
  if (!it->is_string())
    return invalid_argument("\"{}\" is a {}, not a string", key, it->type_name());
  return it->get<std::string>();
}

Result<std::vector<tok::ChatMessage>> from_messages(const Json& arr) {
  if (!arr.is_array()) return invalid_argument("\"messages\" is not a list");
  std::vector<tok::ChatMessage> out;
  for (size_t i = 0; i < arr.size(); i++) {
    const Json& m = arr[i];
    if (!m.is_object()) return invalid_argument("message {} is not an object", i + 1);
    auto role = string_member(m, "role", true);
    if (!role.ok()) return role.status().with_context(fmt::format("message {}", i + 1));
    auto content = string_member(m, "content", true);
    if (!content.ok()) return content.status().with_context(fmt::format("message {}", i + 1));
    out.push_back({*role, *content});
  }
  return out;
}

}  // namespace

Result<Conversation> parse_record(const std::string& line, const std::string& where) {
  Json j = Json::parse(line, nullptr, false);
  auto fail = [&](const Status& s) { return s.with_context(where); };
  if (j.is_discarded()) return fail(invalid_argument("not valid JSON"));
  if (!j.is_object()) return fail(invalid_argument("not a JSON object"));
  Conversation c;
  c.source = where;
  if (j.contains("messages")) {
    auto m = from_messages(j["messages"]);
    if (!m.ok()) return fail(m.status());
    c.messages = std::move(m).value();
  } else if (j.contains("instruction")) {
    auto ins = string_member(j, "instruction", true);
    auto in = ins.ok() ? string_member(j, "input", false) : ins;
    auto outp = in.ok() ? string_member(j, "output", true) : in;
    if (!outp.ok()) return fail(outp.status());
    std::string user = *ins;
    if (!in->empty()) user += "\n\n" + *in;
    c.messages = {{"user", user}, {"assistant", *outp}};
  } else if (j.contains("prompt")) {
    auto p = string_member(j, "prompt", true);
    auto comp = p.ok() ? string_member(j, "completion", true) : p;
    if (!comp.ok()) return fail(comp.status());
    c.messages = {{"user", *p}, {"assistant", *comp}};
  } else {
    return fail(invalid_argument(
        "none of the known forms: expected \"messages\", \"instruction\"/\"output\" (Alpaca) or "
        "\"prompt\"/\"completion\""));
  }
  Status s = tok::check_chat(c.messages, true);
  if (!s.ok()) return fail(s);
  return c;
}

Status read_conversations(const std::vector<std::string>& entries, OnError on_error,
                          std::vector<Conversation>* out, ReadStats* stats) {
  std::vector<std::string> files;
  for (const auto& e : entries)
    for (auto& f : split_commas(e)) files.push_back(f);
  if (files.empty()) return invalid_argument("no data files").with_hint("pass --data FILE.jsonl");
  for (const auto& f : files) {
    std::ifstream in(f);
    if (!in)
      return not_found("{}: cannot open the data file", f)
          .with_hint("check the path (--data takes JSONL files, comma-separated)");
    std::string line;
    int64_t n = 0;
    while (std::getline(in, line)) {
      n++;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      stats->records++;
      std::string where = fmt::format("{}:{}", f, n);
      auto c = parse_record(line, where);
      if (!c.ok()) {
        if (on_error == OnError::kFail)
          return c.status().with_hint(
              "fix the record, or pass --on-error skip to count and skip "
              "bad records");
        std::string msg = c.status().message();
        std::string reason = msg.substr(std::min(msg.size(), where.size() + 2));
        // group by the kind of problem, not the turn number
        size_t colon = reason.find(": ");
        if (reason.rfind("turn ", 0) == 0 || reason.rfind("message ", 0) == 0)
          reason = colon == std::string::npos ? reason : reason.substr(colon + 2);
        stats->skip(reason, where);
        continue;
      }
      stats->kept++;
      out->push_back(std::move(c).value());
    }
  }
  return ok_status();
}

}  // namespace lm::sft
