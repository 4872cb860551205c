// sample_sources.cc: readers for the sample corpus's Debian packages (see sample_sources.h).
// Each emitter produces its documents in a fixed order so the corpus is byte-for-byte
// reproducible. Paths and formats are those of Debian 12's packages.
#include "io/sample_sources.h"

#include <sys/stat.h>
#include <unicode/ucnv.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "core/file_util.h"
#include "io/byte_source.h"
#include "uni/utf8.h"

namespace lm::io::sample {
namespace {

constexpr const char* kInstallHint = "run scripts/install-deps (it installs the sample packages)";

std::string sys_path(const std::string& root, const char* path) {
  std::string r = root;
  while (!r.empty() && r.back() == '/') r.pop_back();
  return r + path;
}

Result<std::string> read_maybe_compressed(const std::string& path) {
  LM_ASSIGN_OR_RETURN(auto src, ByteSource::open(path));
  std::string out;
  LM_RETURN_IF_ERROR(read_all(src.get(), &out, 1ULL << 32));
  return out;
}

std::string_view trim_blank_lines(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r'))
    s.remove_suffix(1);
  while (!s.empty() && s.front() == '\n') s.remove_prefix(1);
  return s;
}

Status emit(const DocSink& sink, std::string id, std::string_view text, const char* source,
            const char* lang) {
  Document doc;
  doc.id = std::move(id);
  doc.text.assign(text);
  doc.source = source;
  doc.lang = lang;
  return sink(doc);
}

// The fortune text of one file, split on lines holding only '%'.
Status emit_fortune_file(const std::string& text, const std::string& name,
                         const std::string& package, const std::string& lang, const DocSink& sink) {
  size_t pos = 0, n = 0, start = 0;
  auto flush = [&](size_t end) -> Status {
    std::string_view body = trim_blank_lines(std::string_view(text).substr(start, end - start));
    if (body.empty()) return ok_status();
    ++n;
    return emit(sink, fmt::format("{}/{}/{}", package, name, n), body, package.c_str(),
                lang.c_str());
  };
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    if (line == "%" || line == "%\r") {
      LM_RETURN_IF_ERROR(flush(pos));
      start = eol + 1;
    }
    pos = eol + 1;
  }
  if (start < text.size()) LM_RETURN_IF_ERROR(flush(text.size()));
  return ok_status();
}

// 0x80..0x9F in Windows-1252 (0 = undefined there: kept as U+FFFD).
constexpr char16_t kCp1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

}  // namespace

std::string utf8_with_cp1252_fallback(std::string_view bytes) {
  if (uni::utf8_valid(bytes)) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() + 16);
  size_t i = 0;
  while (i < bytes.size()) {
    size_t start = i;
    char32_t cp = uni::utf8_decode(bytes, &i);
    if (cp == uni::kReplacementChar && !(bytes.substr(start, 3) == "\xEF\xBF\xBD")) {
      i = start + 1;  // one invalid byte: decode it as Windows-1252
      auto b = static_cast<unsigned char>(bytes[start]);
      cp = b >= 0xA0 ? b : (b >= 0x80 && kCp1252High[b - 0x80] ? kCp1252High[b - 0x80] : 0xFFFD);
    }
    uni::utf8_append(&out, cp);
  }
  return out;
}

Result<std::string> legacy_to_utf8(std::string_view bytes, const char* encoding) {
  UErrorCode err = U_ZERO_ERROR;
  std::string out(bytes.size() * 4 + 16, '\0');
  int32_t n = ucnv_convert("UTF-8", encoding, out.data(), static_cast<int32_t>(out.size()),
                           bytes.data(), static_cast<int32_t>(bytes.size()), &err);
  if (U_FAILURE(err)) {
    return internal_error("cannot convert text from {}: {}", encoding, u_errorName(err));
  }
  out.resize(static_cast<size_t>(n));
  return out;
}

