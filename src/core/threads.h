// threads.h: the thread count a command uses (--threads N; 0 = OMP_NUM_THREADS or all cores) and
// the rank/world of a multi-process job, read from the arguments or from MPI / Slurm / torchrun
// variables.
#pragma once

namespace lm {

// n > 0: n; otherwise OMP_NUM_THREADS when it is a positive integer, else the number of online
// cores (at least 1).
int resolve_threads(int n);

struct RankWorld {
  int rank = 0;
  int world = 1;
};
// rank/world from explicit values when world > 0, else from OMPI_COMM_WORLD_RANK/SIZE,
// PMI_RANK/PMI_SIZE, SLURM_PROCID/SLURM_NTASKS, RANK/WORLD_SIZE, else 0/1.
RankWorld resolve_rank_world(int rank, int world);

}  // namespace lm
