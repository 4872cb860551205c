// sample_sources.h: the Debian text packages behind the sample corpus, each turned into
// documents: the KJV Bible via the `bible` program of bible-kjv (one per chapter), GCIDE from
// its dictd files (one per block of overlapping index entries), the Jargon File (one per
// chapter, glossary entry and appendix) and the fortune files a package owns (one per fortune).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "io/document.h"

namespace lm::io::sample {

using DocSink = std::function<Status(Document&)>;

// `root` prefixes every system path ("/" normally).
Status emit_kjv(const std::string& root, const DocSink& sink);
Status emit_gcide(const std::string& root, const DocSink& sink);
Status emit_jargon(const std::string& root, const DocSink& sink);
// The fortune files of a Debian package (from its dpkg file list): regular files, no .dat
// index, no offensive (off/) subfolder; text that is not UTF-8 is decoded from `legacy`.
Status emit_fortunes(const std::string& root, const std::string& package, const std::string& lang,
                     const char* legacy, const DocSink& sink);

// Text in a legacy encoding (an ICU converter name, e.g. "windows-1252", "KOI8-R") as UTF-8.
Result<std::string> legacy_to_utf8(std::string_view bytes, const char* encoding);
// UTF-8 text with stray Windows-1252 bytes (as found in GCIDE): each invalid byte is decoded as
// Windows-1252, the valid UTF-8 is kept.
std::string utf8_with_cp1252_fallback(std::string_view bytes);

}  // namespace lm::io::sample
