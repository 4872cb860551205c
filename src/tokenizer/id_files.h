// id_files.h: files of token ids, as `tokenizer encode` writes and `tokenizer decode` reads
// them: jsonl (one JSON array per document), text (space-separated ids per line) or binary
// (little-endian uint32, no separators); and the encode job itself: every document of a reader
// through the shared ordered encoder (document_encoder.h) into one id stream, in input order for
// any thread count, with the speed figures `--json` reports.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "io/document.h"
#include "tokenizer/tokenizer.h"

namespace lm::tok {

enum class IdsFormat { kJsonl, kText, kBinary };
Result<IdsFormat> parse_ids_format(const std::string& name);  // jsonl | text | binary

// Appends one document's ids in the format (jsonl and text end with a newline).
void append_ids(const uint32_t* ids, size_t n, IdsFormat format, std::string* out);
// Parses "[1, 2]" or "1 2" into ids; `where` names the line in errors.
Status parse_ids(std::string_view s, const std::string& where, std::vector<uint32_t>* out);
// Little-endian uint32 ids; `where` names the file (a size not a multiple of 4 is an error).
Status parse_binary_ids(std::string_view data, const std::string& where,
                        std::vector<uint32_t>* out);

struct EncodeIdsOptions {
  SpecialPolicy policy = SpecialPolicy::kDisallow;
  bool eot = false;  // append the end-of-text id (when the tokenizer has one) to each document
  IdsFormat format = IdsFormat::kJsonl;
  int threads = 0;
};

struct EncodeIdsStats {
  uint64_t documents = 0, bytes = 0, tokens = 0;
  double encode_seconds = 0;      // wall time of the encode (reading overlaps it)
  double encode_cpu_seconds = 0;  // worker thread CPU time spent encoding and formatting
  int threads = 0;
};

// Every document of `reader`, formatted, to `write` in input order (progress shown as "encode").
Result<EncodeIdsStats> encode_documents_to_ids(
    const Tokenizer& t, io::DocumentReader* reader, const EncodeIdsOptions& opt,
    const std::function<Status(std::string_view)>& write);
// One text (the `--text` form), on the calling thread; errors name it as `where`.
Result<EncodeIdsStats> encode_text_to_ids(const Tokenizer& t, std::string_view text,
                                          const std::string& where, const EncodeIdsOptions& opt,
                                          const std::function<Status(std::string_view)>& write);

}  // namespace lm::tok
