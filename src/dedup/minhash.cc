// minhash.cc: word normalisation (datatrove's simplify_text: NFD, drop Mn, lowercase, a digit
// run -> 0; punctuation, symbols and spaces split words; the Unicode operations are uni/'s) +
// hashing, exact and line keys, MinHash
// signatures and LSH band keys. The inner loop (K multiply-add-shift permutations per shingle,
// keeping the minimum) is compiled twice (AVX2 and baseline) and picked at load time, so one binary
// runs everywhere. Not here: stage orchestration (stages.cc), files (run_file.cc).
#include "dedup/minhash.h"

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/utf16.h>
#define XXH_INLINE_ALL  // short word/shingle hashes inline: ~2x faster than calls into the .so
#include <xxhash.h>

#include <cmath>
#include <string>

#include "core/rng.h"
#include "uni/chars.h"
#include "uni/normalize.h"
#include "uni/utf8.h"

namespace lm::dedup {
namespace {

// ASCII classes: 0 separator, 1 letter/digit kept as is (after the map below).
struct AsciiMap {
  char map[128];
  AsciiMap() {
    for (int c = 0; c < 128; ++c) {
      if (c >= 'a' && c <= 'z')
        map[c] = static_cast<char>(c);
      else if (c >= 'A' && c <= 'Z')
        map[c] = static_cast<char>(c - 'A' + 'a');
      else if (c >= '0' && c <= '9')
        map[c] = '0';
      else
        map[c] = 0;
    }
  }
};
const AsciiMap kAscii;

// True for code points without a canonical decomposition that are common in text: Latin-1
// below U+00C0 and the unified Han ideographs (the compatibility ideographs U+F900-FAFF and
// U+2F800-2FA1F decompose; kana do too: ga -> ka + U+3099). Saves the NFD lookup.
bool canonically_inert(UChar32 cp) {
  return cp < 0xC0 || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
         (cp >= 0x20000 && cp <= 0x2F7FF) || (cp >= 0x2FA20 && cp <= 0x3FFFF);
}

// A run of digits is one "0" (datatrove's \d+ -> 0): "chapter 7" and "chapter 12" match.
void push_digit(std::string* word) {
  if (word->empty() || word->back() != '0') word->push_back('0');
}

// Splits a run of CJK text (UTF-16) into dictionary words with ICU; one thread-local iterator.
void cjk_words(const std::u16string& run, std::vector<uint64_t>* out) {
  thread_local UBreakIterator* bi = nullptr;
  UErrorCode err = U_ZERO_ERROR;
  if (bi == nullptr) bi = ubrk_open(UBRK_WORD, "zh", nullptr, 0, &err);
  if (bi == nullptr || U_FAILURE(err)) {
    out->push_back(XXH3_64bits(run.data(), run.size() * 2));
    return;
  }
  ubrk_setText(bi, reinterpret_cast<const UChar*>(run.data()), static_cast<int32_t>(run.size()),
               &err);
  int32_t start = ubrk_first(bi);
  for (int32_t end = ubrk_next(bi); end != UBRK_DONE; start = end, end = ubrk_next(bi)) {
    out->push_back(
        XXH3_64bits_withSeed(run.data() + start, static_cast<size_t>(end - start) * 2, 7));
  }
}

struct WordScanner {
  bool cjk_chars;
  std::vector<uint64_t>* out;
  std::string word;
  std::u16string run;  // pending CJK run (word mode)

  void flush() {
    if (!word.empty()) {
      out->push_back(XXH3_64bits(word.data(), word.size()));
      word.clear();
    }
  }
  void flush_run() {
    if (!run.empty()) {
      cjk_words(run, out);
      run.clear();
    }
  }
  // Canonical decomposition first (NFD, as datatrove's simplify_text), so precomposed and
  // decomposed text give the same words: U+00E9 and e + U+0301 both become "e".
  void non_ascii(UChar32 cp) {
    if (canonically_inert(cp)) {
      one(cp);
      return;
    }
    char32_t dec[18];
    const size_t len = uni::canonical_decomposition(static_cast<char32_t>(cp), dec, 18);
    if (len == 0) {
      one(cp);
      return;
    }
    for (size_t j = 0; j < len; ++j) one(static_cast<UChar32>(dec[j]));
  }
  // One code point of the decomposed text.
  void one(UChar32 cp) {
    if (uni::is_written_without_spaces(static_cast<char32_t>(cp))) {
      flush();
      if (cjk_chars) {
        uni::utf8_append(&word, static_cast<char32_t>(cp));
        flush();
      } else {
        UChar buf[2];
        int32_t len = 0;
        U16_APPEND_UNSAFE(buf, len, cp);
        run.append(reinterpret_cast<const char16_t*>(buf), len);
      }
      return;
    }
    flush_run();
    const uint32_t mask = U_MASK(u_charType(cp));
    if (mask & U_GC_MN_MASK) return;  // nonspacing marks (accents): dropped, as datatrove's
    if (mask & U_GC_ND_MASK) {
      push_digit(&word);
    } else if (mask & (U_GC_L_MASK | U_GC_N_MASK | U_GC_MC_MASK | U_GC_ME_MASK)) {
      uni::utf8_append(&word, uni::simple_lowercase(static_cast<char32_t>(cp)));
    } else {
      flush();
    }
  }
};

}  // namespace

void word_hashes(std::string_view text, bool cjk_chars, std::vector<uint64_t>* out) {
  WordScanner ws{cjk_chars, out, {}, {}};
  ws.word.reserve(64);
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t c = p[i];
    if (c < 0x80) {
      const char m = kAscii.map[c];
      if (m != 0) {
        if (!ws.run.empty()) ws.flush_run();
        if (m == '0')
          push_digit(&ws.word);
        else
          ws.word.push_back(m);
      } else {
        ws.flush();
        ws.flush_run();
      }
      ++i;
      continue;
    }
    // An invalid sequence decodes to U+FFFD, a symbol: it separates words.
    ws.non_ascii(static_cast<UChar32>(uni::utf8_decode_multibyte(text, &i)));
  }
  ws.flush();
  ws.flush_run();
}

