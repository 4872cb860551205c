// gpt_lm.h: the LanguageModel of a GPT-2 family model (an lmforge checkpoint or an HF GPT-2
// folder) over generate::BatchForward: the harness's token boundary rule and truncation, the
// rolling windows, prefix sharing (one KV prefill per distinct context), and batched sampling
// of many paths from one prompt. Also the pieces of those rules that tests pin on their own.
// Not here: finding and loading a model folder (lm.cc, hf_model.h).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "eval/lm.h"
#include "generate/generate.h"
#include "model/gpt.h"

namespace lm::eval {

// A ready model: takes the weights and the codec. info.params/n_ctx/vocab_size/eot are filled
// from the model and codec when left 0 / -1.
Result<std::unique_ptr<LanguageModel>> make_gpt_lm(std::unique_ptr<model::Gpt> gpt,
                                                   generate::TextCodec codec, ModelInfo info,
                                                   const ModelOptions& options);

// Bytes at the end of `s` that Python's str.rstrip() removes (str.isspace() code points).
size_t trailing_whitespace_bytes(std::string_view s);

// One window of the harness's get_rolling_token_windows (context_len 1) after
// make_disjoint_window: the model input, and the targets its last rows predict.
struct TokenWindow {
  std::vector<int> input;    // tokens fed at positions 0..
  int predict_from = 0;      // input row predict_from + j predicts targets[j]
  std::vector<int> targets;  // disjoint across windows; together they are the document
};
std::vector<TokenWindow> rolling_windows(const std::vector<int>& tokens, int prefix_token,
                                         int max_len);

}  // namespace lm::eval
