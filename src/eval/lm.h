// lm.h: the model side of the task harness, in lm-evaluation-harness's request kinds:
// loglikelihood (context, continuation) -> (sum log p, is_greedy) with the harness's token
// boundary rule; loglikelihood_rolling (a whole document in disjoint windows); generate_until
// (a prompt, stop strings, sampling settings, N sampled paths sharing the prompt's KV cache).
// The task side (task files, prompts, filters, metrics) never sees token ids except through
// encode() for token-level metrics. Not here: which requests a task makes (evaluator.h).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace lm::eval {

struct LoglikelihoodRequest {
  // Boundary rule (harness `_encode_pair`): trailing whitespace of the context moves to the
  // front of the continuation; continuation tokens = encode(context + continuation) minus the
  // first len(encode(context)) tokens. An empty context is conditioned on the EOT token (the
  // harness's prefix token). A continuation with zero tokens after the cut is an error naming
  // `label`. A too-long input is cut from the left to the model's context, as the harness does.
  std::string context;
  std::string continuation;
  std::string label;  // names the request in errors, e.g. "task kjv_cloze, doc 17, choice 2"
};

struct LoglikelihoodResult {
  double logprob = 0;       // sum over the continuation's tokens, natural log
  bool is_greedy = false;   // every continuation token is the argmax (first maximal id, as torch)
  std::vector<int> tokens;  // the continuation's token ids after the cut
  std::vector<double> token_logprobs;  // log p of each continuation token
  std::vector<uint8_t> token_greedy;   // 1 where that token is the argmax
};

struct RollingResult {
  double logprob = 0;  // sum over every token of the document
  int64_t tokens = 0;  // tokens scored (= tokens of the document)
  int windows = 0;     // disjoint windows (harness get_rolling_token_windows, context_len 1)
};

struct GenerationKwargs {
  std::vector<std::string> until;  // the output is cut before the first of these; EOT also stops
  int max_gen_toks = 256;          // the harness's default
  bool do_sample = false;          // false = greedy (temperature ignored)
  double temperature = 0.0;
  int top_k = 0;       // 0 = no top-k
  double top_p = 1.0;  // 1 = no nucleus cut
};

struct GenerationRequest {
  std::string context;
  GenerationKwargs kwargs;
  int samples = 1;    // paths from this one prompt (self-consistency's repeats), one KV prefix
  uint64_t seed = 0;  // path j samples with Rng(seed + j); the same seed gives the same strings
  std::string label;
};

struct ModelInfo {
  std::string name;  // folder name
  std::string path;
  std::string format;     // "lmforge" | "hf-gpt2"
  std::string tokenizer;  // tokenizer file used
  int64_t params = 0;
  int n_ctx = 0;
  int vocab_size = 0;
  int eot = -1;
};

// Implementations must give the same numbers whatever the thread count and batch composition.
class LanguageModel {
 public:
  virtual ~LanguageModel() = default;
  // One result per request, in order. Requests with the same context share its computation.
  virtual Result<std::vector<LoglikelihoodResult>> loglikelihood(
      std::span<const LoglikelihoodRequest> requests) = 0;
  virtual Result<std::vector<RollingResult>> loglikelihood_rolling(
      std::span<const std::string> documents) = 0;
  // For each request, `samples` generated strings (already cut at the stop strings).
  virtual Result<std::vector<std::vector<std::string>>> generate_until(
      std::span<const GenerationRequest> requests) = 0;
  virtual Result<std::vector<int>> encode(const std::string& text) const = 0;
  virtual std::string decode(const std::vector<int>& ids) const = 0;
  virtual const ModelInfo& info() const = 0;
};

struct ModelOptions {
  std::string path;       // lmforge run/checkpoint folder, or an HF GPT-2 folder
  std::string tokenizer;  // override: a tokenizer file ("" = the folder's own)
  int threads = 0;        // 0 = all cores
  int batch_size = 16;    // rows per forward
  // Added by the GPT backend: requests with equal contexts share one KV prefill (false scores
  // each request on its own, for measuring the gain; the numbers are the same bytes).
  bool share_prefixes = true;
};

// Opens an lmforge run or checkpoint folder (model.safetensors + config.json, the tokenizer its
// train_state.json records) or a Hugging Face GPT-2 folder (config.json + model.safetensors +
// tokenizer.json, or vocab.json + merges.txt). A missing tokenizer is an error naming the folder.
Result<std::unique_ptr<LanguageModel>> open_model(const ModelOptions& options);

}  // namespace lm::eval
