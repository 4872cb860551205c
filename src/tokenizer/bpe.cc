// bpe.cc: BpeModel: flat open-addressing tables (token bytes -> id, id pair -> merge), the
// merge loop (arrays for short pieces, heap + linked list for long ones) and special tokens.
// The merge order is tiktoken's and HF's: lowest rank first, leftmost among equal ranks.
// What it must compute is bpe_reference.h (tens of lines); tests/tokenizer/
// bpe_reference_test.cc holds the two to the same ids.
//
// Performance notes (figures: docs/PERFORMANCE-tokenizer.md, ~50 MB/s per core on r50k):
// - Tiers, cheapest first, per pre-tokenized piece (encode_hashed): a single byte is its byte
//   token (no hash); a piece of <= 18 bytes is looked up in the per-thread piece cache; a piece
//   that is itself a token is that token (tiktoken always, merge lists when BPE of its bytes
//   gives it back: `whole_ok`); only then the merge loop runs. Most pieces of real text stop at
//   the cache or the whole-token probe.
// - Merge loop: pieces up to kShortPiece (96) bytes merge in a fixed array (a linear scan for
//   the lowest rank beats a heap at these sizes, as in tiktoken); longer pieces (runs of spaces,
//   digits, base64) use a heap + linked list, O(n log n) instead of O(n^2). Ranks are looked up
//   by id pair in one flat table (tiktoken ranks are turned into pairs at load time,
//   build_rank_pairs), the first level by the two bytes directly (byte_pairs).
// - Hashing: pieces of <= 16 bytes hash with an inlined multiply-fold of two overlapping
//   loads, longer ones with XXH3; the table stores a 32-bit tag beside each id so that a probe
//   rarely touches token bytes.
// - Caches: one direct-mapped cache per thread (16384 entries of one cache line, 1 MB), tagged
//   with the model's uid so that models never share entries; no locks (thread_local).
// - Prefetching: memory latency bounds encoding, so encode_ordinary runs the pre-tokenizer
//   kAhead (4) pieces ahead and prefetches each piece's cache line and table slot.
#include "tokenizer/bpe.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <queue>

namespace lm::tok {
namespace {

constexpr uint32_t kNoRank = UINT32_MAX;
constexpr size_t kShortPiece = 96;  // longer pieces use the heap

uint64_t pair_key(uint32_t a, uint32_t b) { return (static_cast<uint64_t>(a) << 32) | b; }

uint32_t next_uid_fn() {
  static std::atomic<uint32_t> uid{1};
  return uid.fetch_add(1);
}

// The hash of token bytes and pieces: for up to 16 bytes (most pieces) a wyhash-style
// multiply-fold of two overlapping loads, which inlines; XXH3 for longer ones.
inline uint64_t load_le(const char* p, size_t n) {  // n <= 8 bytes, little-endian
  uint64_t v = 0;
  std::memcpy(&v, p, n);
  return v;
}

[[gnu::always_inline]] inline uint64_t piece_hash(std::string_view b) {
  size_t n = b.size();
  if (n > 16) return XXH3_64bits(b.data(), n);
  uint64_t lo, hi;
  if (n >= 8) {
    lo = load_le(b.data(), 8), hi = load_le(b.data() + n - 8, 8);
  } else if (n >= 4) {
    lo = load_le(b.data(), 4), hi = load_le(b.data() + n - 4, 4);
  } else {
    lo = n ? load_le(b.data(), n) : 0, hi = 0;
  }
  __uint128_t m = static_cast<__uint128_t>(lo ^ 0xA0761D6478BD642FULL) *
                  (hi ^ 0xE7037ED1A0B428DBULL ^ (static_cast<uint64_t>(n) << 56));
  uint64_t x = static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
  m = static_cast<__uint128_t>(x ^ 0x8EBC6AF09C88C6E3ULL) * 0x589965CC75374CC3ULL;
  return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
}

// a[0, n) == b[0, n) for n <= 18 without a call: two overlapping loads cover up to 16 bytes.
[[gnu::always_inline]] inline bool short_equal(const char* a, const char* b, size_t n) {
  if (n >= 8) {
    if (n > 16) return std::memcmp(a, b, n) == 0;
    return load_le(a, 8) == load_le(b, 8) && load_le(a + n - 8, 8) == load_le(b + n - 8, 8);
  }
  if (n >= 4)
    return load_le(a, 4) == load_le(b, 4) && load_le(a + n - 4, 4) == load_le(b + n - 4, 4);
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

size_t table_size(size_t n) {
  size_t cap = 16;
  while (cap < n * 2 + 2) cap <<= 1;
  return cap;
}

}  // namespace

struct BpeModel::Tables {
  std::vector<uint64_t> slots;  // (hash >> 32) << 32 | (id + 1); 0 = empty
  uint64_t mask = 0;
  struct PairSlot {
    uint64_t key = ~0ULL;
    uint32_t rank = 0, id = 0;
  };
  std::vector<PairSlot> pairs;
  uint64_t pair_mask = 0;
  uint32_t byte_id[256] = {};
  // Merges of two single-byte parts, indexed by (b0 << 8 | b1): the first level of every piece.
  std::vector<PairSlot> byte_pairs;
  std::vector<uint8_t> whole_ok;             // merge mode: BPE of the token's bytes is the token
  std::vector<uint32_t> special_first[256];  // indices into specials_, longest first
  int single_lead = -1;                      // the first byte of every special token, if one
  const std::vector<std::string>* tokens = nullptr;