Status emit_kjv(const std::string& root, const DocSink& sink) {
  std::string data_dir = sys_path(root, "/usr/lib");
  if (!file_exists(data_dir + "/bible.data")) {
    return Status(Code::kNotFound, fmt::format("{}/bible.data not found", data_dir), kInstallHint);
  }
  std::string cmd = fmt::format("bible -f -p '{}' 'Gen1:1-Rev22:21' 2>/dev/null", data_dir);
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return io_error("cannot run `{}`", cmd);
  std::string all;
  char buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, p)) > 0) all.append(buf, got);
  int rc = ::pclose(p);
  if (rc != 0 || all.empty()) {
    return Status(Code::kNotFound, fmt::format("`{}` failed (status {})", cmd, rc),
                  "install bible-kjv and bible-kjv-text (scripts/install-deps)");
  }
  // Lines look like "Ge1:1 In the beginning ..."; a chapter is a run of lines with one "Ge1".
  std::string chapter_key, text, book, chap;
  auto flush = [&]() -> Status {
    if (text.empty()) return ok_status();
    Status s = emit(sink, fmt::format("kjv/{}/{}", book, chap), text, "bible-kjv", "en");
    text.clear();
    return s;
  };
  size_t pos = 0;
  while (pos < all.size()) {
    size_t eol = all.find('\n', pos);
    if (eol == std::string::npos) eol = all.size();
    std::string_view line(all.data() + pos, eol - pos);
    pos = eol + 1;
    size_t sp = line.find(' '), colon = line.find(':');
    if (sp == std::string_view::npos || colon == std::string_view::npos || colon > sp) continue;
    size_t digits = colon;
    while (digits > 1 && std::isdigit(static_cast<unsigned char>(line[digits - 1]))) --digits;
    std::string key(line.substr(0, colon));
    if (key != chapter_key) {
      LM_RETURN_IF_ERROR(flush());
      chapter_key = key;
      book.assign(line.substr(0, digits));
      chap.assign(line.substr(digits, colon - digits));
    }
    if (!text.empty()) text += '\n';
    text.append(line.substr(colon + 1, sp - colon - 1));  // verse number
    text.append(line.substr(sp));
  }
  return flush();
}

namespace {

// dictd index numbers are base64 digits, most significant first.
bool decode_b64_number(std::string_view s, uint64_t* v) {
  static const std::string_view kDigits =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  *v = 0;
  for (char c : s) {
    size_t d = kDigits.find(c);
    if (d == std::string_view::npos || s.size() > 10) return false;
    *v = *v * 64 + d;
  }
  return !s.empty();
}

struct IndexEntry {
  uint64_t offset, length;
  std::string headword;
  bool operator<(const IndexEntry& o) const {
    return offset != o.offset   ? offset < o.offset
           : length != o.length ? length > o.length
                                : headword < o.headword;
  }
};

Result<std::vector<IndexEntry>> read_dict_index(const std::string& path) {
  LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  std::vector<IndexEntry> entries;
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    size_t t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
    IndexEntry e;
    if (t1 == std::string_view::npos || t2 == std::string_view::npos ||
        !decode_b64_number(line.substr(t1 + 1, t2 - t1 - 1), &e.offset) ||
        !decode_b64_number(line.substr(t2 + 1), &e.length)) {
      return Status(Code::kCorrupt, fmt::format("{}:{}: not a dictd index line", path, line_no),
                    "reinstall dict-gcide");
    }
    e.headword.assign(line.substr(0, t1));
    entries.push_back(std::move(e));
  }
  std::sort(entries.begin(), entries.end());
  return entries;
}

}  // namespace

Status emit_gcide(const std::string& root, const DocSink& sink) {
  std::string dict = sys_path(root, "/usr/share/dictd/gcide.dict.dz");
  std::string index = sys_path(root, "/usr/share/dictd/gcide.index");
  if (!file_exists(dict) || !file_exists(index)) {
    return Status(Code::kNotFound, fmt::format("{} not found", dict), kInstallHint);
  }
  LM_ASSIGN_OR_RETURN(std::string body, read_maybe_compressed(dict));
  LM_ASSIGN_OR_RETURN(std::vector<IndexEntry> entries, read_dict_index(index));
  // Entries that overlap (a block and the sub-entries inside it) merge into one document.
  std::map<std::string, int> seen;
  size_t i = 0;
  while (i < entries.size()) {
    uint64_t begin = entries[i].offset, end = begin + entries[i].length;
    const std::string& head = entries[i].headword;
    size_t j = i + 1;
    while (j < entries.size() && entries[j].offset < end) {
      end = std::max(end, entries[j].offset + entries[j].length);
      ++j;
    }
    if (end > body.size()) {
      return Status(Code::kCorrupt,
                    fmt::format("{}: entry {} lies past the end of {}", index, head, dict),
                    "reinstall dict-gcide");
    }
    std::string text = utf8_with_cp1252_fallback(
        trim_blank_lines(std::string_view(body).substr(begin, end - begin)));
    int n = ++seen[head];
    if (!text.empty()) {
      LM_RETURN_IF_ERROR(emit(sink, fmt::format("gcide/{}/{}", head, n), text, "dict-gcide", "en"));
    }
    i = j;
  }
  return ok_status();
}

