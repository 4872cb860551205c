// config.h: the emergence study's configuration (TOML, examples/emergence.toml): the ladder of
// model shapes (>= 3, spaced evenly in log N), the models for the in-context-learning contrast
// (1 vs 2+ layers), the data mixture (text documents + task data from the built-in generators,
// held-out task instances never trained on), the token budget rule, the checkpoints kept, and
// what is evaluated (tasks x strategies). Every check that can fail without training runs in
// load_emergence_config / check_emergence_config, naming the file and key with a hint.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "scaling/sweep.h"

namespace lm::emergence {

struct ModelShape {
  std::string role;  // "ladder" or "icl"
  scaling::SweepShape shape;
};

// The repeated halves' symbols, one byte each: base64's alphabet first (64), then punctuation.
inline constexpr std::string_view kRepeatSymbols =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/!#$%&()*,-.:;<=>?@[]^_{|}~";

struct MixtureConfig {
  std::vector<std::string> text;   // document files / folders (the packer's readers)
  double text_fraction = 1;        // documents kept, chosen by a hash of their id
  int64_t text_max_documents = 0;  // 0 = all
  std::string sample;              // sample corpus folder for the corpus tasks ("" = none)
  std::vector<int> arithmetic_digits = {1, 2, 3};
  int64_t arithmetic_train = 20000;  // training instances per digit count
  int arithmetic_epochs = 1;         // each instance written this many times (all copies shuffled)
  std::string arithmetic_format = "question";  // question | compact | reversed (tasks.h)
  double worked_steps_fraction = 0.5;          // instances written with their column-wise carries
  int64_t induction_train = 5000;              // induction/copy training instances
  // letters per generated training sequence, [min, max] drawn uniformly; empty = the eval
  // task's length (16): a range makes the copy's offset vary, so position alone cannot copy
  std::vector<int> induction_lengths;
  // between the letters of a generated training sequence: " " (the eval task's form) or ""
  // (contiguous: a plain induction head copies the next byte; with " " it must look 2 back)
  std::string induction_separator = " ";
  int examples_per_document = 8;  // task instances per training document ("\n\n" apart)
  // Olsson et al.'s repeated random tokens: documents of L symbols drawn uniformly from the first
  // repeat_alphabet of kRepeatSymbols (L uniform in repeat_lengths), then the same L
  // symbols again with nothing between, so only a copy keyed on the content (prefix matching, an
  // induction head) predicts the second half: repeat_train of them are trained on, and
  // repeat_documents held-out ones (drawn from data_seed) get their own ICL score ("icl_repeat").
  // [icl_mixture] may train on other lengths (short halves form an induction head in fewer steps:
  // docs/emergence.md); the held-out ones keep [mixture]'s lengths and alphabet
  int64_t repeat_train = 0;
  std::vector<int> repeat_lengths = {256, 320};
  int repeat_alphabet = 64;
  int repeat_documents = 0;    // 0 = no ICL score on repeated halves
  double icl_fraction = 0.05;  // text documents held out (by id hash) for the ICL score
  int icl_documents = 32;      // of them, at most this many are scored
  double val_fraction = 0.01;  // the trainer's validation split of the packed mixture
};

struct BudgetConfig {
  std::string rule = "fixed";     // fixed | tokens_per_param
  double tokens = 1e6;            // fixed: every model's training tokens
  double tokens_per_param = 20;   // tokens_per_param: D = r N (Chinchilla's compute-optimal law)
  bool count_embeddings = false;  // N for the rule: non-embedding (default) or total
  double min_tokens = 0, max_tokens = 0;  // clamp (0 = none)
  int checkpoints = 4;                    // kept at 1/K, 2/K, ..., K/K of training
  // the ICL models' tokens (fixed), 0 = the rule above; with [icl_mixture] they may need more
  // than the ladder for induction heads to form (docs/emergence.md, "The ICL pair's own data")
  double icl_tokens = 0;
  // the ICL models' batch (sequences a step), 0 = the study's batch_size; the copy's loss plateau
  // ends after enough optimizer steps, not tokens (docs/emergence.md, "Sessions 18-20")
  int icl_batch_size = 0;
};

struct EvalConfig {
  std::vector<std::string> tasks;       // emergence task names (see tasks.h)
  std::vector<std::string> strategies;  // zero-shot, k-shot, cot, sc
  int k_shot = 3;
  int64_t limit = 100;    // held-out documents per task (0 = all)
  int64_t sc_limit = 20;  // self-consistency is sc_samples x as costly
  int sc_samples = 4;
  int batch_size = 16;
  int bootstrap_iters = 100;
  int icl_context = 512;  // tokens per ICL document (token 500 must fit)
};

struct EmergenceConfig {
  std::string path;  // the file read (messages)
  std::string out;
  std::string tokenizer = "bytes";
  uint64_t seed = 1;          // training
  uint64_t data_seed = 1234;  // task instances (the eval make-data seed)
  int threads = 0;
  // training (the trainer's keys)
  int seq_len = 512, batch_size = 8;
  // the trainer's loader: concatenate (windows cut anywhere in the token stream), pad or docmask
  // (each document's positions start at 0, attention stays within it): docs/emergence.md
  std::string loader_mode = "concatenate";
  double lr = 3e-3;
  int64_t warmup_steps = 50, min_steps = 20;
  std::vector<ModelShape> models;  // ladder first, then icl
  MixtureConfig mixture;
  // [icl_mixture]: the ICL models' own mixture, [mixture]'s keys each defaulting to [mixture]'s
  // value (the held-out sets, icl_fraction and arithmetic_format stay
  // [mixture]'s); unset = the ICL models train on [mixture] like the ladder
  std::optional<MixtureConfig> icl_mixture;
  BudgetConfig budget;
  EvalConfig eval;
};

Result<EmergenceConfig> load_emergence_config(const std::string& path);
// The checks load_emergence_config runs (for configs built in code).
Status check_emergence_config(const EmergenceConfig& c);

}  // namespace lm::emergence
