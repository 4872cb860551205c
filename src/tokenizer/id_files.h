// id_files.h: token id files as `tokenizer encode` writes and `decode` reads them: jsonl (one
// array per line), text (space-separated ids per line) or binary (little-endian uint32, no
// separators), and the encode job: documents -> ids in input order on all cores, through the
// shared document encoder (document_encoder.h), so the output bytes do not depend on threads.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "io/document.h"
#include "tokenizer/document_encoder.h"
#include "tokenizer/tokenizer.h"

namespace lm::tok {

enum class IdFormat { kJsonl, kText, kBinary };
Result<IdFormat> parse_id_format(std::string_view name);  // jsonl | text | binary

// Appends one sequence of ids: "[1,2]\n" (jsonl), "1 2\n" (text) or 4 bytes per id (binary).
void format_ids(std::span<const uint32_t> ids, IdFormat format, std::string* out);
// Parses "[1, 2]" or "1 2" into ids (appended); `where` names the line in errors.
Status parse_ids(std::string_view s, const std::string& where, std::vector<uint32_t>* out);

// Reads an id file: binary is one sequence, jsonl and text one per line. `fn` gets each
// sequence, its 0-based index, where it is ("FILE:LINE", or FILE) and whether it is a line.
Status read_id_file(const std::string& path, IdFormat format,
                    const std::function<Status(std::span<const uint32_t> ids, uint64_t index,
                                               const std::string& where, bool line)>& fn);

struct EncodeJob {
  std::vector<std::string> inputs;
  io::ReaderOptions read;
  IdFormat format = IdFormat::kJsonl;
  SpecialPolicy policy = SpecialPolicy::kDisallow;
  bool eot = false;  // append the end-of-text id after each document (when the tokenizer has one)
  int threads = 0;   // 0 = all cores
};

// Encodes every document of job.inputs and passes the formatted ids to `write`, in input order.
// An encode error names the document (1-based index and id).
Result<DocumentEncoderStats> encode_files(const Tokenizer& t, const EncodeJob& job,
                                          const std::function<Status(std::string_view)>& write);

}  // namespace lm::tok