  std::optional<uint32_t> find(std::string_view b) const { return find(b, piece_hash(b)); }
  std::optional<uint32_t> find(std::string_view b, uint64_t h) const {
    uint64_t tag = h >> 32;
    for (uint64_t i = h & mask;; i = (i + 1) & mask) {
      uint64_t s = slots[i];
      if (s == 0) return std::nullopt;
      if ((s >> 32) == tag) {
        uint32_t id = static_cast<uint32_t>(s) - 1;
        if ((*tokens)[id] == b) return id;
      }
    }
  }
  void insert(std::string_view b, uint32_t id) {
    uint64_t h = piece_hash(b);
    uint64_t i = h & mask;
    while (slots[i] != 0) i = (i + 1) & mask;
    slots[i] = ((h >> 32) << 32) | (id + 1ULL);
  }
  const PairSlot* find_pair(uint32_t a, uint32_t b) const {
    uint64_t key = pair_key(a, b);
    for (uint64_t i = (key * 0x9E3779B97F4A7C15ULL >> 20) & pair_mask;; i = (i + 1) & pair_mask) {
      const PairSlot& s = pairs[i];
      if (s.key == key) return &s;
      if (s.key == ~0ULL) return nullptr;
    }
  }
  void insert_pair(uint32_t a, uint32_t b, uint32_t rank, uint32_t id) {
    uint64_t key = pair_key(a, b);
    uint64_t i = (key * 0x9E3779B97F4A7C15ULL >> 20) & pair_mask;
    while (pairs[i].key != ~0ULL && pairs[i].key != key) i = (i + 1) & pair_mask;
    if (pairs[i].key == key) return;  // keep the first (lowest-rank) merge of a pair
    pairs[i] = {key, rank, id};
  }
};

BpeModel::BpeModel() : uid_(next_uid_fn()) {}
BpeModel::~BpeModel() = default;

Result<std::unique_ptr<BpeModel>> BpeModel::create(BpeSpec spec, BpeOptions options) {
  std::unique_ptr<BpeModel> m(new BpeModel());
  m->options_ = options;
  LM_RETURN_IF_ERROR(m->build(std::move(spec)));
  return m;
}

Status BpeModel::build(BpeSpec spec) {
  LM_ASSIGN_OR_RETURN(pre_, PreTokenizer::create(spec.pattern));
  size_t n = spec.tokens.size();
  for (const auto& [text, id] : spec.special_tokens) n = std::max<size_t>(n, id + 1ULL);
  tokens_ = std::move(spec.tokens);
  tokens_.resize(n);
  known_.assign(n, 0);
  specials_ = std::move(spec.special_tokens);
  merges_ = std::move(spec.merges);
  t_ = std::make_unique<Tables>();
  t_->tokens = &tokens_;
  for (size_t i = 0; i < specials_.size(); ++i) {
    const auto& [text, id] = specials_[i];
    if (text.empty()) return invalid_argument("special token {} has empty text", id);
    if (!tokens_[id].empty() && tokens_[id] != text)
      return invalid_argument("special token \"{}\" has id {}, which is the ordinary token \"{}\"",
                              text, id, tokens_[id]);
    tokens_[id] = text;
    known_[id] = 2;
    t_->special_first[static_cast<unsigned char>(text[0])].push_back(static_cast<uint32_t>(i));
  }
  for (int b = 0; b < 256; ++b) {
    if (t_->special_first[b].empty()) continue;
    t_->single_lead = t_->single_lead == -1 ? b : -2;
  }
  for (auto& v : t_->special_first) {
    std::stable_sort(v.begin(), v.end(), [&](uint32_t a, uint32_t b) {
      return specials_[a].first.size() > specials_[b].first.size();
    });
  }
  t_->slots.assign(table_size(n), 0);
  t_->mask = t_->slots.size() - 1;
  for (uint32_t id = 0; id < n; ++id) {
    if (known_[id] == 2 || tokens_[id].empty()) continue;
    if (auto prev = t_->find(tokens_[id]))
      return invalid_argument("tokens {} and {} have the same bytes", *prev, id);
    t_->insert(tokens_[id], id);
    known_[id] = 1;
  }
  for (int b = 0; b < 256; ++b) {
    char c = static_cast<char>(b);
    auto id = t_->find(std::string_view(&c, 1));
    if (!id)
      return invalid_argument("the vocabulary has no token for the byte 0x{:02X}", b)
          .with_hint("a byte-level BPE vocabulary needs all 256 single-byte tokens");
    t_->byte_id[b] = *id;
  }
  if (merges_.empty()) {
    LM_RETURN_IF_ERROR(build_rank_pairs());
  } else {
    LM_RETURN_IF_ERROR(build_merge_pairs());
  }
  t_->byte_pairs.assign(65536, {});
  for (int b0 = 0; b0 < 256; ++b0) {
    for (int b1 = 0; b1 < 256; ++b1) {
      if (const auto* p = t_->find_pair(t_->byte_id[b0], t_->byte_id[b1]))
        t_->byte_pairs[(b0 << 8) | b1] = *p;
      else
        t_->byte_pairs[(b0 << 8) | b1].rank = kNoRank;
    }
  }
  if (!merges_.empty() && !options_.ignore_merges) {
    t_->whole_ok.assign(n, 0);
    std::vector<uint32_t> ids;
    for (uint32_t id = 0; id < n; ++id) {
      if (known_[id] != 1) continue;
      ids.clear();
      merge_piece(tokens_[id], kNoRank, &ids);
      t_->whole_ok[id] = ids.size() == 1 && ids[0] == id;
    }
  }
  return ok_status();
}

Status BpeModel::build_merge_pairs() {
  t_->pairs.assign(table_size(merges_.size()), {});
  t_->pair_mask = t_->pairs.size() - 1;
  for (size_t r = 0; r < merges_.size(); ++r) {
    const auto& [a, b] = merges_[r];
    auto ia = t_->find(a), ib = t_->find(b), ic = t_->find(a + b);
    if (!ia || !ib || !ic)
      return invalid_argument("merge {} (\"{}\" + \"{}\"): {} is not in the vocabulary", r + 1, a,
                              b,
                              !ia   ? "the left part"
                              : !ib ? "the right part"
                                    : "the result");
    t_->insert_pair(*ia, *ib, static_cast<uint32_t>(r), *ic);
  }
  return ok_status();
}

// tiktoken ranks: merging two adjacent parts is allowed when their concatenation is a token,
// with that token's id as rank. Every split of a token into two tokens is therefore entered in
// the pair table, so the merge loop looks up id pairs instead of hashing byte strings, with
// exactly tiktoken's result.
Status BpeModel::build_rank_pairs() {
  std::vector<std::array<uint32_t, 3>> pairs;
  for (uint32_t id = 0; id < tokens_.size(); ++id) {
    if (known_[id] != 1) continue;
    std::string_view tok = tokens_[id];
    for (size_t k = 1; k < tok.size(); ++k) {
      auto a = t_->find(tok.substr(0, k));
      if (!a) continue;
      if (auto b = t_->find(tok.substr(k))) pairs.push_back({*a, *b, id});
    }
  }
  t_->pairs.assign(table_size(pairs.size()), {});
  t_->pair_mask = t_->pairs.size() - 1;
  for (const auto& [a, b, id] : pairs) t_->insert_pair(a, b, id, id);
  return ok_status();
}

// ---- the merge loop ----

namespace {

struct Part {
  uint32_t start, id, rank, merged;  // rank/merged: of this part merged with the next one
};

// Rank of merging part i with part i+1 (parts[count] is the end sentinel).
template <typename RankFn>
inline void set_rank(Part* parts, size_t i, size_t count, const RankFn& rank_fn) {
  if (i + 1 >= count) {
    parts[i].rank = kNoRank;
    return;
  }
  rank_fn(parts[i].start, parts[i + 2].start, parts[i].id, parts[i + 1].id, &parts[i].rank,
          &parts[i].merged);
}

template <typename RankFn, typename ByteRankFn>
void merge_short(std::string_view piece, const uint32_t* byte_id, const RankFn& rank_fn,
                 const ByteRankFn& byte_rank_fn, std::vector<uint32_t>* out) {
  Part parts[kShortPiece + 1];
  size_t count = piece.size();
  for (size_t i = 0; i < count; ++i)
    parts[i] = {static_cast<uint32_t>(i), byte_id[static_cast<unsigned char>(piece[i])], 0, 0};
  parts[count] = {static_cast<uint32_t>(count), 0, kNoRank, 0};
  for (size_t i = 0; i < count; ++i) set_rank(parts, i, count, byte_rank_fn);
  while (count > 1) {
    uint32_t best = kNoRank;
    size_t bi = 0;
    for (size_t i = 0; i + 1 < count; ++i) {
      if (parts[i].rank < best) best = parts[i].rank, bi = i;
    }
    if (best == kNoRank) break;
    parts[bi].id = parts[bi].merged;
    std::memmove(&parts[bi + 1], &parts[bi + 2], (count - bi - 1) * sizeof(Part));
    --count;
    set_rank(parts, bi, count, rank_fn);
    if (bi > 0) set_rank(parts, bi - 1, count, rank_fn);
  }
  for (size_t i = 0; i < count; ++i) out->push_back(parts[i].id);
}

template <typename RankFn>
void merge_long(std::string_view piece, const uint32_t* byte_id, const RankFn& rank_fn,
                std::vector<uint32_t>* out) {
  const uint32_t n = static_cast<uint32_t>(piece.size());
  std::vector<uint32_t> next(n), prev(n), id(n), rank(n), merged(n);
  for (uint32_t i = 0; i < n; ++i) {
    next[i] = i + 1, prev[i] = i - 1, id[i] = byte_id[static_cast<unsigned char>(piece[i])];
  }
  using Entry = std::pair<uint64_t, uint32_t>;  // (rank << 32 | start, next start)
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
  auto update = [&](uint32_t i) {
    uint32_t j = next[i];
    rank[i] = kNoRank;
    if (j >= n) return;
    rank_fn(i, next[j], id[i], id[j], &rank[i], &merged[i]);
    if (rank[i] != kNoRank) heap.push({(static_cast<uint64_t>(rank[i]) << 32) | i, j});
  };
  for (uint32_t i = 0; i < n; ++i) update(i);
  while (!heap.empty()) {
    auto [key, j] = heap.top();
    heap.pop();
    uint32_t i = static_cast<uint32_t>(key), r = static_cast<uint32_t>(key >> 32);
    if (next[i] != j || rank[i] != r || id[i] == kNoRank) continue;  // stale entry
    id[i] = merged[i];
    id[j] = kNoRank;  // j is gone
    next[i] = next[j];
    if (next[i] < n) prev[next[i]] = i;
    update(i);
    if (i > 0) update(prev[i]);
  }
  for (uint32_t i = 0; i < n; i = next[i]) out->push_back(id[i]);
}

}  // namespace

void BpeModel::merge_piece(std::string_view piece, uint32_t limit,
                           std::vector<uint32_t>* out) const {
  const Tables& t = *t_;
  auto by_pair = [&](uint32_t, uint32_t, uint32_t a, uint32_t b, uint32_t* rank, uint32_t* merged) {
    const Tables::PairSlot* s = t.find_pair(a, b);
    *rank = (s && s->rank < limit) ? s->rank : kNoRank;
    *merged = s ? s->id : 0;
  };
  auto by_bytes = [&](uint32_t s, uint32_t, uint32_t, uint32_t, uint32_t* rank, uint32_t* merged) {
    const auto& p = t.byte_pairs[(static_cast<unsigned char>(piece[s]) << 8) |
                                 static_cast<unsigned char>(piece[s + 1])];
    *rank = p.rank < limit ? p.rank : kNoRank;
    *merged = p.id;
  };
  if (piece.size() <= kShortPiece) {
    merge_short(piece, t.byte_id, by_pair, by_bytes, out);
  } else {
    merge_long(piece, t.byte_id, by_pair, out);
  }
}

// A per-thread cache of short multi-token pieces (most words repeat), direct-mapped, one cache
// line an entry; entries are checked against the model's uid, the hash and the bytes.
struct CacheEntry {
  uint64_t hash = 0;
  uint32_t uid = 0;
  uint8_t len = 0, n = 0;
  char bytes[18];
  uint32_t ids[8];
};
constexpr size_t kCacheEntries = 16384;  // 1 MB per thread
inline size_t cache_index(uint64_t h) { return (h >> 7) & (kCacheEntries - 1); }

namespace {

CacheEntry* thread_cache() {
  thread_local std::unique_ptr<CacheEntry[]> cache(new CacheEntry[kCacheEntries]);
  return cache.get();
}

}  // namespace

void BpeModel::encode_piece(std::string_view piece, std::vector<uint32_t>* out) const {
  encode_hashed(piece, piece.size() > 1 ? piece_hash(piece) : 0, thread_cache(), out);
}

// One piece with its hash (any value for a single byte): the cache, then the whole piece as a
// token, then the merge loop.
void BpeModel::encode_hashed(std::string_view piece, uint64_t h, CacheEntry* cache,
                             std::vector<uint32_t>* out) const {
  if (piece.size() == 1) {  // a single byte is its byte token (no hash needed)
    out->push_back(t_->byte_id[static_cast<unsigned char>(piece[0])]);
    return;
  }
  CacheEntry* e = nullptr;
  if (piece.size() <= sizeof(e->bytes)) {  // frequent pieces: one cache line, no table probe
    e = &cache[cache_index(h)];
    if (e->hash == h && e->uid == uid_ && e->len == piece.size() &&
        short_equal(e->bytes, piece.data(), piece.size())) {
      for (uint8_t k = 0; k < e->n; ++k) out->push_back(e->ids[k]);  // n <= 8: no memmove call
      return;
    }
  }
  size_t before = out->size();
  auto id = t_->find(piece, h);
  if (id && (rank_mode() || options_.ignore_merges || t_->whole_ok[*id])) {
    out->push_back(*id);
  } else {
    merge_piece(piece, kNoRank, out);
  }
  size_t n = out->size() - before;
  if (e && n <= std::size(e->ids)) {
    e->hash = h, e->uid = uid_, e->len = static_cast<uint8_t>(piece.size());
    e->n = static_cast<uint8_t>(n);
    std::memcpy(e->bytes, piece.data(), piece.size());
    std::memcpy(e->ids, out->data() + before, n * sizeof(uint32_t));
  }
}

// Memory latency, not arithmetic, bounds encoding: each piece's cache line and token-table slot
// are random accesses. The pre-tokenizer therefore runs kAhead pieces ahead of the encoder and
// prefetches both for each piece it finds, so that they are in cache when the piece is encoded.
void BpeModel::encode_ordinary(std::string_view text, std::vector<uint32_t>* out) const {
  constexpr size_t kAhead = 4;  // a power of two
  struct Pending {
    std::string_view piece;
    uint64_t hash;
  };
  Pending ring[kAhead];
  size_t found = 0, done = 0;
  CacheEntry* cache = thread_cache();  // once per text: a thread_local access is a call
  auto encode_pending = [&](const Pending& p) { encode_hashed(p.piece, p.hash, cache, out); };
  pre_.split(text, [&](std::string_view piece) {
    uint64_t h = 0;
    if (piece.size() > 1) {
      h = piece_hash(piece);
      __builtin_prefetch(&cache[cache_index(h)]);
      __builtin_prefetch(&t_->slots[h & t_->mask]);
    }
    if (found - done == kAhead) encode_pending(ring[done++ % kAhead]);
    ring[found++ % kAhead] = {piece, h};
  });
  while (done < found) encode_pending(ring[done++ % kAhead]);
}

std::optional<BpeModel::SpecialHit> BpeModel::find_special(std::string_view text,
                                                           size_t from) const {
  if (specials_.empty()) return std::nullopt;
  for (size_t p = from; p < text.size(); ++p) {
    if (t_->single_lead >= 0) {  // usually all specials start with '<': memchr to the next one
      const void* q = std::memchr(text.data() + p, t_->single_lead, text.size() - p);
      if (!q) return std::nullopt;
      p = static_cast<size_t>(static_cast<const char*>(q) - text.data());
    }
    const auto& cands = t_->special_first[static_cast<unsigned char>(text[p])];
    for (uint32_t k : cands) {
      const std::string& s = specials_[k].first;
      if (text.compare(p, s.size(), s) == 0) return SpecialHit{p, s.size(), specials_[k].second};
    }
  }
  return std::nullopt;
}

bool BpeModel::is_special(uint32_t id) const { return id < known_.size() && known_[id] == 2; }

std::optional<uint32_t> BpeModel::bytes_id(std::string_view bytes) const { return t_->find(bytes); }

std::optional<uint32_t> BpeModel::special_id(std::string_view text) const {
  for (const auto& [s, id] : specials_) {
    if (s == text) return id;
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> BpeModel::merges(size_t* unreachable) const {
  if (unreachable) *unreachable = 0;
  if (!rank_mode()) return merges_;
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<uint32_t> ids;
  for (uint32_t id = 0; id < tokens_.size(); ++id) {
    if (known_[id] != 1 || tokens_[id].size() < 2) continue;
    ids.clear();
    merge_piece(tokens_[id], id, &ids);
    if (ids.size() != 2) {
      if (unreachable) ++*unreachable;
      continue;
    }
    out.emplace_back(tokens_[ids[0]], tokens_[ids[1]]);
  }
  return out;
}

BpeSpec BpeModel::spec() const {
  BpeSpec s;
  s.tokens = tokens_;
  for (uint32_t id = 0; id < tokens_.size(); ++id) {
    if (known_[id] == 2) s.tokens[id].clear();
  }
  while (!s.tokens.empty() && s.tokens.back().empty()) s.tokens.pop_back();
  s.merges = merges_;
  s.pattern = pre_.pattern();
  s.special_tokens = specials_;
  return s;
}

}  // namespace lm::tok
