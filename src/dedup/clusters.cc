// clusters.cc: stage 3 of dedup (rank 0 only): a union-find over all documents in input order
// joins every edge; the root of a cluster is always its smallest (earliest) document, so the
// result does not depend on edge order. Writes, per rank, the removed documents of its files
// with their rule, estimated Jaccard similarity to the kept document, and the kept id.
// Memory: 8 bytes per document (parent + cluster size) plus the ids of cluster roots; the
// signatures are checked (memory-mapped piece by piece) and then read with pread as needed.
#include <fcntl.h>
#include <unistd.h>

#include <unordered_map>

#include "core/log.h"
#include "core/progress.h"
#include "core/timer.h"
#include "dedup/minhash.h"
#include "dedup/run_file.h"
#include "dedup/stages.h"

namespace lm::dedup {
namespace {

class UnionFind {
 public:
  explicit UnionFind(uint64_t n) : parent_(n) {
    for (uint64_t i = 0; i < n; ++i) parent_[i] = static_cast<uint32_t>(i);
  }
  uint32_t find(uint32_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];
      x = parent_[x];
    }
    return x;
  }
  void unite(uint32_t a, uint32_t b) {  // the smaller root wins
    a = find(a);
    b = find(b);
    if (a < b)
      parent_[b] = a;
    else if (b < a)
      parent_[a] = b;
  }
  // After this, parent[i] is the root of i (parents are never larger than their child).
  void flatten() {
    for (uint64_t i = 0; i < parent_.size(); ++i) parent_[i] = parent_[parent_[i]];
  }
  uint32_t root(uint64_t i) const { return parent_[i]; }

 private:
  std::vector<uint32_t> parent_;
};

// Global dense index of every document: file base offsets from the signature markers.
struct DocIndex {
  std::vector<uint64_t> file_base;  // per global file; size files + 1
  std::vector<uint64_t> rank_base;  // per rank; size world + 1
  uint64_t dense(uint64_t key) const { return file_base[key_file(key)] + key_index(key); }
};

DocIndex build_index(const Job& job, const std::vector<nlohmann::json>& sig_markers) {
  DocIndex ix;
  ix.file_base.push_back(0);
  for (int r = 0; r < job.opts.world; ++r) {
    ix.rank_base.push_back(ix.file_base.back());
    for (const auto& c : sig_markers[r].at("file_counts")) {
      ix.file_base.push_back(ix.file_base.back() + c.get<uint64_t>());
    }
  }
  ix.rank_base.push_back(ix.file_base.back());
  return ix;
}

// Signatures of dense documents (for similarities), read from the per-rank signature files
// (checked when opened) with pread into two small buffers: the clusters stage touches the
// signatures of the documents in edges only, in no useful order, and reading them keeps its
// resident memory independent of the corpus size (a memory map would keep every touched page).
struct Signatures {
  std::vector<int> fds;
  int k = 0;
  mutable std::vector<uint32_t> a_buf, b_buf;
  Signatures() = default;
  Signatures(const Signatures&) = delete;
  ~Signatures() {
    for (int fd : fds) ::close(fd);
  }
  Status add(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error("{}: cannot open", path);
    fds.push_back(fd);
    return ok_status();
  }
  bool read(const DocIndex& ix, uint64_t d, std::vector<uint32_t>* buf) const {
    int r = 0;
    while (ix.rank_base[r + 1] <= d) ++r;
    buf->resize(k);
    const size_t bytes = static_cast<size_t>(k) * 4;
    const off_t offset = static_cast<off_t>(8 + (d - ix.rank_base[r]) * bytes);
    return ::pread(fds[r], buf->data(), bytes, offset) == static_cast<ssize_t>(bytes);
  }
  // Estimated Jaccard similarity of documents a and b (0 when a read fails).
  double similarity(const DocIndex& ix, uint64_t a, uint64_t b) const {
    if (!read(ix, a, &a_buf) || !read(ix, b, &b_buf)) return 0;
    return signature_similarity(a_buf.data(), b_buf.data(), k);
  }
};

Status join_edges(const Job& job, const DocIndex& ix, const Signatures& sigs, double verify,
                  UnionFind* uf, std::vector<bool>* exact, uint64_t* rejected) {
  Progress progress("dedup 3/4 clusters", 0);
  for (int p = 0; p < job.opts.world; ++p) {
    LM_ASSIGN_OR_RETURN(MappedBlob blob,
                        MappedBlob::open(job.path(fmt::format("s2-p{}.edges", p)), kEdgeMagic));
    if (blob.size() % sizeof(Edge) != 0) {
      return Status(Code::kCorrupt, fmt::format("s2-p{}.edges: bad size", p));
    }
    const auto* e = reinterpret_cast<const Edge*>(blob.data());
    const uint64_t n = blob.size() / sizeof(Edge);
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t a = ix.dense(e[i].a), b = ix.dense(e[i].b);
      if (e[i].kind == kEdgeNear && verify > 0 && sigs.similarity(ix, a, b) < verify) {
        ++*rejected;
        continue;
      }
      uf->unite(static_cast<uint32_t>(a), static_cast<uint32_t>(b));
      if (e[i].kind == kEdgeExact) (*exact)[b] = true;
    }
    progress.add(n);
  }
  progress.finish();
  return ok_status();
}

