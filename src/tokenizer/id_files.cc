// id_files.cc: id file formats (fast decimal formatting: two digits per table lookup) and the
// encode job over encode_documents (see id_files.h).
#include "tokenizer/id_files.h"

#include <cstring>

#include "core/progress.h"
#include "core/threads.h"
#include "core/timer.h"
#include "tokenizer/document_encoder.h"

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

// Encodes one text with the policy, then the EOT when asked.
Status encode_one(const Tokenizer& t, std::string_view text, const EncodeIdsOptions& o,
                  const std::optional<uint32_t>& eot, std::vector<uint32_t>* ids) {
  LM_RETURN_IF_ERROR(t.encode(text, o.policy, ids));
  if (o.eot && eot) ids->push_back(*eot);
  return ok_status();
}

}  // namespace

Result<IdsFormat> parse_ids_format(const std::string& f) {
  if (f == "jsonl") return IdsFormat::kJsonl;
  if (f == "text") return IdsFormat::kText;
  if (f == "binary") return IdsFormat::kBinary;
  return invalid_argument("--format {}: expected jsonl, text or binary", f);
}

void append_ids(const uint32_t* ids, size_t n, IdsFormat format, std::string* out) {
  const size_t old = out->size();
  if (format == IdsFormat::kBinary) {  // little-endian uint32
    out->resize(old + n * 4);
    char* p = out->data() + old;
    for (size_t i = 0; i < n; ++i) {
      const uint32_t id = ids[i];
      unsigned char b[4] = {static_cast<unsigned char>(id), static_cast<unsigned char>(id >> 8),
                            static_cast<unsigned char>(id >> 16),
                            static_cast<unsigned char>(id >> 24)};
      std::memcpy(p, b, 4);
      p += 4;
    }
    return;
  }
  const bool jsonl = format == IdsFormat::kJsonl;
  out->resize(old + n * 11 + 3);  // up to 10 digits and a separator per id
  char* const start = out->data() + old;
  char* p = start;
  if (jsonl) *p++ = '[';
  for (size_t i = 0; i < n; ++i) {
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

Status parse_binary_ids(std::string_view data, const std::string& where,
                        std::vector<uint32_t>* out) {
  if (data.size() % 4 != 0)
    return corrupt("{}: {} bytes is not a multiple of 4 (truncated uint32 ids?)", where,
                   data.size());
  const size_t old = out->size();
  out->resize(old + data.size() / 4);
  for (size_t i = 0; i < data.size() / 4; ++i) {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data()) + 4 * i;
    (*out)[old + i] = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
  }
  return ok_status();
}

Result<EncodeIdsStats> encode_documents_to_ids(
    const Tokenizer& t, io::DocumentReader* reader, const EncodeIdsOptions& opt,
    const std::function<Status(std::string_view)>& write) {
  EncodeIdsStats st;
  st.threads = resolve_threads(opt.threads);
  const auto eot = t.eot_id();
  DocumentEncoderOptions eo;
  eo.threads = st.threads;
  auto encode = [&](std::string_view text, std::vector<uint32_t>* ids) {
    return encode_one(t, text, opt, eot, ids);
  };
  auto format = [&](DocumentBatch& b, size_t i, size_t begin) {
    append_ids(b.ids.data() + begin, b.ends[i] - begin, opt.format, &b.out);
    return ok_status();
  };
  Progress progress("encode", 0, true);
  Timer wall;
  LM_RETURN_IF_ERROR(encode_documents(reader, encode, format, eo, [&](DocumentBatch& b) {
    LM_RETURN_IF_ERROR(b.status);
    LM_RETURN_IF_ERROR(write(b.out));
    st.documents += b.docs.size();
    st.bytes += b.bytes;
    st.tokens += b.ids.size();
    st.encode_cpu_seconds += b.cpu_seconds;
    progress.add(b.bytes);
    return ok_status();
  }));
  st.encode_seconds = wall.seconds();
  progress.finish();
  return st;
}

Result<EncodeIdsStats> encode_text_to_ids(const Tokenizer& t, std::string_view text,
                                          const std::string& where, const EncodeIdsOptions& opt,
                                          const std::function<Status(std::string_view)>& write) {
  EncodeIdsStats st;
  st.threads = 1;
  Timer wall;
  std::vector<uint32_t> ids;
  Status s = encode_one(t, text, opt, t.eot_id(), &ids);
  if (!s.ok()) return s.with_context(fmt::format("document 1 (id \"{}\")", where));
  std::string out;
  append_ids(ids.data(), ids.size(), opt.format, &out);
  LM_RETURN_IF_ERROR(write(out));
  st.documents = 1;
  st.bytes = text.size();
  st.tokens = ids.size();
  st.encode_seconds = st.encode_cpu_seconds = wall.seconds();
  return st;
}

}  // namespace lm::tok
