// wordpiece_trainer.cc: alphabet selection, the "##" layout of words as ids, and the merge loop
// (bpe_trainer_core.h with strip_prefix "##" and reuse of existing tokens, as HF's BpeTrainer
// does for WordPiece). Characters outside the kept alphabet are dropped from words, as in HF.
#include "tokenizer/wordpiece_trainer.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "core/timer.h"
#include "tokenizer/bert_pretokenizer.h"
#include "tokenizer/bpe_trainer_core.h"
#include "tokenizer/normalizer.h"
#include "uni/utf8.h"

namespace lm::tok {
namespace {

std::string utf8_of(char32_t c) {
  std::string s;
  uni::utf8_append(&s, c);
  return s;
}

// The kept alphabet in code point order: the `limit` most frequent characters (ties: the
// smaller code point is kept).
std::vector<char32_t> choose_alphabet(
    const std::vector<std::pair<std::string_view, uint64_t>>& words, size_t limit) {
  std::unordered_map<char32_t, uint64_t> freq;
  for (const auto& [w, n] : words) {
    for (size_t i = 0; i < w.size();) freq[uni::utf8_decode(w, &i)] += n;
  }
  std::vector<std::pair<char32_t, uint64_t>> all(freq.begin(), freq.end());
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) {
    return x.second != y.second ? x.second > y.second : x.first < y.first;
  });
  if (limit > 0 && all.size() > limit) all.resize(limit);
  std::vector<char32_t> kept;
  for (const auto& [c, n] : all) kept.push_back(c);
  std::sort(kept.begin(), kept.end());
  return kept;
}

}  // namespace

WordSplitter make_bert_splitter(const WordPieceOptions& o) {
  BertNormalizerOptions bo{.clean_text = o.clean_text,
                           .handle_chinese_chars = o.handle_chinese_chars,
                           .strip_accents = o.strip_accents.value_or(o.lowercase),
                           .lowercase = o.lowercase};
  return [bo](std::string_view text, WordCounts* counts) {
    std::string norm = bert_normalize(text, bo);
    std::vector<std::string_view> words;
    bert_pre_tokenize(norm, &words);
    for (std::string_view w : words) counts->add(w);
  };
}

Result<WordPiece> train_wordpiece_from_counts(const WordCounts& counts,
                                              const WordPieceTrainerOptions& o,
                                              BpeTrainStats* stats) {
  Timer timer;
  const std::string& prefix = o.model.continuing_subword_prefix;
  auto words = counts.sorted();
  std::vector<char32_t> alphabet = choose_alphabet(words, o.limit_alphabet);
  MergeProblem p;
  p.tokens = o.special_tokens;
  std::map<char32_t, uint32_t> first_id, inner_id;
  for (char32_t c : alphabet) {
    first_id[c] = static_cast<uint32_t>(p.tokens.size());
    p.tokens.push_back(utf8_of(c));
  }
  // Pass 1: which characters occur inside words ("##c" tokens, in code point order).
  for (const auto& [w, n] : words) {
    for (size_t i = 0; i < w.size();) {
      bool first = i == 0;  // as HF: the word's first character, kept or not
      char32_t c = uni::utf8_decode(w, &i);
      if (!first && first_id.count(c)) inner_id.emplace(c, 0);
    }
  }
  for (auto& [c, id] : inner_id) {
    id = static_cast<uint32_t>(p.tokens.size());
    p.tokens.push_back(prefix + utf8_of(c));
  }
  // Pass 2: words as ids.
  p.word_start.push_back(0);
  for (const auto& [w, n] : words) {
    size_t start = p.symbols.size();
    for (size_t i = 0; i < w.size();) {
      bool first = i == 0;
      char32_t c = uni::utf8_decode(w, &i);
      auto it = first_id.find(c);
      if (it == first_id.end()) continue;
      p.symbols.push_back(first ? it->second : inner_id.at(c));
    }
    if (p.symbols.size() - start < 2) {
      p.symbols.resize(start);
      continue;
    }
    p.word_start.push_back(p.symbols.size());
    p.word_count.push_back(n);
  }
  MergeConfig c;
  c.target_tokens = o.vocab_size;
  c.min_frequency = o.min_frequency;
  c.max_token_length = o.max_token_length;
  c.length_in_chars = true;
  c.strip_prefix = prefix;
  c.reuse_existing = true;
  c.progress = o.progress;
  MergeResult r = run_merges(std::move(p), c);
  if (stats) {
    stats->distinct_words = counts.size();
    stats->words = counts.total();
    stats->pairs = r.peak_pairs;
    stats->merges = r.merges.size();
    stats->merge_seconds = timer.seconds();
  }
  return WordPiece::from_vocab(std::move(r.tokens), o.model);
}

Result<WordPiece> train_wordpiece(const TextSource& next, const WordPieceTrainerOptions& o,
                                  BpeTrainStats* stats) {
  Timer timer;
  CountStats cs;
  CountOptions co;
  co.threads = o.threads;
  co.progress = o.progress;
  LM_ASSIGN_OR_RETURN(WordCounts counts, count_words(next, make_bert_splitter(o.model), co, &cs));
  double count_seconds = timer.seconds();
  auto wp = train_wordpiece_from_counts(counts, o, stats);
  if (stats) {
    stats->documents = cs.documents;
    stats->bytes = cs.bytes;
    stats->count_seconds = count_seconds;
  }
  return wp;
}

Result<WordPiece> train_wordpiece_on_texts(const std::vector<std::string>& texts,
                                           const WordPieceTrainerOptions& o, BpeTrainStats* stats) {
  size_t i = 0;
  TextSource next = [&](std::string* text) -> Result<bool> {
    if (i == texts.size()) return false;
    *text = texts[i++];
    return true;
  };
  return train_wordpiece(next, o, stats);
}

}  // namespace lm::tok
