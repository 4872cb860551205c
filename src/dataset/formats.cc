// formats.cc: names of formats and splits, and the file names of each format's outputs.
#include "dataset/formats.h"

#include <fmt/core.h>

namespace lm::dataset {

const char* split_name(Split split) { return split == Split::kTrain ? "train" : "val"; }

const char* format_name(Format format) {
  switch (format) {
    case Format::kMegatron:
      return "megatron";
    case Format::kLlmc:
      return "llmc";
    case Format::kNanogpt:
      return "nanogpt";
  }
  return "?";
}

Result<Format> parse_format(const std::string& name) {
  if (name == "megatron") return Format::kMegatron;
  if (name == "llmc" || name == "llm.c") return Format::kLlmc;
  if (name == "nanogpt") return Format::kNanogpt;
  return invalid_argument("unknown shard format '{}'", name)
      .with_hint("use megatron, llmc or nanogpt (several: --format megatron,llmc)");
}

std::string megatron_prefix(const std::string& prefix, Split split) {
  return split == Split::kTrain ? prefix : prefix + ".val";
}

std::string llmc_shard_path(const std::string& prefix, Split split, int index) {
  return fmt::format("{}_{}_{:06d}.bin", prefix, split_name(split), index);
}

std::string nanogpt_path(const std::string& prefix, Split split) {
  return fmt::format("{}.nanogpt/{}.bin", prefix, split_name(split));
}

std::string meta_path(const std::string& prefix) { return prefix + ".meta.json"; }
std::string state_path(const std::string& prefix) { return prefix + ".pack-state.json"; }

TokenDtype raw_dtype_for_vocab(uint64_t vocab_size) {
  return vocab_size <= 65536 ? TokenDtype::kU16 : TokenDtype::kU32;
}

}  // namespace lm::dataset
