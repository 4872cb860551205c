// synthetic.cc: building the Markov source (Gamma-distributed row weights = Dirichlet rows,
// power iteration for the stationary law) and writing the corpus; deterministic for a seed.
#include "scaling/synthetic.h"

#include <fmt/core.h>
#include <zstd.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/rng.h"

namespace lm::scaling {
namespace {

// Marsaglia-Tsang Gamma(k, 1) sampler (k < 1 via the boost k+1 trick).
double gamma_sample(Rng& rng, double k) {
  if (k < 1) return gamma_sample(rng, k + 1) * std::pow(std::max(rng.uniform(), 1e-300), 1.0 / k);
  double d = k - 1.0 / 3, c = 1 / std::sqrt(9 * d);
  for (;;) {
    double x = rng.normal(), v = 1 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    double u = rng.uniform();
    if (std::log(std::max(u, 1e-300)) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

std::string make_word(Rng& rng, int index) {
  static const char* kSyll[] = {"ka", "lo", "mi", "ne", "ru", "ta", "vo", "si",
                                "de", "pa", "zu", "fe", "go", "hi", "ba", "ye"};
  int syllables = 1 + static_cast<int>(rng.below(3));
  std::string w;
  int v = index;
  for (int s = 0; s < syllables || v > 0; ++s) {
    w += kSyll[v % 16];
    v /= 16;
  }
  return w;
}

int sample_row(Rng& rng, const std::vector<std::pair<int, double>>& row) {
  double u = rng.uniform(), acc = 0;
  for (const auto& [j, p] : row) {
    acc += p;
    if (u < acc) return j;
  }
  return row.back().first;
}

// One document: a walk of `words` steps started from the stationary law (so every position is
// stationary); transitions are counted into *counts.
std::string make_document(const MarkovSource& src, int words, Rng& rng,
                          std::vector<std::map<int, int64_t>>* counts) {
  const int vocab = static_cast<int>(src.words.size());
  double u = rng.uniform(), acc = 0;
  int w = vocab - 1;
  for (int i = 0; i < vocab; ++i) {
    acc += src.stationary[i];
    if (u < acc) {
      w = i;
      break;
    }
  }
  std::string text = src.words[w];
  for (int k = 1; k < words; ++k) {
    int nx = sample_row(rng, src.rows[w]);
    ++(*counts)[w][nx];
    w = nx;
    text += ' ';
    text += src.words[w];
  }
  return text;
}

// Plug-in entropy rate (nats/word) of the observed transition counts.
double plugin_entropy(const std::vector<std::map<int, int64_t>>& counts) {
  int64_t total = 0;
  for (auto& row : counts)
    for (auto& [j, c] : row) total += c;
  double h = 0;
  for (auto& row : counts) {
    int64_t rt = 0;
    for (auto& [j, c] : row) rt += c;
    for (auto& [j, c] : row)
      h -= static_cast<double>(c) / total * std::log(static_cast<double>(c) / rt);
  }
  return h;
}

Status write_entropy_json(const SyntheticOptions& opt, const SyntheticResult& r) {
  const MarkovSource& src = r.source;
  nlohmann::json meta = {
      {"entropy_nats_per_word", src.entropy_nats_per_word},
      {"entropy_nats_per_token", token_floor_nats(src, opt.words_per_document)},
      {"entropy_bits_per_word", src.entropy_nats_per_word / std::log(2.0)},
      {"mean_bytes_per_word", src.mean_bytes_per_word},
      {"entropy_nats_per_byte", src.entropy_nats_per_word / src.mean_bytes_per_word},
      {"empirical_entropy_nats_per_word", r.empirical_entropy},
      {"vocab", opt.vocab},
      {"branching", opt.branching},
      {"concentration", opt.concentration},
      {"documents", opt.documents},
      {"words_per_document", opt.words_per_document},
      {"seed", opt.seed},
      {"words", r.words},
      {"bytes", r.bytes},
      {"note",
       "entropy_nats_per_token is the loss floor when each word is one token and an end-of-text "
       "token ends each document (e.g. a WordPiece vocabulary of the words); per byte divide "
       "entropy_nats_per_word by mean_bytes_per_word"}};
  return write_file_atomic(opt.out_dir + "/entropy.json", meta.dump(1) + "\n");
}

}  // namespace

MarkovSource make_markov_source(const SyntheticOptions& opt) {
  Rng rng(opt.seed);
  MarkovSource s;
  const int V = opt.vocab;
  for (int i = 0; i < V; ++i) s.words.push_back(make_word(rng, i));
  s.rows.resize(V);
  for (int i = 0; i < V; ++i) {
    std::map<int, double> w;
    while (static_cast<int>(w.size()) < std::min(opt.branching, V))
      w[static_cast<int>(rng.below(V))] = 0;
    double sum = 0;
    for (auto& [j, p] : w) {
      p = gamma_sample(rng, opt.concentration) + 1e-12;
      sum += p;
    }
    for (auto& [j, p] : w) s.rows[i].push_back({j, p / sum});
  }
  std::vector<double> pi(V, 1.0 / V), next(V);
  for (int it = 0; it < 5000; ++it) {  // power iteration (lazy chain avoids periodicity)
    std::fill(next.begin(), next.end(), 0.0);
    for (int i = 0; i < V; ++i)
      for (const auto& [j, p] : s.rows[i]) next[j] += pi[i] * p;
    double diff = 0;
    for (int i = 0; i < V; ++i) {
      next[i] = 0.5 * next[i] + 0.5 * pi[i];
      diff += std::fabs(next[i] - pi[i]);
    }
    pi.swap(next);
    if (diff < 1e-15) break;
  }
  s.stationary = pi;
  for (int i = 0; i < V; ++i) {
    double h = 0;
    for (const auto& [j, p] : s.rows[i]) h -= p * std::log(p);
    s.entropy_nats_per_word += pi[i] * h;
    s.mean_bytes_per_word += pi[i] * (s.words[i].size() + 1);
  }
  return s;
}

double token_floor_nats(const MarkovSource& s, int words_per_document) {
  const double w = words_per_document, q = 1 / w;
  double h_pi = 0;
  for (double p : s.stationary)
    if (p > 0) h_pi -= p * std::log(p);
  const double h_eot = q < 1 ? -q * std::log(q) - (1 - q) * std::log(1 - q) : 0;
  return (h_pi + w * (h_eot + (1 - q) * s.entropy_nats_per_word)) / (w + 1);
}

Result<SyntheticResult> write_synthetic_corpus(const SyntheticOptions& opt) {
  if (opt.vocab < 2 || opt.branching < 1 || opt.documents < 1 || opt.words_per_document < 2 ||
      !(opt.concentration > 0)) {
    return invalid_argument(
        "synthetic corpus: vocab >= 2, branching >= 1, documents >= 1, "
        "words per document >= 2 and concentration > 0 are required");
  }
  LM_RETURN_IF_ERROR(make_dirs(opt.out_dir));
  SyntheticResult r;
  r.source = make_markov_source(opt);
  const auto& src = r.source;
  Rng rng(opt.seed ^ 0x5eed5eed5eedULL);
  std::vector<std::map<int, int64_t>> counts(opt.vocab);
  std::string buf;
  int shard = 0;
  auto flush = [&]() -> Status {
    std::string path = fmt::format("{}/synthetic-{:05d}.jsonl.zst", opt.out_dir, shard++);
    std::string z(ZSTD_compressBound(buf.size()), '\0');
    size_t n = ZSTD_compress(z.data(), z.size(), buf.data(), buf.size(), 3);
    if (ZSTD_isError(n)) return io_error("{}: zstd: {}", path, ZSTD_getErrorName(n));
    z.resize(n);
    LM_RETURN_IF_ERROR(write_file_atomic(path, z));
    r.files.push_back(path);
    buf.clear();
    return ok_status();
  };
  for (int64_t d = 0; d < opt.documents; ++d) {
    std::string text = make_document(src, opt.words_per_document, rng, &counts);
    r.words += opt.words_per_document;
    r.bytes += static_cast<int64_t>(text.size());
    nlohmann::json j = {{"id", fmt::format("synthetic-{}", d)},
                        {"text", text},
                        {"source", "markov-synthetic"},
                        {"lang", ""}};
    buf += j.dump() + "\n";
    if (buf.size() > (32u << 20)) LM_RETURN_IF_ERROR(flush());
  }
  if (!buf.empty()) LM_RETURN_IF_ERROR(flush());
  r.empirical_entropy = plugin_entropy(counts);
  LM_RETURN_IF_ERROR(write_entropy_json(opt, r));
  return r;
}

nlohmann::json synthetic_json(const SyntheticOptions& opt, const SyntheticResult& r) {
  return {{"out", opt.out_dir},
          {"files", r.files},
          {"words", r.words},
          {"bytes", r.bytes},
          {"entropy_nats_per_word", r.source.entropy_nats_per_word},
          {"entropy_nats_per_byte", r.source.entropy_nats_per_word / r.source.mean_bytes_per_word},
          {"empirical_entropy_nats_per_word", r.empirical_entropy},
          {"entropy_nats_per_token", token_floor_nats(r.source, opt.words_per_document)}};
}

std::string format_synthetic(const SyntheticOptions& opt, const SyntheticResult& r) {
  std::string s = fmt::format("wrote {} files, {} words, {} bytes to {}\n", r.files.size(), r.words,
                              r.bytes, opt.out_dir);
  s += fmt::format("entropy rate {:.5f} nats/word ({:.5f} nats/byte); empirical {:.5f}\n",
                   r.source.entropy_nats_per_word,
                   r.source.entropy_nats_per_word / r.source.mean_bytes_per_word,
                   r.empirical_entropy);
  s += fmt::format(
      "loss floor {:.5f} nats/token with one token per word and an end-of-text token "
      "after each document\n",
      token_floor_nats(r.source, opt.words_per_document));
  return s;
}

}  // namespace lm::scaling
