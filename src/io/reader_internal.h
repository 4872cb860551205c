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

// The hint attached to malformed-record errors.
inline constexpr const char* kSkipHint =
    "fix the record, or pass --on-error skip to skip malformed records (they are counted)";

}  // namespace lm::io::internal
