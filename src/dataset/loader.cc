// loader.cc: the batch loader of loader.h. Samples are T+1 windows (concatenate, docmask) or
// document pieces (pad); the global sample stream is epoch after epoch of a per-(seed, epoch)
// permutation, and step s gives rank r the stream positions [s*W*B + r*B, s*W*B + (r+1)*B).
#include "dataset/loader.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/hash.h"
#include "core/rng.h"
#include "dataset/indexed.h"
#include "dataset/meta.h"
#include "dataset/permutation.h"

namespace lm::dataset {
namespace {

struct Piece {  // pad mode: tokens [begin, begin + len), 2 <= len <= T + 1
  uint64_t begin;
  uint32_t len;
};

uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t x = a ^ (b * 0x9e3779b97f4a7c15ULL);
  return splitmix64(x);
}

class LoaderImpl : public Loader {
 public:
  LoaderImpl(LoaderOptions o, IndexedDataset ds, PackMeta meta)
      : o_(std::move(o)), ds_(std::move(ds)), meta_(std::move(meta)) {}

  Status init();
  Status next(Batch* batch) override;
  LoaderState state() const override {
    return {o_.seed, epoch_, position_, step_, n_, fingerprint_};
  }
  Status restore(const LoaderState& s) override;
  int vocab_size() const override { return int(meta_.vocab_size); }
  int eot_id() const override { return int(meta_.eot_id); }
  uint64_t samples_per_epoch() const override { return n_; }
  uint64_t tokens() const override { return ds_.tokens(); }
  uint64_t documents() const override { return ds_.documents(); }
  uint64_t steps_per_epoch() const override { return n_ / global_batch(); }

 private:
  uint64_t global_batch() const { return uint64_t(o_.world) * o_.batch_size; }
  uint64_t sample_at(uint64_t epoch, uint64_t i);
  Status fill_window(uint64_t sample, int row, Batch* b);
  Status fill_piece(uint64_t sample, int row, Batch* b);
  Status check_vocab(uint64_t begin, size_t n) const;

