// comm.cc: the single-process and MPI Comm backends. MPI is initialised lazily, only when a
// multi-process launch is detected (or asked for), and finalised at exit.
#include "train/comm.h"

#include <cstdlib>

#include "core/threads.h"

#ifdef LMFORGE_HAVE_MPI
#include <mpi.h>
#endif

namespace lm::train {
namespace {

class SingleComm final : public Comm {
 public:
  int rank() const override { return 0; }
  int world() const override { return 1; }
  const char* backend() const override { return "single"; }
  void allreduce_sum(float*, size_t) override {}
  void allreduce_sum(double*, size_t) override {}
  void broadcast(float*, size_t, int) override {}
  void barrier() override {}
};

#ifdef LMFORGE_HAVE_MPI
class MpiComm final : public Comm {
 public:
  MpiComm() {
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited) {
      MPI_Init(nullptr, nullptr);
      std::atexit([] {
        int fin = 0;
        MPI_Finalized(&fin);
        if (!fin) MPI_Finalize();
      });
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &world_);
  }
  int rank() const override { return rank_; }
  int world() const override { return world_; }
  const char* backend() const override { return "mpi"; }
  void allreduce_sum(float* d, size_t n) override { reduce(d, n, MPI_FLOAT); }
  void allreduce_sum(double* d, size_t n) override { reduce(d, n, MPI_DOUBLE); }
  void broadcast(float* d, size_t n, int root) override {
    for (size_t off = 0; off < n; off += kMaxCount)
      MPI_Bcast(d + off, (int)std::min(kMaxCount, n - off), MPI_FLOAT, root, MPI_COMM_WORLD);
  }
  void barrier() override { MPI_Barrier(MPI_COMM_WORLD); }

 private:
  static constexpr size_t kMaxCount = size_t{1} << 30;
  template <typename T>
  void reduce(T* d, size_t n, MPI_Datatype type) {
    for (size_t off = 0; off < n; off += kMaxCount)
      MPI_Allreduce(MPI_IN_PLACE, d + off, (int)std::min(kMaxCount, n - off), type, MPI_SUM,
                    MPI_COMM_WORLD);
  }
  int rank_ = 0, world_ = 1;
};
#endif

}  // namespace

bool mpi_available() {
#ifdef LMFORGE_HAVE_MPI
  return true;
#else
  return false;
#endif
}

Result<std::unique_ptr<Comm>> make_comm(const std::string& kind) {
  bool want_mpi = kind == "mpi";
  if (kind == "auto")
    want_mpi = resolve_rank_world(0, 0).world > 1;
  else if (kind != "single" && kind != "mpi")
    return invalid_argument("comm backend '{}' is not auto, single or mpi", kind);
  if (!want_mpi) return std::unique_ptr<Comm>(new SingleComm());
#ifdef LMFORGE_HAVE_MPI
  return std::unique_ptr<Comm>(new MpiComm());
#else
  return Status(Code::kFailedPrecondition,
                "launched with several processes, but this lmforge "
                "was built without MPI",
                "install libopenmpi-dev and rebuild");
#endif
}

}  // namespace lm::train
