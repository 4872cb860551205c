// loader.cc: packing conversations into rows and serving them as trainer batches.
#include "sft/loader.h"

#include <algorithm>
#include <numeric>

#include "core/hash.h"
#include "dataset/permutation.h"

namespace lm::sft {

Result<PackMode> parse_pack_mode(const std::string& s) {
  if (s == "pack") return PackMode::kPack;
  if (s == "pad") return PackMode::kPad;
  return invalid_argument("packing '{}': expected pack or pad", s);
}

Rows build_rows(const std::vector<tok::ChatTokens>& convs, int T, PackMode mode, int32_t pad_id,
                uint64_t seed) {
  Rows r;
  r.T = T;
  r.conversations = convs.size();
  std::vector<uint64_t> order(convs.size());
  std::iota(order.begin(), order.end(), 0);
  if (mode == PackMode::kPack && !convs.empty()) {
    dataset::Permutation perm(convs.size(), seed ^ 0x5f7ULL);
    for (uint64_t i = 0; i < convs.size(); i++) order[i] = perm(i);
  }
  int used = T;  // positions used in the current row (T = full: start a new one)
  int seg = 0;
  auto new_row = [&] {
    // close the previous row's padding, then open a fresh one
    r.count++;
    r.inputs.resize(r.count * T, pad_id);
    r.targets.resize(r.count * T, pad_id);
    r.positions.resize(r.count * T, 0);
    r.segments.resize(r.count * T, 0);
    r.mask.resize(r.count * T, 0.0f);
    used = 0;
    seg = 0;
  };
  auto close_row = [&] {
    if (r.count == 0) return;
    size_t base = (r.count - 1) * T;
    for (int t = used, p = 0; t < T; t++, p++) {
      r.segments[base + t] = seg;  // padding: a segment of its own
      r.positions[base + t] = p;
    }
  };
  for (uint64_t k : order) {
    const auto& c = convs[k];
    int n = (int)c.ids.size() - 1;
    if (n < 1) continue;
    if (used + n > T || mode == PackMode::kPad) {
      close_row();
      new_row();
    }
    size_t base = (r.count - 1) * T + used;
    for (int i = 0; i < n; i++) {
      r.inputs[base + i] = (int32_t)c.ids[i];
      r.targets[base + i] = (int32_t)c.ids[i + 1];
      r.mask[base + i] = c.trained[i + 1] ? 1.0f : 0.0f;
      r.positions[base + i] = i;
      r.segments[base + i] = seg;
      r.trained_targets += c.trained[i + 1];
    }
    used += n;
    seg++;
  }
  close_row();
  return r;
}

namespace {

class SftLoader : public dataset::Loader {
 public:
  SftLoader(std::shared_ptr<const Rows> rows, SftLoaderOptions o) : rows_(std::move(rows)), o_(o) {
    uint64_t shape[5] = {rows_->count, (uint64_t)rows_->T, (uint64_t)o_.batch_size,
                         (uint64_t)o_.world, o_.shuffle ? 1u : 0u};
    fp_ = hash64(shape, sizeof shape, hash64(rows_->inputs.data(), rows_->inputs.size() * 4));
    st_.seed = o_.seed;
    st_.samples = rows_->count;
    st_.fingerprint = fp_;
  }

  Status next(dataset::Batch* b) override {
    const int B = o_.batch_size, T = rows_->T;
    b->B = B;
    b->T = T;
    b->inputs.resize((size_t)B * T);
    b->targets.resize((size_t)B * T);
    b->loss_mask.resize((size_t)B * T);
    b->position_ids.resize((size_t)B * T);
    b->segment_ids.resize((size_t)B * T);
    b->attention_mask.assign((size_t)B * T, 1);
    b->max_len = T;
    b->real_tokens = 0;
    b->epoch = st_.epoch;
    b->step = st_.step;
    const uint64_t n = rows_->count;
    for (int r = 0; r < B; r++) {
      uint64_t k = st_.position + (uint64_t)o_.rank * B + r, epoch = st_.epoch;
      epoch += k / n;
      k %= n;
      uint64_t row = o_.shuffle ? dataset::Permutation(n, o_.seed * 0x9e37ULL + epoch)(k) : k;
      size_t src = row * T, dst = (size_t)r * T;
      std::copy_n(rows_->inputs.data() + src, T, b->inputs.data() + dst);
      std::copy_n(rows_->targets.data() + src, T, b->targets.data() + dst);
      std::copy_n(rows_->mask.data() + src, T, b->loss_mask.data() + dst);
      std::copy_n(rows_->positions.data() + src, T, b->position_ids.data() + dst);
      std::copy_n(rows_->segments.data() + src, T, b->segment_ids.data() + dst);
      b->real_tokens += T;
    }
    st_.position += (uint64_t)o_.world * B;
    st_.epoch += st_.position / n;
    st_.position %= n;
    st_.step++;
    return ok_status();
  }

  dataset::LoaderState state() const override { return st_; }
  Status restore(const dataset::LoaderState& s) override {
    if (s.fingerprint != fp_ || s.samples != rows_->count || s.seed != o_.seed)
      return invalid_argument(
                 "the saved data position belongs to other data or options ({} rows saved, {} "
                 "now)",
                 s.samples, rows_->count)
          .with_hint("resume with the same --data, config and number of processes");
    st_ = s;
    return ok_status();
  }
  int vocab_size() const override { return o_.vocab_size; }
  int eot_id() const override { return o_.eot_id; }
  uint64_t samples_per_epoch() const override { return rows_->count; }
  uint64_t tokens() const override { return rows_->count * rows_->T; }
  uint64_t documents() const override { return rows_->conversations; }
  uint64_t steps_per_epoch() const override {
    return rows_->count / ((uint64_t)o_.world * o_.batch_size);
  }

 private:
  std::shared_ptr<const Rows> rows_;
  SftLoaderOptions o_;
  dataset::LoaderState st_;
  uint64_t fp_ = 0;
};

}  // namespace

std::unique_ptr<dataset::Loader> make_sft_loader(std::shared_ptr<const Rows> rows,
                                                 const SftLoaderOptions& options) {
  return std::make_unique<SftLoader>(std::move(rows), options);
}

}  // namespace lm::sft