  LoaderOptions o_;
  IndexedDataset ds_;
  PackMeta meta_;
  std::vector<Piece> pieces_;  // pad mode only
  uint64_t n_ = 0, epoch_ = 0, position_ = 0, step_ = 0, fingerprint_ = 0;
  std::vector<int32_t> buf_;
  // Bucketing cache: the order of one window of one epoch.
  uint64_t cache_epoch_ = ~0ULL, cache_window_ = ~0ULL;
  std::vector<uint64_t> cache_;
};

Status LoaderImpl::init() {
  const uint64_t T = o_.seq_len;
  if (o_.mode == LoaderMode::kPad) {
    for (uint64_t d = 0; d < ds_.documents(); ++d) {
      const uint64_t b = ds_.doc_begin(d), len = ds_.doc_length(d);
      for (uint64_t s = 0; s + 1 < len; s += T) {
        pieces_.push_back({b + s, uint32_t(std::min(T + 1, len - s))});
        if (o_.long_docs == LongDocs::kTruncate) break;
      }
    }
    n_ = pieces_.size();
  } else {
    n_ = ds_.tokens() > 0 ? (ds_.tokens() - 1) / T : 0;
  }
  if (n_ == 0) {
    return invalid_argument("{}: {} tokens in {} documents make no sample of {} + 1 tokens",
                            ds_.bin_file(), ds_.tokens(), ds_.documents(), T)
        .with_hint("pack more text or use a smaller sequence length");
  }
  std::string fp = fmt::format("{}|{}|{}|{}|{}|{}|{}|{}", ds_.tokens(), ds_.documents(), n_, T,
                               int(o_.mode), o_.shuffle, int(o_.long_docs), o_.bucket_batches);
  if (o_.bucket_batches > 0) fp += fmt::format("|{}", global_batch());
  fingerprint_ = hash64(fp);
  buf_.resize(T + 1);
  return ok_status();
}

// The sample at position i of epoch `epoch`'s order.
uint64_t LoaderImpl::sample_at(uint64_t epoch, uint64_t i) {
  if (!o_.shuffle) return i;
  const uint64_t key = mix(o_.seed, epoch);
  Permutation perm(n_, key);
  if (o_.mode != LoaderMode::kPad || o_.bucket_batches <= 0) return perm(i);
  const uint64_t G = global_batch(), W = G * uint64_t(o_.bucket_batches);
  const uint64_t w = i / W;
  if (cache_epoch_ != epoch || cache_window_ != w) {
    const uint64_t lo = w * W, hi = std::min(n_, lo + W);
    cache_.resize(hi - lo);
    for (uint64_t j = lo; j < hi; ++j) cache_[j - lo] = perm(j);
    std::stable_sort(cache_.begin(), cache_.end(),
                     [&](uint64_t a, uint64_t b) { return pieces_[a].len < pieces_[b].len; });
    // Shuffle whole global batches of similar length within the window.
    const uint64_t nb = (cache_.size() + G - 1) / G;
    std::vector<uint64_t> order(nb), out;
    for (uint64_t k = 0; k < nb; ++k) order[k] = k;
    Rng rng(mix(key, w));
    for (uint64_t k = nb; k > 1; --k) std::swap(order[k - 1], order[rng.below(k)]);
    out.reserve(cache_.size());
    for (uint64_t k : order) {
      for (uint64_t j = k * G; j < std::min<uint64_t>(cache_.size(), (k + 1) * G); ++j) {
        out.push_back(cache_[j]);
      }
    }
    cache_ = std::move(out);
    cache_epoch_ = epoch;
    cache_window_ = w;
  }
  return cache_[i - w * W];
}

Status LoaderImpl::check_vocab(uint64_t begin, size_t n) const {
  const int64_t bad = ds_.find_out_of_vocab(begin, n, int64_t(meta_.vocab_size));
  if (bad < 0) return ok_status();
  return corrupt("{}: token {} is id {}, outside the vocabulary of {} ids recorded in {}",
                 ds_.bin_file(), bad, ds_.token(uint64_t(bad)), meta_.vocab_size,
                 meta_path(o_.prefix))
      .with_hint("the shards and meta.json do not match: re-run `lmforge pack`");
}

// Concatenate / docmask: the T+1 window starting at token sample*T.
Status LoaderImpl::fill_window(uint64_t sample, int row, Batch* b) {
  const int T = o_.seq_len;
  const uint64_t start = sample * uint64_t(T);
  LM_RETURN_IF_ERROR(check_vocab(start, T + 1));
  ds_.copy_tokens(start, T + 1, buf_.data());
  const size_t off = size_t(row) * T;
  std::copy(buf_.begin(), buf_.begin() + T, b->inputs.begin() + off);
  std::copy(buf_.begin() + 1, buf_.end(), b->targets.begin() + off);
  std::fill_n(b->loss_mask.begin() + off, T, 1.0f);
  std::fill_n(b->attention_mask.begin() + off, T, uint8_t(1));
  if (o_.mode == LoaderMode::kConcatenate) {
    for (int t = 0; t < T; ++t) b->position_ids[off + t] = t;
    std::fill_n(b->segment_ids.begin() + off, T, 0);
    return ok_status();
  }
  // docmask: find the document holding `start` (binary search over document starts).
  uint64_t lo = 0, hi = ds_.documents();
  while (hi - lo > 1) {
    const uint64_t mid = (lo + hi) / 2;
    (ds_.doc_begin(mid) <= start ? lo : hi) = mid;
  }
  uint64_t doc = lo, doc_end = ds_.doc_end(doc);
  int seg = 0, seg_start = 0;
  for (int t = 0; t < T; ++t) {
    const uint64_t a = start + t;
    while (a >= doc_end) {  // token a opens the next (non-empty) document
      doc_end = ds_.doc_end(++doc);
      ++seg;
      seg_start = t;
    }
    b->position_ids[off + t] = t - seg_start;
    b->segment_ids[off + t] = seg;
    // The target a+1 starts another document: it is not predictable from this one.
    if (a + 1 >= doc_end) b->loss_mask[off + t] = 0.0f;
  }
  return ok_status();
}

// Pad: one document piece, right-padded with the EOT id.
Status LoaderImpl::fill_piece(uint64_t sample, int row, Batch* b) {
  const int T = o_.seq_len;
  const Piece& p = pieces_[sample];
  LM_RETURN_IF_ERROR(check_vocab(p.begin, p.len));
  ds_.copy_tokens(p.begin, p.len, buf_.data());
  const size_t off = size_t(row) * T;
  const int n = int(p.len) - 1;  // real input positions
  const int32_t pad = int32_t(meta_.eot_id);
  for (int t = 0; t < T; ++t) {
    const bool real = t < n;
    b->inputs[off + t] = real ? buf_[t] : pad;
    b->targets[off + t] = real ? buf_[t + 1] : pad;
    b->loss_mask[off + t] = real ? 1.0f : 0.0f;
    b->attention_mask[off + t] = real ? 1 : 0;
    b->position_ids[off + t] = real ? t : 0;
    b->segment_ids[off + t] = real ? 0 : -1;
  }
  b->max_len = std::max(b->max_len, n);
  b->real_tokens += uint64_t(n);
  return ok_status();
}

Status LoaderImpl::next(Batch* b) {
  const int B = o_.batch_size, T = o_.seq_len;
  const size_t n = size_t(B) * T;
  b->B = B;
  b->T = T;
  for (auto* v : {&b->inputs, &b->targets, &b->position_ids, &b->segment_ids}) v->resize(n);
  b->loss_mask.resize(n);
  b->attention_mask.resize(n);
  b->max_len = o_.mode == LoaderMode::kPad ? 0 : T;
  b->real_tokens = o_.mode == LoaderMode::kPad ? 0 : n;
  b->epoch = epoch_;
  b->step = step_;
  const uint64_t g = epoch_ * n_ + position_ + uint64_t(o_.rank) * B;
  for (int r = 0; r < B; ++r) {
    const uint64_t pos = g + r, e = pos / n_, i = pos % n_;
    const uint64_t s = sample_at(e, i);
    LM_RETURN_IF_ERROR(o_.mode == LoaderMode::kPad ? fill_piece(s, r, b) : fill_window(s, r, b));
  }
  const uint64_t next = epoch_ * n_ + position_ + global_batch();
  epoch_ = next / n_;
  position_ = next % n_;
  ++step_;
  return ok_status();
}

Status LoaderImpl::restore(const LoaderState& s) {
  if (s.fingerprint != fingerprint_ || s.samples != n_) {
    return Status(Code::kFailedPrecondition,
                  fmt::format("{}: the saved loader state belongs to another dataset or other "
                              "loader options ({} samples per epoch saved, {} now)",
                              o_.prefix, s.samples, n_),
                  "resume with the same shards, sequence length, mode and shuffle options");
  }
  if (s.seed != o_.seed) {
    return Status(Code::kFailedPrecondition,
                  fmt::format("loader state has seed {} but the loader was opened with seed {}",
                              s.seed, o_.seed),
                  "resume with the seed of the run that saved the state");
  }
  if (s.position >= n_) return invalid_argument("loader state position {} >= {}", s.position, n_);
  epoch_ = s.epoch;
  position_ = s.position;
  step_ = s.step;
  return ok_status();
}

}  // namespace

