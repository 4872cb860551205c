// jsonl_reader.cc: JSON Lines documents (plain, .gz, .zst) parsed in place with simdjson's DOM
// parser, one line at a time (bounded memory). The text member may be nested ("a.b"); id,
// source and lang are taken when present and every other top-level member is kept verbatim
// (minified) in Document::extra_json. Blank lines are ignored.
#include <simdjson.h>

#include <cctype>

#include "io/byte_source.h"
#include "io/reader_internal.h"
#include "uni/utf8.h"

namespace lm::io::internal {
namespace {

static_assert(LineReader::kLinePadding >= simdjson::SIMDJSON_PADDING);

bool is_blank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

std::string scalar_to_string(simdjson::dom::element e) {
  std::string_view sv;
  if (e.get_string().get(sv) == simdjson::SUCCESS) return std::string(sv);
  return simdjson::minify(e);
}

class JsonlReader : public DocumentReader {
 public:
  JsonlReader(std::unique_ptr<ByteSource> src, const ReaderOptions& options)
      : options_(options), lines_(std::move(src), options.max_document_bytes * 2 + 4096) {
    stats_.files = 1;
    size_t dot = options_.text_field.find('.');
    text_top_ = options_.text_field.substr(0, dot);
    if (dot != std::string::npos) text_pointer_ = "/" + options_.text_field.substr(dot + 1);
    for (char& c : text_pointer_) c = c == '.' ? '/' : c;
  }

