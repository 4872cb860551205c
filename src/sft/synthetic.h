// synthetic.h: instruction data from generators and the sample corpus (`lmforge sft synthetic`).
// Task types: add, subtract, larger of two numbers, next / previous number, parity (yes/no), and
// with the sample corpus (lmforge corpus sample) first / last word of a KJV phrase, repeat a
// word, reverse a short word, a GCIDE word's definition, complete a KJV verse. Each type has
// 20 phrasings, composed of 5 core phrasings x 4 framings ("{q}", "Question: {q}", ...): 17 are
// used for training, 3 combinations only for evaluation (each of their cores and framings is seen
// in training with other partners); each type's instances are split by a hash of the instance
// (numbers, word, chapter) so that no evaluation instance appears in training. A word operand is
// quoted ("harrow") and the replies of first/last word and complete_verse start with a space, so
// that the answer's tokens are the prompt's (or the pretraining text's) tokens. Outputs:
//   OUT (JSONL): training conversations {"messages": [user, assistant], "task", "phrasing"}
//   EVAL_DIR/<type>/test.jsonl: held-out phrasings x held-out instances {prompt, answer, ...}
//   EVAL_DIR/<type>/train.jsonl: training phrasings x training instances (few-shot examples)
//   EVAL_DIR/sft_<type>.yaml: a harness task (chat_template: true, generate_until <|end|>,
//   exact_match) scoring the test split; the same seed gives the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace lm::sft {

struct SyntheticOptions {
  std::string out;                 // training JSONL
  std::string eval_dir;            // "" = OUT without .jsonl + "_eval"
  std::string sample_dir;          // "" = the generator types only
  std::vector<std::string> types;  // only these task types (empty = all available)
  int train_per_type = 600;
  int eval_per_type = 60;
  uint64_t seed = 1;
};

struct SyntheticCount {
  std::string type;
  int64_t train = 0, fewshot = 0, test = 0;
};

Status make_synthetic(const SyntheticOptions& options, std::vector<SyntheticCount>* counts);

// The task types (all, with and without the sample corpus), for docs and --list.
std::vector<std::string> synthetic_types(bool with_sample);

}  // namespace lm::sft
