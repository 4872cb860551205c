// synthetic.h: a corpus drawn from a first-order Markov source over a vocabulary of made-up
// words, whose entropy rate is known exactly (H = -sum_i pi_i sum_j P_ij ln P_ij, pi the
// stationary distribution), so the irreducible loss E a scaling-law fit finds can be checked
// against the true entropy of the data. Written as JSONL.zst shards with {"id","text",...}.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"

namespace lm::scaling {

struct SyntheticOptions {
  std::string out_dir;
  int vocab = 512;             // distinct words
  int branching = 16;          // successors per word (sparse rows)
  double concentration = 0.5;  // Dirichlet parameter of each row (smaller = peakier)
  int64_t documents = 2000;
  int words_per_document = 200;
  uint64_t seed = 1;
};

struct MarkovSource {
  std::vector<std::string> words;
  std::vector<std::vector<std::pair<int, double>>> rows;  // successor, probability
  std::vector<double> stationary;
  double entropy_nats_per_word = 0;
  double mean_bytes_per_word = 0;  // including the separating space, under the stationary law
};

MarkovSource make_markov_source(const SyntheticOptions& opt);

// The loss floor per token of the packed corpus when every word is one token and an end-of-text
// token follows each document of w words (what `pack` writes with a word-level tokenizer), for a
// model that predicts from the previous token: after EOT the next word has the stationary
// entropy H(pi); after a word the next is EOT with probability 1/w, else a word (entropy H):
//   [H(pi) + w (h(1/w) + (1 - 1/w) H)] / (w + 1),   h the binary entropy.
// This, not H per word, is what a fitted E can approach. A model that also counts positions
// since the last EOT can beat it by at most the EOT term, w h(1/w) / (w + 1) (~0.03 at w = 200).
double token_floor_nats(const MarkovSource& s, int words_per_document);

struct SyntheticResult {
  MarkovSource source;
  int64_t words = 0, bytes = 0;
  std::vector<std::string> files;
  double empirical_entropy = 0;  // plug-in estimate from the generated transitions (nats/word)
};

// Writes OUT/synthetic-00000.jsonl.zst ... and OUT/entropy.json.
Result<SyntheticResult> write_synthetic_corpus(const SyntheticOptions& opt);
// What `scaling synthetic` prints: entropy rates per word, byte and token, and the files.
nlohmann::json synthetic_json(const SyntheticOptions& opt, const SyntheticResult& r);
std::string format_synthetic(const SyntheticOptions& opt, const SyntheticResult& r);

}  // namespace lm::scaling
