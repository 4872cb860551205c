#!/usr/bin/env bash
# fit_vs_scipy.sh: Chinchilla Approach 3 on Epoch's 240 points (4500 L-BFGS starts, Huber 1e-3):
# lmforge's C++ fitter vs the reference scipy implementation (L-BFGS-B, analytic gradient, from
# ../shared/reference/scaling/fit_chinchilla_approach3.py), same data, same grid, one run each.
# Prints wall times, objectives and the speed ratio. Usage: bench/scaling/fit_vs_scipy.sh [LMFORGE]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LMFORGE=${1:-$ROOT/build/release/lmforge}
SHARED=${LMFORGE_SHARED_DIR:-$ROOT/../shared}
CSV=$SHARED/reference/chinchilla/svg_extracted_data.csv
REF=$SHARED/reference/scaling
[ -f "$CSV" ] || { echo "no $CSV (the shared reference data); nothing to compare" >&2; exit 0; }
t0=$(date +%s.%N)
ours=$(/usr/bin/time -f "%U" -o /tmp/fit_vs_scipy.$$ "$LMFORGE" scaling fit --runs "$CSV" --col-params "Model Size" --col-flops "Training FLOP" \
  --col-tokens none --drop-top 5 --bootstrap 0 --json)
t1=$(date +%s.%N)
peer=$(/usr/bin/python3 - "$CSV" "$REF" <<'PY'
import sys, time
sys.path.insert(0, sys.argv[2])
import numpy as np
import fit_chinchilla_approach3 as f
N, D, C, L = f.load(sys.argv[1])
idx = f.exclude_top_losses(L, 5)
t, c = time.time(), time.process_time()
(best, p, _), _ = f.grid_fit(np.log(N[idx]), np.log(D[idx]), np.log(L[idx]), use_grad=True)
print(f"{best:.10g} {time.time() - t:.3f} {time.process_time() - c:.3f}")
PY
)
ours_s=$(echo "$t1 - $t0" | bc -l)
ours_obj=$(echo "$ours" | /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print("%.10g %.3f" % (j["objective"], j["seconds"]))')
read -r peer_obj peer_s peer_cpu <<<"$peer"
read -r ours_o ours_fit_s <<<"$ours_obj"
ours_cpu=$(cat /tmp/fit_vs_scipy.$$); rm -f /tmp/fit_vs_scipy.$$
echo "lmforge scaling fit: objective $ours_o, fit ${ours_fit_s} s wall (process ${ours_s} s), ${ours_cpu} s CPU, threads: all ($(nproc))"
echo "scipy L-BFGS-B grid: objective $peer_obj, ${peer_s} s wall, ${peer_cpu} s CPU (one core)"
echo "speed ratio (scipy / lmforge): wall $(echo "$peer_s / $ours_fit_s" | bc -l | cut -c1-6)x, CPU $(echo "$peer_cpu / $ours_cpu" | bc -l | cut -c1-6)x"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) (timings on a shared machine are noisy)"
