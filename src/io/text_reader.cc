// text_reader.cc: plain text files (optionally .gz/.zst) as documents: the whole file as one
// document (id = the path), or one document per blank-line-separated block or per non-empty
// line (id = "path:LINE", the line the document starts on). Line endings are kept as '\n'.
#include "io/byte_source.h"
#include "io/reader_internal.h"

namespace lm::io::internal {
namespace {

bool is_blank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v') return false;
  }
  return true;
}

class TextReader : public DocumentReader {
 public:
  TextReader(std::unique_ptr<ByteSource> src, const ReaderOptions& options)
      : options_(options), path_(src->path()), lines_(std::move(src), options.max_document_bytes) {
    stats_.files = 1;
  }

  Result<bool> next(Document* doc) override {
    for (;;) {
      uint64_t first_line = 0;
      LM_ASSIGN_OR_RETURN(bool more, read_raw(doc, &first_line));
      if (!more) return false;
      doc->id = options_.text_split == TextSplit::kWholeFile
                    ? path_
                    : fmt::format("{}:{}", path_, first_line);
      doc->source.clear();
      doc->lang.clear();
      doc->extra_json.clear();
      LM_ASSIGN_OR_RETURN(Utf8Outcome o,
                          check_utf8(&doc->text, options_.invalid_utf8, doc->id, &stats_));
      if (o == Utf8Outcome::kDrop) continue;
      ++stats_.documents;
      stats_.bytes += doc->text.size();
      return true;
    }
  }

  ReaderStats stats() const override { return stats_; }

 private:
  Result<bool> read_raw(Document* doc, uint64_t* first_line) {
    if (options_.text_split == TextSplit::kWholeFile) {
      if (done_) return false;
      done_ = true;
      *first_line = 1;
      LM_RETURN_IF_ERROR(read_all(lines_.source(), &doc->text, options_.max_document_bytes));
      return !doc->text.empty();
    }
    std::string_view line;
    doc->text.clear();
    for (;;) {
      LM_ASSIGN_OR_RETURN(bool more, lines_.next(&line));
      if (!more) return !doc->text.empty();
      if (is_blank(line)) {
        if (!doc->text.empty()) return true;
        continue;
      }
      if (doc->text.empty()) {
        *first_line = lines_.line_number();
      } else {
        doc->text += '\n';
      }
      if (doc->text.size() + line.size() > options_.max_document_bytes) {
        return Status(Code::kInvalidArgument,
                      fmt::format("{}:{}: document longer than {} bytes", path_, *first_line,
                                  options_.max_document_bytes),
                      "raise --max-document-bytes or split the text differently (--split)");
      }
      doc->text.append(line);
      if (options_.text_split == TextSplit::kLines) return true;
    }
  }

  ReaderOptions options_;
  std::string path_;
  LineReader lines_;
  ReaderStats stats_;
  bool done_ = false;
};

}  // namespace

Result<std::unique_ptr<DocumentReader>> open_text(const std::string& path,
                                                  const ReaderOptions& options) {
  LM_ASSIGN_OR_RETURN(auto src, ByteSource::open(path));
  return std::unique_ptr<DocumentReader>(new TextReader(std::move(src), options));
}

}  // namespace lm::io::internal
