// safetensors.cc: the safetensors writer (AtomicFile) and validating reader (MappedFile).
#include "model/safetensors.h"

#include <cstring>
#include <nlohmann/json.hpp>

namespace lm::model {

Status write_safetensors(const std::string& path, const std::vector<TensorRef>& tensors,
                         const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json h;
  nlohmann::ordered_json meta = nlohmann::ordered_json::object();
  meta["format"] = "pt";
  for (const auto& [k, v] : metadata) meta[k] = v;
  h["__metadata__"] = meta;
  size_t off = 0;
  for (const auto& t : tensors) {
    size_t n = 1;
    for (int64_t d : t.shape) n *= (size_t)d;
    h[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {off, off + n * 4}}};
    off += n * 4;
  }
  std::string header = h.dump();
  while (header.size() % 8 != 0) header.push_back(' ');
  LM_ASSIGN_OR_RETURN(AtomicFile f, AtomicFile::create(path));
  uint64_t len = header.size();
  LM_RETURN_IF_ERROR(f.write(&len, 8));
  LM_RETURN_IF_ERROR(f.write(header));
  for (const auto& t : tensors) {
    size_t n = 1;
    for (int64_t d : t.shape) n *= (size_t)d;
    LM_RETURN_IF_ERROR(f.write(t.data, n * 4));
  }
  return f.commit();
}

const SafeTensorsFile::Entry* SafeTensorsFile::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

Result<SafeTensorsFile> SafeTensorsFile::open(const std::string& path) {
  LM_ASSIGN_OR_RETURN(MappedFile mf, MappedFile::open(path));
  SafeTensorsFile st(std::move(mf));
  const uint8_t* p = st.file_.data();
  size_t size = st.file_.size();
  auto bad = [&](const std::string& why) {
    return corrupt("{}: not a valid safetensors file: {}", path, why)
        .with_hint("the file is truncated or not a safetensors checkpoint; re-save it");
  };
  if (size < 8) return bad("shorter than the 8-byte header length");
  uint64_t hlen;
  std::memcpy(&hlen, p, 8);
  if (hlen > 100000000 || 8 + hlen > size) return bad(fmt::format("header length {}", hlen));
  nlohmann::json h = nlohmann::json::parse(p + 8, p + 8 + hlen, nullptr, false);
  if (h.is_discarded() || !h.is_object()) return bad("header is not a JSON object");
  size_t data_size = size - 8 - hlen;
  const uint8_t* data = p + 8 + hlen;
  size_t end_max = 0;
  for (auto it = h.begin(); it != h.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (it->is_object())
        for (auto m = it->begin(); m != it->end(); ++m)
          if (m->is_string()) st.metadata_[m.key()] = m->get<std::string>();
      continue;
    }
    const auto& e = *it;
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") ||
        !e.contains("data_offsets"))
      return bad("tensor '" + it.key() + "' lacks dtype/shape/data_offsets");
    if (e["dtype"] != "F32")
      return bad("tensor '" + it.key() + "' has dtype " + e["dtype"].dump() + " (F32 expected)");
    Entry en;
    size_t n = 1;
    for (const auto& d : e["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) return bad("bad shape of " + it.key());
      en.shape.push_back(d.get<int64_t>());
      n *= (size_t)d.get<int64_t>();
    }
    const auto& o = e["data_offsets"];
    if (!o.is_array() || o.size() != 2 || !o[0].is_number_unsigned() || !o[1].is_number_unsigned())
      return bad("bad data_offsets of " + it.key());
    size_t b = o[0].get<size_t>(), en_off = o[1].get<size_t>();
    if (b > en_off || en_off > data_size || en_off - b != n * 4 || b % 4 != 0)
      return bad(
          fmt::format("tensor '{}' offsets [{}, {}] do not fit {} bytes of data ({} "
                      "elements)",
                      it.key(), b, en_off, data_size, n));
    en.data = reinterpret_cast<const float*>(data + b);
    en.count = n;
    end_max = std::max(end_max, en_off);
    st.tensors_[it.key()] = std::move(en);
  }
  if (end_max != data_size)
    return bad(fmt::format("{} data bytes but tensors cover {}", data_size, end_max));
  return st;
}

}  // namespace lm::model
