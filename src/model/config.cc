// config.cc: GptConfig validation, counts and the HF GPT-2 config.json mapping.
#include "model/config.h"

#include <cmath>

#include "core/file_util.h"

namespace lm::model {

Status GptConfig::validate() const {
  if (vocab_size <= 0 || n_ctx <= 0 || n_layer <= 0 || n_head <= 0 || n_embd <= 0)
    return invalid_argument(
        "model config: vocab_size {}, n_ctx {}, n_layer {}, n_head {}, n_embd {} must all be > 0",
        vocab_size, n_ctx, n_layer, n_head, n_embd);
  if (n_embd % n_head != 0)
    return invalid_argument("model config: n_head {} does not divide n_embd {}", n_head, n_embd)
        .with_hint("choose a width that is a multiple of the number of heads");
  return ok_status();
}

int64_t GptConfig::num_params() const { return num_params_no_position() + (int64_t)n_ctx * n_embd; }

int64_t GptConfig::num_params_no_position() const {
  int64_t C = n_embd, b = bias ? 1 : 0;
  int64_t per_layer = C + C * b                // ln_1 (weight, bias)
                      + C * 3 * C + 3 * C * b  // c_attn
                      + C * C + C * b;         // attn c_proj
  if (mlp)
    per_layer += C + C * b                // ln_2
                 + C * 4 * C + 4 * C * b  // c_fc
                 + 4 * C * C + C * b;     // mlp c_proj
  return (int64_t)vocab_size * C + n_layer * per_layer + C + C * b;
}

double GptConfig::flops_per_token(int seq_len) const {
  return 6.0 * (double)num_params_no_position() + 12.0 * n_layer * n_embd * (double)seq_len;
}

nlohmann::json GptConfig::to_hf_json() const {
  nlohmann::json j = {{"architectures", {"GPT2LMHeadModel"}},
                      {"model_type", "gpt2"},
                      {"vocab_size", vocab_size},
                      {"n_positions", n_ctx},
                      {"n_ctx", n_ctx},
                      {"n_embd", n_embd},
                      {"n_layer", n_layer},
                      {"n_head", n_head},
                      {"n_inner", nullptr},
                      {"activation_function", "gelu_new"},
                      {"layer_norm_epsilon", 1e-5},
                      {"resid_pdrop", 0.0},
                      {"embd_pdrop", 0.0},
                      {"attn_pdrop", 0.0},
                      {"tie_word_embeddings", true},
                      {"bias", bias},
                      {"bos_token_id", vocab_size - 1},
                      {"eos_token_id", vocab_size - 1},
                      {"torch_dtype", "float32"}};
  // only when false, so a regular model's config.json stays GPT-2's own
  if (!mlp) j["lmforge_mlp"] = false;
  return j;
}

Result<GptConfig> GptConfig::from_hf_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) return corrupt("{}: not a JSON object", source);
  if (j.value("model_type", std::string("gpt2")) != "gpt2")
    return invalid_argument("{}: model_type '{}' is not gpt2", source,
                            j.value("model_type", std::string()));
  if (j.contains("activation_function") && j["activation_function"] != "gelu_new")
    return invalid_argument("{}: activation_function {} is not supported (gelu_new only)", source,
                            j["activation_function"].dump());
  if (j.contains("n_inner") && !j["n_inner"].is_null())
    return invalid_argument("{}: n_inner must be null (MLP width 4 x n_embd)", source);
  if (j.contains("layer_norm_epsilon") && j["layer_norm_epsilon"].is_number() &&
      std::fabs(j["layer_norm_epsilon"].get<double>() - 1e-5) > 1e-12)
    return invalid_argument("{}: layer_norm_epsilon {} is not supported (GPT-2's 1e-5 only)",
                            source, j["layer_norm_epsilon"].dump());
  if (j.value("scale_attn_weights", true) != true)
    return invalid_argument("{}: scale_attn_weights false is not supported", source);
  if (j.value("scale_attn_by_inverse_layer_idx", false) != false)
    return invalid_argument("{}: scale_attn_by_inverse_layer_idx is not supported", source);
  GptConfig c;
  try {
    c.vocab_size = j.at("vocab_size").get<int>();
    c.n_ctx = j.contains("n_positions") ? j["n_positions"].get<int>() : j.at("n_ctx").get<int>();
    c.n_embd = j.at("n_embd").get<int>();
    c.n_layer = j.at("n_layer").get<int>();
    c.n_head = j.at("n_head").get<int>();
    c.bias = j.value("bias", true);
    c.mlp = j.contains("lmforge_mlp") ? j["lmforge_mlp"].get<bool>() : true;
  } catch (const std::exception& e) {
    return corrupt("{}: {}", source, e.what());
  }
  LM_RETURN_IF_ERROR(c.validate().with_context(source));
  return c;
}

Result<GptConfig> read_hf_config(const std::string& path) {
  if (!file_exists(path))
    return not_found("{}: no such file", path).with_hint("give a GPT-2 config.json");
  LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded())
    return corrupt("{}: not valid JSON", path).with_hint("give an HF config.json");
  return GptConfig::from_hf_json(j, path);
}

}  // namespace lm::model