namespace {

// Removes up to `n` leading spaces from every line.
std::string dedent(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    size_t eol = s.find('\n', pos);
    if (eol == std::string_view::npos) eol = s.size();
    size_t k = 0;
    while (k < n && pos + k < eol && s[pos + k] == ' ') ++k;
    out.append(s.substr(pos + k, eol - pos - k));
    if (eol < s.size()) out.push_back('\n');
    pos = eol + 1;
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

Status emit_jargon(const std::string& root, const DocSink& sink) {
  std::string path = sys_path(root, "/usr/share/doc/jargon-text/jargon.txt.gz");
  if (!file_exists(path))
    return Status(Code::kNotFound, fmt::format("{} not found", path), kInstallHint);
  LM_ASSIGN_OR_RETURN(std::string all, read_maybe_compressed(path));
  // Sections start at column-0 "Chapter N." / "Appendix X." lines, glossary entries at
  // "   :headword:" lines; the glossary's table of contents (before the first entry) is dropped.
  std::string id = "jargon/front", text;
  std::map<std::string, int> seen;
  bool in_glossary_toc = false;
  auto flush = [&]() -> Status {
    std::string body = dedent(trim_blank_lines(text), 3);
    text.clear();
    if (body.empty() || in_glossary_toc) return ok_status();
    int n = ++seen[id];
    return emit(sink, n == 1 ? id : fmt::format("{}/{}", id, n), body, "jargon-text", "en");
  };
  size_t pos = 0;
  while (pos < all.size()) {
    size_t eol = all.find('\n', pos);
    if (eol == std::string::npos) eol = all.size();
    std::string_view line(all.data() + pos, eol - pos);
    pos = eol + 1;
    // (the text puts a no-break space after "Chapter"/"Appendix")
    bool section =
        starts_with(line, "Chapter") || starts_with(line, "Appendix") || line == "Glossary";
    size_t close = starts_with(line, "   :") ? line.find(':', 4) : std::string_view::npos;
    if (section || close != std::string_view::npos) {
      LM_RETURN_IF_ERROR(flush());
      in_glossary_toc = line == "Glossary";
      size_t dot = line.find('.');
      id = close != std::string_view::npos
               ? fmt::format("jargon/{}", line.substr(4, close - 4))
               : fmt::format("jargon/{}", line.substr(0, std::min(dot, line.size())));
      for (size_t k; (k = id.find("\xC2\xA0")) != std::string::npos;) id.replace(k, 2, " ");
    }
    text.append(line);
    text.push_back('\n');
  }
  return flush();
}

Status emit_fortunes(const std::string& root, const std::string& package, const std::string& lang,
                     const char* legacy, const DocSink& sink) {
  std::string list_path = sys_path(root, "/var/lib/dpkg/info/") + package + ".list";
  auto list = read_file(list_path);
  if (!list.ok()) {
    return Status(Code::kNotFound,
                  fmt::format("package {} is not installed ({} missing)", package, list_path),
                  kInstallHint);
  }
  std::vector<std::string> files;
  size_t pos = 0;
  while (pos < list->size()) {
    size_t eol = list->find('\n', pos);
    if (eol == std::string::npos) eol = list->size();
    std::string p = list->substr(pos, eol - pos);
    pos = eol + 1;
    if (!starts_with(p, "/usr/share/games/fortunes/") || p.ends_with(".dat") ||
        p.find("/off/") != std::string::npos || p.ends_with("/off")) {
      continue;
    }
    struct stat st;
    std::string full = sys_path(root, p.c_str());
    if (::lstat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode)) files.push_back(p);
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    return Status(Code::kNotFound, fmt::format("package {} holds no fortune files", package),
                  kInstallHint);
  }
  for (const auto& p : files) {
    LM_ASSIGN_OR_RETURN(std::string text, read_file(sys_path(root, p.c_str())));
    if (!uni::utf8_valid(text)) {
      LM_ASSIGN_OR_RETURN(text, legacy_to_utf8(text, legacy));
    }
    std::string name = p.substr(p.rfind('/') + 1);
    LM_RETURN_IF_ERROR(emit_fortune_file(text, name, package, lang, sink));
  }
  return ok_status();
}

}  // namespace lm::io::sample
