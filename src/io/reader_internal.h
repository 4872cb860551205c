// reader_internal.h: what the per-format readers share inside src/io (not a public header).
// Each open_* function reads one file; document.cc chains them over the expanded inputs.
#pragma once

#include <memory>
#include <string>

#include "io/document.h"

namespace lm::io::internal {

Result<std::unique_ptr<DocumentReader>> open_jsonl(const std::string& path,
                                                   const ReaderOptions& options);
Result<std::unique_ptr<DocumentReader>> open_text(const std::string& path,
                                                  const ReaderOptions& options);
Result<std::unique_ptr<DocumentReader>> open_sqlite(const std::string& path,
                                                    const ReaderOptions& options);

enum class Utf8Outcome { kValid, kRepaired, kDrop };
// Applies the invalid-UTF-8 policy to *text, updating *stats; `where` ("file:line") names the
// record in the error returned under InvalidUtf8::kFail.
Result<Utf8Outcome> check_utf8(std::string* text, InvalidUtf8 policy, const std::string& where,
                               ReaderStats* stats);

// InvalidUtf8::kKeep for JSON lines: each byte of an invalid UTF-8 sequence becomes a
// private-use code point (U+10FF80 + byte - 0x80) so the line parses as JSON. False when the
// line already holds such code points (or a \uDBFF escape): then it cannot be done exactly.
bool escape_invalid_utf8(std::string_view line, std::string* out);
// Reverses escape_invalid_utf8 in a parsed member: `raw` restores the bytes (the text member),
// otherwise each escaped byte becomes U+FFFD (members written out again as JSON).
void unescape_invalid_utf8(std::string* s, bool raw);

// The hint attached to malformed-record errors.
inline constexpr const char* kSkipHint =
    "fix the record, or pass --on-error skip to skip malformed records (they are counted)";

}  // namespace lm::io::internal
