// checkpoint.cc: saving and loading model.safetensors + config.json.
#include "model/checkpoint.h"

#include <fmt/ranges.h>

#include <cstring>

#include "core/file_util.h"
#include "model/safetensors.h"

namespace lm::model {

Status save_model(const std::string& dir, const Gpt& model,
                  const std::map<std::string, std::string>& metadata) {
  LM_RETURN_IF_ERROR(make_dirs(dir));
  std::vector<TensorRef> refs;
  for (const ParamInfo& p : model.layout().tensors())
    refs.push_back({p.name, p.shape, model.params() + p.offset});
  LM_RETURN_IF_ERROR(write_safetensors(dir + "/model.safetensors", refs, metadata));
  return write_file_atomic(dir + "/config.json", model.config().to_hf_json().dump(2) + "\n");
}

Result<GptConfig> load_model_config(const std::string& dir) {
  std::string path = dir + "/config.json";
  if (!file_exists(path))
    return not_found("{}: no config.json", dir)
        .with_hint(
            "pass a run directory or checkpoint "
            "directory written by lmforge train");
  return read_hf_config(path);
}

Status load_model_weights(const std::string& dir, Gpt* model) {
  std::string path = dir + "/model.safetensors";
  LM_ASSIGN_OR_RETURN(SafeTensorsFile st, SafeTensorsFile::open(path));
  for (const ParamInfo& p : model->layout().tensors()) {
    const auto* e = st.find(p.name);
    if (!e)
      return invalid_argument("{}: tensor '{}' is missing", path, p.name)
          .with_hint("the checkpoint was written for another model config");
    if (e->shape != p.shape)
      return invalid_argument("{}: tensor '{}' has shape [{}], the model expects [{}]", path,
                              p.name, fmt::join(e->shape, ","), fmt::join(p.shape, ","))
          .with_hint("the checkpoint was written for another model config");
    std::memcpy(model->params() + p.offset, e->data, p.size * sizeof(float));
    if (!model->config().mlp && is_mlp_tensor(p.name)) {
      const float* w = model->params() + p.offset;
      for (size_t i = 0; i < p.size; i++)
        if (w[i] != 0.0f)
          return invalid_argument(
                     "{}: tensor '{}' is not zero, but config.json says the model is "
                     "attention-only (lmforge_mlp false)",
                     path, p.name)
              .with_hint(
                  "an attention-only model's MLP is zero; the weights and config.json "
                  "belong to different models");
    }
  }
  size_t expected = model->layout().tensors().size();
  if (st.tensors().size() != expected)
    return invalid_argument("{}: {} tensors, the model has {}", path, st.tensors().size(), expected)
        .with_hint("the checkpoint was written for another model config");
  return ok_status();
}

std::string checkpoint_dir(const std::string& path) {
  if (file_exists(path + "/model.safetensors")) return path;
  return path + "/checkpoint";
}

Result<std::unique_ptr<Gpt>> load_model(const std::string& dir, const kernels::KernelSet& k) {
  LM_ASSIGN_OR_RETURN(GptConfig cfg, load_model_config(dir));
  auto gpt = std::make_unique<Gpt>(cfg, k);
  LM_RETURN_IF_ERROR(load_model_weights(dir, gpt.get()));
  return gpt;
}

}  // namespace lm::model
