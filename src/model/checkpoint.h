// checkpoint.h: a model directory as HF transformers reads it: model.safetensors (HF GPT-2
// tensor names, Conv1D [in,out] weights, tied lm_head omitted) plus config.json. Loading checks
// that every tensor is present with the configured shape, so a checkpoint of another config is
// a clear error. Training state (optimizer, RNG, data position) is saved by train/.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "model/gpt.h"

namespace lm::model {

Status save_model(const std::string& dir, const Gpt& model,
                  const std::map<std::string, std::string>& metadata = {});
Result<GptConfig> load_model_config(const std::string& dir);
// Loads weights into `model`, whose config must match the checkpoint's.
Status load_model_weights(const std::string& dir, Gpt* model);
// The checkpoint directory of a run directory (RUN_DIR/checkpoint), or `path` itself when it
// already holds a model.safetensors.
std::string checkpoint_dir(const std::string& path);
// config.json + model.safetensors of `dir` as a ready model.
Result<std::unique_ptr<Gpt>> load_model(const std::string& dir, const kernels::KernelSet& k);

}  // namespace lm::model
