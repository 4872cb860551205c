// lm.cc: open_model: tells an lmforge run/checkpoint folder from a Hugging Face GPT-2 folder,
// finds its tokenizer (train_state.json's, or tokenizer.json / vocab.json + merges.txt, or the
// override), loads the weights and hands them to the GPT backend (gpt_lm.h).
#include "eval/lm.h"

#include <filesystem>

#include "core/file_util.h"
#include "eval/gpt_lm.h"
#include "eval/hf_model.h"
#include "kernels/kernels.h"
#include "model/checkpoint.h"

namespace lm::eval {

Result<std::unique_ptr<LanguageModel>> open_model(const ModelOptions& options) {
  namespace fs = std::filesystem;
  if (options.path.empty())
    return invalid_argument("no model folder given").with_hint("pass --checkpoint DIR");
  std::string dir = model::checkpoint_dir(options.path);
  if (!file_exists(dir + "/model.safetensors") || !file_exists(dir + "/config.json"))
    return not_found("{}: no model.safetensors + config.json here or in {}/checkpoint",
                     options.path, options.path)
        .with_hint("pass an lmforge run or checkpoint folder, or a Hugging Face GPT-2 folder");
  ModelInfo info;
  info.path = dir;
  info.name = fs::path(fs::absolute(options.path)).lexically_normal().filename().string();
  if (info.name.empty()) info.name = fs::absolute(options.path).parent_path().filename().string();
  bool lmforge_run = file_exists(dir + "/train_state.json");
  info.format = lmforge_run ? "lmforge" : "hf-gpt2";
  std::string tok = options.tokenizer;
  if (tok.empty() && !lmforge_run) {
    for (const char* f : {"tokenizer.json", "vocab.json"})
      if (file_exists(dir + "/" + f)) {
        tok = dir + "/" + f;
        break;
      }
    if (tok.empty())
      return not_found(
                 "{}: no tokenizer (tokenizer.json, or vocab.json + merges.txt; no "
                 "train_state.json naming one)",
                 dir)
          .with_hint("copy the model's tokenizer files into the folder or pass --tokenizer FILE");
  }
  if (!tok.empty() && tok != "bytes" && !file_exists(tok))
    return not_found("{}: tokenizer file {} does not exist", dir, tok)
        .with_hint("pass --tokenizer FILE with the model's tokenizer");
  auto codec = generate::TextCodec::for_checkpoint(dir, tok);
  if (!codec.ok()) return codec.status().with_context(dir + ": tokenizer");
  LM_ASSIGN_OR_RETURN(model::GptConfig cfg, model::load_model_config(dir));
  auto gpt = std::make_unique<model::Gpt>(cfg, kernels::cpu_kernels());
  LM_RETURN_IF_ERROR(load_gpt2_weights(dir, gpt.get()));
  info.tokenizer = codec->name();
  if (codec->eot() < 0 && file_exists(dir + "/config.json")) {
    // A tokenizer without <|endoftext|>: the config's eos_token_id, as transformers uses.
    auto text = read_file(dir + "/config.json");
    auto j = nlohmann::json::parse(text.ok() ? *text : std::string(), nullptr, false);
    if (j.is_object() && j.contains("eos_token_id") && j["eos_token_id"].is_number_integer())
      info.eot = j["eos_token_id"].get<int>();
  }
  return make_gpt_lm(std::move(gpt), std::move(*codec), std::move(info), options);
}

}  // namespace lm::eval
