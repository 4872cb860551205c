// bpe_trainer.cc: the byte-level BPE trainer: split and count words, lay them out as byte ids,
// run the merge loop, and build the BpeSpec (raw-byte tokens, merges in rank order, specials).
#include "tokenizer/bpe_trainer.h"

#include <memory>

#include "core/timer.h"
#include "tokenizer/bpe_trainer_core.h"
#include "tokenizer/pretokenize.h"

namespace lm::tok {

std::string bpe_pattern_by_name(std::string_view name) {
  if (name == "gpt4" || name == "cl100k" || name == "cl100k_base") return kCl100kPattern;
  if (name == "gpt2") return kGpt2Pattern;
  if (name == "r50k" || name == "p50k" || name == "r50k_base" || name == "p50k_base") {
    return kR50kPattern;
  }
  if (name == "o200k" || name == "gpt4o" || name == "o200k_base") return kO200kPattern;
  return std::string(name);
}

Result<WordSplitter> make_bpe_splitter(const std::string& pattern,
                                       const std::vector<std::string>& special_tokens) {
  LM_ASSIGN_OR_RETURN(PreTokenizer pre, PreTokenizer::create(pattern));
  auto shared = std::make_shared<PreTokenizer>(std::move(pre));
  std::vector<std::string> specials;
  for (const auto& s : special_tokens) {
    if (!s.empty()) specials.push_back(s);
  }
  return WordSplitter([shared, specials](std::string_view text, WordCounts* counts) {
    auto add = [&](std::string_view piece) { counts->add(piece); };
    if (specials.empty()) {
      shared->split(text, add);
      return;
    }
    size_t pos = 0;
    while (pos < text.size()) {
      size_t best = text.size(), best_len = 0;
      for (const auto& s : specials) {  // earliest match; the longest at equal positions
        size_t at = text.find(s, pos);
        if (at < best || (at == best && at != text.size() && s.size() > best_len)) {
          best = at;
          best_len = s.size();
        }
      }
      shared->split(text.substr(pos, best - pos), add);
      pos = best + best_len;
    }
  });
}

Result<BpeSpec> train_bpe_from_counts(const WordCounts& counts, const BpeTrainerOptions& o,
                                      BpeTrainStats* stats) {
  size_t nspecial = o.special_tokens.size();
  if (o.vocab_size < 256 + nspecial) {
    return invalid_argument("vocabulary size {} is below 256 byte tokens + {} special tokens",
                            o.vocab_size, nspecial);
  }
  Timer timer;
  MergeProblem p;
  p.tokens.reserve(o.vocab_size);
  for (int b = 0; b < 256; ++b) p.tokens.emplace_back(1, static_cast<char>(b));
  p.word_start.push_back(0);
  for (const auto& [word, n] : counts.sorted()) {
    if (word.size() < 2) continue;  // no pairs
    for (unsigned char c : word) p.symbols.push_back(c);
    p.word_start.push_back(p.symbols.size());
    p.word_count.push_back(n);
  }
  MergeConfig c;
  c.target_tokens = o.vocab_size - nspecial;
  c.min_frequency = o.min_frequency;
  c.max_token_length = o.max_token_length;
  c.reuse_existing = false;
  c.progress = o.progress;
  MergeResult r = run_merges(std::move(p), c);

  BpeSpec spec;
  spec.pattern = o.pattern;
  spec.merges.reserve(r.merges.size());
  for (const auto& [a, b] : r.merges) spec.merges.emplace_back(r.tokens[a], r.tokens[b]);
  spec.tokens = std::move(r.tokens);
  for (size_t i = 0; i < nspecial; ++i) {
    spec.special_tokens.emplace_back(o.special_tokens[i],
                                     static_cast<uint32_t>(spec.tokens.size() + i));
  }
  if (stats) {
    stats->distinct_words = counts.size();
    stats->words = counts.total();
    stats->pairs = r.peak_pairs;
    stats->merges = spec.merges.size();
    stats->merge_seconds = timer.seconds();
  }
  return spec;
}

Result<BpeSpec> train_bpe(const TextSource& next, const BpeTrainerOptions& o,
                          BpeTrainStats* stats) {
  LM_ASSIGN_OR_RETURN(WordSplitter split, make_bpe_splitter(o.pattern, o.special_tokens));
  Timer timer;
  CountStats cs;
  CountOptions co;
  co.threads = o.threads;
  co.progress = o.progress;
  LM_ASSIGN_OR_RETURN(WordCounts counts, count_words(next, split, co, &cs));
  double count_seconds = timer.seconds();
  auto spec = train_bpe_from_counts(counts, o, stats);
  if (stats) {
    stats->documents = cs.documents;
    stats->bytes = cs.bytes;
    stats->count_seconds = count_seconds;
  }
  return spec;
}

Result<BpeSpec> train_bpe_on_texts(const std::vector<std::string>& texts,
                                   const BpeTrainerOptions& o, BpeTrainStats* stats) {
  size_t i = 0;
  TextSource next = [&](std::string* text) -> Result<bool> {
    if (i == texts.size()) return false;
    *text = texts[i++];
    return true;
  };
  return train_bpe(next, o, stats);
}

}  // namespace lm::tok