// Ids of the cluster roots (the kept documents), read from the ids files in order.
Result<std::unordered_map<uint64_t, std::string>> root_ids(const Job& job, const DocIndex& ix,
                                                           const std::vector<uint32_t>& sizes) {
  std::unordered_map<uint64_t, std::string> ids;
  for (int r = 0; r < job.opts.world; ++r) {
    LM_ASSIGN_OR_RETURN(MappedBlob blob,
                        MappedBlob::open(job.path(fmt::format("s1-r{}.ids", r)), kIdsMagic));
    const uint8_t* p = blob.data();
    const uint8_t* end = p + blob.size();
    for (uint64_t d = ix.rank_base[r]; d < ix.rank_base[r + 1]; ++d) {
      uint32_t len = 0;
      if (p + 4 > end) return corrupt("s1-r{}.ids: too short", r);
      std::memcpy(&len, p, 4);
      if (p + 4 + len > end) return corrupt("s1-r{}.ids: too short", r);
      if (sizes[d] >= 2) ids[d] = std::string(reinterpret_cast<const char*>(p + 4), len);
      p += 4 + len;
    }
  }
  return ids;
}

Status write_removed(const Job& job, const DocIndex& ix, const UnionFind& uf,
                     const std::vector<bool>& exact, const Signatures& sigs,
                     const std::unordered_map<uint64_t, std::string>& ids) {
  for (int r = 0; r < job.opts.world; ++r) {
    LM_ASSIGN_OR_RETURN(BlobWriter w, BlobWriter::create(job.path(fmt::format("s3-removed-r{}", r)),
                                                         kRemovedMagic));
    for (uint64_t d = ix.rank_base[r]; d < ix.rank_base[r + 1]; ++d) {
      const uint64_t root = uf.root(d);
      if (root == d) continue;
      const uint32_t rule = exact[d] ? kRuleExact : kRuleMinhash;
      float value = 1.0f;
      if (rule == kRuleMinhash && sigs.k > 0) {
        value = static_cast<float>(sigs.similarity(ix, d, root));
      }
      const std::string& id = ids.at(root);
      const uint32_t len = static_cast<uint32_t>(id.size());
      LM_RETURN_IF_ERROR(w.write(&d, 8));
      LM_RETURN_IF_ERROR(w.write(&rule, 4));
      LM_RETURN_IF_ERROR(w.write(&value, 4));
      LM_RETURN_IF_ERROR(w.write(&len, 4));
      LM_RETURN_IF_ERROR(w.write(id.data(), len));
    }
    LM_RETURN_IF_ERROR(w.commit());
  }
  return ok_status();
}

}  // namespace

Result<DedupStats> stage_clusters(const Job& job) {
  Timer timer;
  std::vector<std::string> names;
  for (int r = 0; r < job.opts.world; ++r) names.push_back(sig_marker(r));
  LM_ASSIGN_OR_RETURN(auto sig_markers, wait_markers(job, names));
  names.clear();
  for (int p = 0; p < job.opts.world; ++p) names.push_back(bucket_marker(p));
  LM_RETURN_IF_ERROR(wait_markers(job, names).status());
  const DocIndex ix = build_index(job, sig_markers);
  const uint64_t n = ix.file_base.back();
  if (n >= (1ULL << 32)) {
    return Status(Code::kUnimplemented, fmt::format("{} documents: at most 2^32 - 1 per dedup", n),
                  "split the corpus into parts of under 4 billion documents");
  }
  Signatures sigs;
  if (job.opts.near) {
    sigs.k = job.opts.minhash.num_hashes();
    for (int r = 0; r < job.opts.world; ++r) {
      LM_ASSIGN_OR_RETURN(MappedBlob b,
                          MappedBlob::open(job.path(fmt::format("s1-r{}.sig", r)), kSigMagic));
      if (b.size() != (ix.rank_base[r + 1] - ix.rank_base[r]) * sigs.k * 4) {
        return corrupt("{}: size does not match the document count",
                       job.path(fmt::format("s1-r{}.sig", r)));
      }
      LM_RETURN_IF_ERROR(sigs.add(job.path(fmt::format("s1-r{}.sig", r))));
    }
  }
  const auto& m = job.opts.minhash;
  const double verify =
      job.opts.verify_threshold < 0 ? lsh_threshold(m.bands, m.rows) : job.opts.verify_threshold;
  UnionFind uf(n);
  std::vector<bool> exact(n, false);
  uint64_t rejected = 0;
  LM_RETURN_IF_ERROR(join_edges(job, ix, sigs, verify, &uf, &exact, &rejected));
  log_info("dedup: {} LSH candidate edges below similarity {:.3f} rejected", rejected, verify);
  uf.flatten();
  std::vector<uint32_t> sizes(n, 0);
  for (uint64_t d = 0; d < n; ++d) ++sizes[uf.root(d)];
  DedupStats st;
  for (uint64_t d = 0; d < n; ++d) {
    if (sizes[d] >= 2) {
      ++st.clusters;
      ++st.cluster_sizes[sizes[d]];
    }
  }
  LM_ASSIGN_OR_RETURN(auto ids, root_ids(job, ix, sizes));
  LM_RETURN_IF_ERROR(write_removed(job, ix, uf, exact, sigs, ids));
  st.stage_seconds["clusters"] = timer.seconds();
  LM_RETURN_IF_ERROR(write_marker(job, cluster_marker(), {{"stats", st.to_json()}}));
  return st;
}

}  // namespace lm::dedup