Result<LoaderMode> parse_loader_mode(const std::string& s) {
  if (s == "concatenate" || s == "concat") return LoaderMode::kConcatenate;
  if (s == "pad") return LoaderMode::kPad;
  if (s == "docmask" || s == "document-mask") return LoaderMode::kDocMask;
  return invalid_argument("unknown loader mode '{}'", s)
      .with_hint("use concatenate, pad or docmask");
}

const char* loader_mode_name(LoaderMode mode) {
  switch (mode) {
    case LoaderMode::kConcatenate:
      return "concatenate";
    case LoaderMode::kPad:
      return "pad";
    case LoaderMode::kDocMask:
      return "docmask";
  }
  return "?";
}

std::string LoaderState::to_json() const {
  return nlohmann::json{
      {"seed", seed}, {"epoch", epoch},     {"position", position},
      {"step", step}, {"samples", samples}, {"fingerprint", fmt::format("{:016x}", fingerprint)}}
      .dump();
}

Result<LoaderState> LoaderState::from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  LoaderState s;
  auto u64 = [&](const char* k, uint64_t* v) {
    if (!j.is_object() || !j.contains(k) || !j[k].is_number_unsigned()) return false;
    *v = j[k].get<uint64_t>();
    return true;
  };
  if (j.is_discarded() || !u64("seed", &s.seed) || !u64("epoch", &s.epoch) ||
      !u64("position", &s.position) || !u64("step", &s.step) || !u64("samples", &s.samples) ||
      !j.contains("fingerprint") || !j["fingerprint"].is_string()) {
    return corrupt("malformed loader state: {}", text.substr(0, 200));
  }
  s.fingerprint = std::strtoull(j["fingerprint"].get<std::string>().c_str(), nullptr, 16);
  return s;
}

Result<std::unique_ptr<Loader>> Loader::open(const LoaderOptions& o) {
  if (o.batch_size <= 0 || o.seq_len <= 0) {
    return invalid_argument("batch size {} and sequence length {} must be positive", o.batch_size,
                            o.seq_len);
  }
  if (o.world <= 0 || o.rank < 0 || o.rank >= o.world) {
    return invalid_argument("rank {} is not in a world of {}", o.rank, o.world);
  }
  LM_ASSIGN_OR_RETURN(PackMeta meta, read_meta(o.prefix));
  const std::string prefix = megatron_prefix(o.prefix, o.split);
  auto ds = IndexedDataset::open(prefix);
  if (!ds.ok() && o.split == Split::kVal && ds.status().code() == Code::kNotFound) {
    return ds.status().with_hint("no validation split: pack with --val-fraction > 0");
  }
  if (!ds.ok()) return ds.status();
  auto loader = std::make_unique<LoaderImpl>(o, std::move(ds).value(), std::move(meta));
  LM_RETURN_IF_ERROR(loader->init());
  return std::unique_ptr<Loader>(std::move(loader));
}

}  // namespace lm::dataset