Key128 exact_key(std::string_view text, const uint64_t* words, size_t n) {
  XXH128_hash_t h = n > 0 ? XXH3_128bits_withSeed(words, n * sizeof(uint64_t), 0x5eed)
                          : XXH3_128bits_withSeed(text.data(), text.size(), 0x7a77);
  return Key128{h.high64, h.low64};
}

uint64_t line_key(std::string_view line, std::vector<uint64_t>* scratch) {
  scratch->clear();
  word_hashes(line, true, scratch);
  if (scratch->empty()) return 0;
  const uint64_t h =
      XXH3_64bits_withSeed(scratch->data(), scratch->size() * sizeof(uint64_t), 0x11e5);
  return h == 0 ? 1 : h;
}

MinHasher::MinHasher(const MinHashParams& params)
    : ngram_(params.ngram),
      bands_(params.bands),
      rows_(params.rows),
      k_(params.bands * params.rows),
      seed_(params.seed) {
  LM_CHECK(ngram_ > 0 && bands_ > 0 && rows_ > 0, "bad MinHash parameters");
  Rng rng(params.seed);
  mul_.resize(k_);
  add_.resize(k_);
  for (int i = 0; i < k_; ++i) {
    mul_[i] = rng.next_u64() | 1u;
    add_[i] = rng.next_u64();
  }
}

namespace {

__attribute__((target_clones("avx2", "default"))) void update_mins(
    const uint64_t* shingles, size_t n, const uint64_t* __restrict mul,
    const uint64_t* __restrict add, int k, uint32_t* __restrict mins) {
  for (size_t s = 0; s < n; ++s) {
    const uint64_t x = static_cast<uint32_t>(shingles[s] ^ (shingles[s] >> 32));
    for (int i = 0; i < k; ++i) {
      const uint32_t v = static_cast<uint32_t>((mul[i] * x + add[i]) >> 32);
      mins[i] = v < mins[i] ? v : mins[i];
    }
  }
}

}  // namespace

bool MinHasher::signature(const uint64_t* words, size_t n, uint32_t* sig) const {
  if (n == 0) return false;
  thread_local std::vector<uint64_t> shingles;
  shingles.clear();
  const size_t g = static_cast<size_t>(ngram_);
  if (n < g) {
    shingles.push_back(XXH3_64bits_withSeed(words, n * sizeof(uint64_t), seed_));
  } else {
    shingles.reserve(n - g + 1);
    for (size_t i = 0; i + g <= n; ++i) {
      shingles.push_back(XXH3_64bits_withSeed(words + i, g * sizeof(uint64_t), seed_));
    }
  }
  for (int i = 0; i < k_; ++i) sig[i] = UINT32_MAX;
  constexpr size_t kBlock = 256;  // keeps the minimums hot while streaming shingles
  for (size_t s = 0; s < shingles.size(); s += kBlock) {
    const size_t m = std::min(kBlock, shingles.size() - s);
    update_mins(shingles.data() + s, m, mul_.data(), add_.data(), k_, sig);
  }
  return true;
}

void MinHasher::band_keys(const uint32_t* sig, uint64_t* keys) const {
  for (int b = 0; b < bands_; ++b) {
    keys[b] = XXH3_64bits_withSeed(sig + b * rows_, rows_ * sizeof(uint32_t),
                                   seed_ ^ (0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(b + 1)));
  }
}

double signature_similarity(const uint32_t* a, const uint32_t* b, int k) {
  int same = 0;
  for (int i = 0; i < k; ++i) same += a[i] == b[i];
  return k > 0 ? static_cast<double>(same) / k : 0.0;
}

Result<MinHashParams> minhash_preset(std::string_view name) {
  MinHashParams p;
  if (name == "datatrove") return p;
  if (name == "nemo") {
    p.bands = 20;
    p.rows = 13;
    return p;
  }
  return Status(Code::kInvalidArgument, fmt::format("unknown MinHash preset '{}'", name),
                "use --preset datatrove (14x8) or --preset nemo (20x13), or --bands/--rows");
}

double lsh_threshold(int bands, int rows) { return std::pow(1.0 / bands, 1.0 / rows); }

double lsh_match_probability(double s, int bands, int rows) {
  return 1.0 - std::pow(1.0 - std::pow(s, rows), bands);
}

std::vector<std::pair<double, double>> lsh_s_curve(int bands, int rows, int points) {
  std::vector<std::pair<double, double>> curve;
  for (int i = 0; i < points; ++i) {
    const double s = points > 1 ? static_cast<double>(i) / (points - 1) : 1.0;
    curve.emplace_back(s, lsh_match_probability(s, bands, rows));
  }
  return curve;
}

}  // namespace lm::dedup
