// data.h: instruction data read from JSONL into conversations (tokenizer/chat_template.h). One
// record per line, in any of three forms, converted on read:
//   {"messages": [{"role": "system"|"user"|"assistant", "content": "..."}, ...]}
//   {"instruction": "...", "input": "...", "output": "..."}   (Alpaca; input may be absent/empty:
//                          user = instruction, or instruction + "\n\n" + input; assistant = output)
//   {"prompt": "...", "completion": "..."}                   (user = prompt, assistant =
//   completion)
// A bad record (not JSON, none of the forms, a content that is not a string, an unknown role, a
// turn order the template cannot render, no assistant turn) is an error naming file:line and the
// problem, or with on_error = skip a counted skip (the counts by reason and the first few
// file:line examples are kept). Empty lines are ignored.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "tokenizer/chat_template.h"

namespace lm::sft {

struct Conversation {
  std::vector<tok::ChatMessage> messages;
  std::string source;  // "file:line"
};

struct ReadStats {
  int64_t records = 0, kept = 0;
  std::map<std::string, int64_t> skipped;  // reason -> count
  std::vector<std::string> examples;       // the first skipped records: "file:line: reason"
  int64_t skipped_total() const;
  void skip(const std::string& reason, const std::string& where);
  std::string summary() const;  // "12 skipped: 10 too long (a.jsonl:3, ...), ..."
};

enum class OnError { kFail, kSkip };
Result<OnError> parse_on_error(const std::string& s);  // "fail" | "skip"

// Parses one record (`where` = "file:line" for messages).
Result<Conversation> parse_record(const std::string& line, const std::string& where);

// Reads every file (comma-separated list allowed in each entry) into *out.
Status read_conversations(const std::vector<std::string>& files, OnError on_error,
                          std::vector<Conversation>* out, ReadStats* stats);

}  // namespace lm::sft
