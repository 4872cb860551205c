// threads.cc: thread count and rank/world resolution.
#include "core/threads.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace lm {

int resolve_threads(int n) {
  if (n > 0) return n;
  // OMP_NUM_THREADS, as OpenMP programs read it: so that `OMP_NUM_THREADS=1 make run` (a shared
  // machine) runs every command at one thread without a --threads flag on each.
  if (const char* v = std::getenv("OMP_NUM_THREADS"); v && *v) {
    char* end = nullptr;
    long x = std::strtol(v, &end, 10);
    if (*end == '\0' && x > 0) return static_cast<int>(x);
  }
  long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  return cores > 0 ? static_cast<int>(cores) : 1;
}

namespace {
bool env_int(const char* name, int* out) {
  const char* v = std::getenv(name);
  if (!v || !*v) return false;
  char* end = nullptr;
  long x = std::strtol(v, &end, 10);
  if (*end != '\0') return false;
  *out = static_cast<int>(x);
  return true;
}
}  // namespace

RankWorld resolve_rank_world(int rank, int world) {
  if (world > 0) return {rank, world};
  const char* pairs[][2] = {{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
                            {"PMI_RANK", "PMI_SIZE"},
                            {"SLURM_PROCID", "SLURM_NTASKS"},
                            {"RANK", "WORLD_SIZE"}};
  for (auto& p : pairs) {
    RankWorld rw;
    if (env_int(p[0], &rw.rank) && env_int(p[1], &rw.world) && rw.world > 0) return rw;
  }
  return {};
}

}  // namespace lm
