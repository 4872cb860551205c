// bpe_reference.cc: ReferenceBpe, tiktoken's byte_pair_merge in its plainest form.
#include "tokenizer/bpe_reference.h"

namespace lm::tok {

ReferenceBpe::ReferenceBpe(const BpeModel& model) : model_(model) {
  const auto& merges =
      model.rank_mode() ? std::vector<std::pair<std::string, std::string>>() : model.merges();
  for (size_t r = 0; r < merges.size(); ++r) merge_rank_.emplace(merges[r], r);
}

int64_t ReferenceBpe::rank(const std::string& a, const std::string& b) const {
  if (model_.rank_mode()) {  // tiktoken: the rank of a merge is the id of the merged bytes
    auto id = model_.bytes_id(a + b);
    return id ? static_cast<int64_t>(*id) : -1;
  }
  auto it = merge_rank_.find({a, b});  // HF / GPT-2: the rank is the merge's line number
  return it == merge_rank_.end() ? -1 : it->second;
}

std::vector<uint32_t> ReferenceBpe::encode_piece(std::string_view piece) const {
  // tiktoken (and HF with ignore_merges) take a piece that is a token as that token.
  if (model_.rank_mode() || model_.options().ignore_merges) {
    if (auto id = model_.bytes_id(piece)) return {*id};
  }
  std::vector<std::string> parts;
  for (char c : piece) parts.emplace_back(1, c);
  while (parts.size() > 1) {
    int64_t best = -1;
    size_t at = 0;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      int64_t r = rank(parts[i], parts[i + 1]);
      if (r >= 0 && (best < 0 || r < best)) best = r, at = i;  // strict <: leftmost wins ties
    }
    if (best < 0) break;
    parts[at] += parts[at + 1];
    parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(at) + 1);
  }
  std::vector<uint32_t> ids;
  for (const auto& p : parts) ids.push_back(model_.bytes_id(p).value_or(UINT32_MAX));
  return ids;
}

std::vector<uint32_t> ReferenceBpe::encode_ordinary(std::string_view text) const {
  std::vector<uint32_t> ids;
  model_.pretokenizer().split(text, [&](std::string_view piece) {
    for (uint32_t id : encode_piece(piece)) ids.push_back(id);
  });
  return ids;
}

}  // namespace lm::tok
