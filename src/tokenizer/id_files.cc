// id_files.cc: id file formats and the encode job (see id_files.h).
#include "tokenizer/id_files.h"

#include <cstring>

#include "core/file_util.h"
#include "core/progress.h"

namespace lm::tok {
namespace {

// Writes the decimal digits of v at p; returns the end.
inline char* put_decimal(char* p, uint32_t v) {
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  char buf[10];
  char* b = buf + sizeof(buf);
  while (v >= 100) {
    uint32_t r = v % 100;
    v /= 100;
    b -= 2;
    std::memcpy(b, kPairs + 2 * r, 2);
  }
  if (v >= 10) {
    b -= 2;
    std::memcpy(b, kPairs + 2 * v, 2);
  } else {
    *--b = static_cast<char>('0' + v);
  }
  size_t n = static_cast<size_t>(buf + sizeof(buf) - b);
  std::memcpy(p, b, n);
  return p + n;
}

}  // namespace

Result<IdFormat> parse_id_format(std::string_view f) {
  if (f == "jsonl") return IdFormat::kJsonl;
  if (f == "text") return IdFormat::kText;
  if (f == "binary") return IdFormat::kBinary;
  return invalid_argument("--format {}: expected jsonl, text or binary", f);
}

void format_ids(std::span<const uint32_t> ids, IdFormat format, std::string* out) {
  const size_t old = out->size();
  if (format == IdFormat::kBinary) {  // little-endian uint32
    out->resize(old + ids.size() * 4);
    char* p = out->data() + old;
    for (uint32_t id : ids) {
      unsigned char b[4] = {static_cast<unsigned char>(id), static_cast<unsigned char>(id >> 8),
                            static_cast<unsigned char>(id >> 16),
                            static_cast<unsigned char>(id >> 24)};
      std::memcpy(p, b, 4);
      p += 4;
    }
    return;
  }
  const bool jsonl = format == IdFormat::kJsonl;
  out->resize(old + ids.size() * 11 + 3);  // up to 10 digits and a separator per id
  char* const start = out->data() + old;
  char* p = start;
  if (jsonl) *p++ = '[';
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) *p++ = jsonl ? ',' : ' ';
    p = put_decimal(p, ids[i]);
  }
  if (jsonl) *p++ = ']';
  *p++ = '\n';
  out->resize(old + static_cast<size_t>(p - start));
}

Status parse_ids(std::string_view s, const std::string& where, std::vector<uint32_t>* out) {
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == '[' || c == ']' || c == ',' || c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c < '0' || c > '9')
      return invalid_argument("{}: unexpected character '{}' in the ids", where, c)
          .with_hint("ids are non-negative integers: [1,2,3] (jsonl) or 1 2 3 (text)");
    uint64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && v < (1ULL << 32))
      v = v * 10 + static_cast<uint64_t>(s[i++] - '0');
    if (v >= (1ULL << 32)) return invalid_argument("{}: id too large", where);
    out->push_back(static_cast<uint32_t>(v));
  }
  return ok_status();
}

Status read_id_file(const std::string& path, IdFormat format,
                    const std::function<Status(std::span<const uint32_t> ids, uint64_t index,
                                               const std::string& where, bool line)>& fn) {
  LM_ASSIGN_OR_RETURN(std::string data, read_file(path));
  std::vector<uint32_t> ids;
  if (format == IdFormat::kBinary) {
    if (data.size() % 4 != 0)
      return corrupt("{}: {} bytes is not a multiple of 4 (truncated uint32 ids?)", path,
                     data.size());
    ids.resize(data.size() / 4);
    for (size_t i = 0; i < ids.size(); ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(data.data()) + 4 * i;
      ids[i] = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
    }
    return fn(ids, 0, path, false);
  }
  uint64_t line_no = 0;
  for (size_t pos = 0; pos < data.size();) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    std::string where = fmt::format("{}:{}", path, ++line_no);
    ids.clear();
    LM_RETURN_IF_ERROR(parse_ids(std::string_view(data).substr(pos, nl - pos), where, &ids));
    LM_RETURN_IF_ERROR(fn(ids, line_no - 1, where, true));
    pos = nl + 1;
  }
  return ok_status();
}

Result<DocumentEncoderStats> encode_files(const Tokenizer& t, const EncodeJob& job,
                                          const std::function<Status(std::string_view)>& write) {
  LM_ASSIGN_OR_RETURN(auto reader, io::DocumentReader::open(job.inputs, job.read));
  const auto eot = job.eot ? t.eot_id() : std::nullopt;
  EncodeFn encode = [&](std::string_view text, std::vector<uint32_t>* ids) {
    LM_RETURN_IF_ERROR(t.encode(text, job.policy, ids));
    if (eot) ids->push_back(*eot);
    return ok_status();
  };
  DocumentHook hook = [&](DocumentBatch& b, size_t i) {
    format_ids(b.doc_ids(i), job.format, &b.out);
    return ok_status();
  };
  DocumentEncoderOptions eo;
  eo.threads = job.threads;
  DocumentEncoderStats st;
  Progress progress("encode", 0, true);
  Status s = encode_documents(
      reader.get(), encode, hook, eo,
      [&](DocumentBatch& b) {
        LM_RETURN_IF_ERROR(write(b.out));  // an error: the documents before it
        progress.add(b.bytes);
        return b.status;
      },
      &st);
  progress.finish();
  LM_RETURN_IF_ERROR(s);
  return st;
}

}  // namespace lm::tok