  Result<bool> next(Document* doc) override {
    std::string_view line;
    for (;;) {
      auto more = lines_.next(&line);
      if (!more.ok() && lines_.overlong() && options_.on_error == OnError::kSkip) {
        LM_RETURN_IF_ERROR(lines_.discard_overlong_line());
        ++stats_.skipped_records;
        continue;
      }
      if (!more.ok()) return more.status();
      if (!*more) return false;
      if (lines_.line_number() == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
      if (is_blank(line)) continue;
      Status s = parse_line(line, doc);
      if (s.ok()) {
        if (dropped_) continue;
        ++stats_.documents;
        stats_.bytes += doc->text.size();
        return true;
      }
      if (options_.on_error == OnError::kSkip && s.code() == Code::kInvalidArgument) {
        ++stats_.skipped_records;
        continue;
      }
      return s;
    }
  }

  ReaderStats stats() const override { return stats_; }

 private:
  std::string where() const { return fmt::format("{}:{}", lines_.path(), lines_.line_number()); }

  Status malformed(std::string msg) const {
    return Status(Code::kInvalidArgument, fmt::format("{}: {}", where(), msg), kSkipHint);
  }

  Status parse_line(std::string_view line, Document* doc) {
    dropped_ = false;
    simdjson::dom::element root;
    auto err = parser_.parse(line.data(), line.size(), false).get(root);
    if (err == simdjson::UTF8_ERROR) return on_bad_utf8(line, doc);
    if (err) return malformed(fmt::format("malformed JSON ({})", simdjson::error_message(err)));
    return fill(root, doc);
  }

  // The line is not valid UTF-8: keep the raw bytes of the text, repair it and parse again,
  // drop it, or fail.
  Status on_bad_utf8(std::string_view line, Document* doc) {
    std::string copy;
    if (options_.invalid_utf8 == InvalidUtf8::kKeep && escape_invalid_utf8(line, &copy)) {
      simdjson::dom::element root;
      auto err = repair_parser_.parse(copy).get(root);
      if (err) return malformed(fmt::format("malformed JSON ({})", simdjson::error_message(err)));
      LM_RETURN_IF_ERROR(fill(root, doc));
      unescape_invalid_utf8(&doc->text, true);
      for (std::string* m : {&doc->id, &doc->source, &doc->lang, &doc->extra_json})
        unescape_invalid_utf8(m, false);
      if (!uni::utf8_valid(doc->text)) ++stats_.kept_utf8;
      return ok_status();
    }
    copy.assign(line);
    InvalidUtf8 policy =
        options_.invalid_utf8 == InvalidUtf8::kKeep ? InvalidUtf8::kRepair : options_.invalid_utf8;
    LM_ASSIGN_OR_RETURN(Utf8Outcome o, check_utf8(&copy, policy, where(), &stats_));
    if (o == Utf8Outcome::kDrop) {
      dropped_ = true;
      return ok_status();
    }
    simdjson::dom::element root;
    auto err = repair_parser_.parse(copy).get(root);
    if (err) return malformed(fmt::format("malformed JSON ({})", simdjson::error_message(err)));
    return fill(root, doc);
  }

  Status fill(simdjson::dom::element root, Document* doc) {
    simdjson::dom::object obj;
    if (root.get_object().get(obj)) return malformed("a line must be a JSON object");
    doc->id.clear();
    doc->source.clear();
    doc->lang.clear();
    doc->extra_json.clear();
    bool have_text = false, have_id = false;
    for (auto field : obj) {
      std::string_view key = field.key;
      if (key == text_top_) {
        LM_RETURN_IF_ERROR(take_text(field.value, doc));
        have_text = true;
      } else if (key == options_.id_field) {
        doc->id = scalar_to_string(field.value);
        have_id = true;
      } else if (key == "source") {
        doc->source = scalar_to_string(field.value);
      } else if (key == "lang") {
        doc->lang = scalar_to_string(field.value);
      } else if (key != "id" && key != "text") {
        doc->extra_json += doc->extra_json.empty() ? "{" : ",";
        append_json_string(&doc->extra_json, key);
        doc->extra_json += ':';
        doc->extra_json += simdjson::minify(field.value);
      }
    }
    if (!have_text) {
      return Status(Code::kInvalidArgument,
                    fmt::format("{}: no \"{}\" member", where(), options_.text_field),
                    "name the member holding the text with --text-field, or pass --on-error skip");
    }
    if (!doc->extra_json.empty()) doc->extra_json += '}';
    if (!have_id) doc->id = where();
    return ok_status();
  }

  Status take_text(simdjson::dom::element value, Document* doc) {
    if (!text_pointer_.empty()) {
      if (value.at_pointer(text_pointer_).get(value)) {
        return malformed(fmt::format("no \"{}\" member", options_.text_field));
      }
    }
    std::string_view text;
    if (value.get_string().get(text)) {
      return malformed(fmt::format("\"{}\" is not a string", options_.text_field));
    }
    if (text.size() > options_.max_document_bytes) {
      return malformed(fmt::format("document longer than {} bytes (--max-document-bytes)",
                                   options_.max_document_bytes));
    }
    doc->text.assign(text);
    return ok_status();
  }

  ReaderOptions options_;
  LineReader lines_;
  simdjson::dom::parser parser_;
  simdjson::dom::parser repair_parser_;
  std::string text_top_, text_pointer_;
  ReaderStats stats_;
  bool dropped_ = false;
};

}  // namespace

Result<std::unique_ptr<DocumentReader>> open_jsonl(const std::string& path,
                                                   const ReaderOptions& options) {
  LM_ASSIGN_OR_RETURN(auto src, ByteSource::open(path));
  return std::unique_ptr<DocumentReader>(new JsonlReader(std::move(src), options));
}

Result<Utf8Outcome> check_utf8(std::string* text, InvalidUtf8 policy, const std::string& where,
                               ReaderStats* stats) {
  if (uni::utf8_valid(*text)) return Utf8Outcome::kValid;
  switch (policy) {
    case InvalidUtf8::kKeep:
      ++stats->kept_utf8;
      return Utf8Outcome::kValid;
    case InvalidUtf8::kRepair:
      *text = uni::utf8_repair(*text);
      ++stats->repaired_utf8;
      return Utf8Outcome::kRepaired;
    case InvalidUtf8::kSkip:
      ++stats->skipped_utf8;
      return Utf8Outcome::kDrop;
    case InvalidUtf8::kFail:
      break;
  }
  return Status(Code::kInvalidArgument, fmt::format("{}: invalid UTF-8", where),
                "pass --invalid-utf8 repair (U+FFFD) or --invalid-utf8 skip");
}

namespace {
constexpr char32_t kEscapeBase = 0x10FF80;  // + byte - 0x80: U+10FF80..U+10FFFF (private use)
}  // namespace

bool escape_invalid_utf8(std::string_view line, std::string* out) {
  out->clear();
  out->reserve(line.size() + line.size() / 4);
  for (size_t i = 0; i < line.size();) {
    unsigned char b = line[i];
    if (b < 0x80) {
      if (b == '\\' && i + 5 < line.size() && (line[i + 1] == 'u' || line[i + 1] == 'U')) {
        std::string hex(line.substr(i + 2, 4));
        for (char& c : hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (hex == "dbff") return false;  // may spell an escape code point
      }
      out->push_back(static_cast<char>(b));
      ++i;
      continue;
    }
    size_t start = i;
    char32_t c = uni::utf8_decode(line, &i);
    if (c >= kEscapeBase) return false;
    if (c == uni::kReplacementChar && line.substr(start, i - start) != "\xEF\xBF\xBD") {
      for (size_t k = start; k < i; ++k)
        uni::utf8_append(out, kEscapeBase + static_cast<unsigned char>(line[k]) - 0x80);
    } else {
      out->append(line.substr(start, i - start));
    }
  }
  return true;
}

void unescape_invalid_utf8(std::string* s, bool raw) {
  if (s->find("\xF4\x8F") == std::string::npos) return;
  std::string out;
  out.reserve(s->size());
  for (size_t i = 0; i < s->size();) {
    size_t start = i;
    char32_t c = static_cast<unsigned char>((*s)[i]) < 0x80 ? static_cast<unsigned char>((*s)[i++])
                                                            : uni::utf8_decode(*s, &i);
    if (c >= kEscapeBase && c <= 0x10FFFF && i - start == 4) {
      if (raw) {
        out.push_back(static_cast<char>(c - kEscapeBase + 0x80));
      } else {
        uni::utf8_append(&out, uni::kReplacementChar);
      }
    } else {
      out.append(*s, start, i - start);
    }
  }
  *s = std::move(out);
}

}  // namespace lm::io::internal
