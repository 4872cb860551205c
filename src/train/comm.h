// comm.h: Comm, how data-parallel training processes talk: sum-all-reduce of the flat gradient
// buffer and of scalars, broadcast, barrier. Backends: single (one process, every call a no-op)
// and MPI (OpenMPI; chosen automatically when the process was started by mpirun).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "core/status.h"

namespace lm::train {

class Comm {
 public:
  virtual ~Comm() = default;
  virtual int rank() const = 0;
  virtual int world() const = 0;
  virtual const char* backend() const = 0;
  virtual void allreduce_sum(float* data, size_t n) = 0;
  virtual void allreduce_sum(double* data, size_t n) = 0;
  virtual void broadcast(float* data, size_t n, int root) = 0;
  virtual void barrier() = 0;
};

// "auto" (MPI when launched by mpirun/srun with world > 1, else single), "single" or "mpi".
Result<std::unique_ptr<Comm>> make_comm(const std::string& kind = "auto");
bool mpi_available();  // built with MPI

}  // namespace lm::train
