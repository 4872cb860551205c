// hf_model.cc: GPT-2 config and safetensors loading tolerant of HF's naming.
#include "eval/hf_model.h"

#include <fmt/ranges.h>

#include <cmath>
#include <cstring>
#include <set>

#include "core/file_util.h"
#include "model/checkpoint.h"
#include "model/safetensors.h"

namespace lm::eval {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Status load_gpt2_weights(const std::string& dir, model::Gpt* gpt) {
  std::string path = dir + "/model.safetensors";
  LM_ASSIGN_OR_RETURN(model::SafeTensorsFile st, model::SafeTensorsFile::open(path));
  std::set<std::string> used;
  const std::string kPrefix = "transformer.";
  for (const model::ParamInfo& p : gpt->layout().tensors()) {
    std::string name = p.name;
    const auto* e = st.find(name);
    if (!e && name.rfind(kPrefix, 0) == 0) {
      name = name.substr(kPrefix.size());
      e = st.find(name);
    }
    if (!e)
      return invalid_argument("{}: tensor '{}' (or '{}') is missing", path, p.name, name)
          .with_hint("the checkpoint was written for another model config");
    if (e->shape != p.shape)
      return invalid_argument("{}: tensor '{}' has shape [{}], config.json implies [{}]", path,
                              name, fmt::join(e->shape, ","), fmt::join(p.shape, ","))
          .with_hint("config.json does not describe these weights");
    std::memcpy(gpt->params() + p.offset, e->data, p.size * sizeof(float));
    used.insert(name);
  }
  const model::ParamInfo* wte = gpt->layout().find("transformer.wte.weight");
  for (const auto& [name, e] : st.tensors()) {
    if (used.count(name)) continue;
    if (ends_with(name, ".attn.bias") || ends_with(name, ".attn.masked_bias")) continue;
    if (name == "lm_head.weight") {
      bool tied = wte && e.count == wte->size &&
                  std::memcmp(e.data, gpt->params() + wte->offset, wte->size * sizeof(float)) == 0;
      if (!tied)
        return invalid_argument(
                   "{}: lm_head.weight differs from the token embedding (an untied "
                   "output head)",
                   path)
            .with_hint("only GPT-2's tied head is supported");
      continue;
    }
    return invalid_argument("{}: unexpected tensor '{}'", path, name)
        .with_hint("not a GPT-2 checkpoint (or one with layers config.json does not declare)");
  }
  return ok_status();
}

}  // namespace lm::eval
