#!/usr/bin/env bash
# run.sh [LMFORGE] [WORKDIR] [--with-spm]: BPE training on the whole sample corpus (~60 MB),
# lmforge vs HF tokenizers' trainer (npm `tokenizers` 0.23.2 native binding, installed here
# into WORKDIR/node_modules on first use; it trains only at its default vocabulary of 30,000)
# and optionally `spm_train --model_type=bpe` (slow: minutes). Runs the tools one after the
# other in this one run and prints wall time, CPU time, peak RSS and the ratios.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
LM="${1:-$here/../../build/release/lmforge}"
WORK="${2:-$here/../../build/bench_tokenizer_train}"
WITH_SPM="${3:-}"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
LM="$(cd "$(dirname "$LM")" && pwd)/$(basename "$LM")"
cd "$WORK"

[ -f sample/manifest.json ] || "$LM" --no-progress corpus sample --out sample >/dev/null
if [ ! -f sample.txt ]; then  # the same text as one plain file, for the peers
  zstd -dcq sample/*.jsonl.zst | /usr/bin/python3 -c '
import sys, json
out = sys.stdout.buffer
for line in sys.stdin.buffer:
    out.write(json.loads(line)["text"].encode("utf-8", "surrogateescape") + b"\n")' > sample.txt.tmp
  mv sample.txt.tmp sample.txt
fi
if [ ! -d node_modules/tokenizers ]; then
  npm install --prefix "$WORK" --no-audit --no-fund --silent tokenizers@0.23.2 >/dev/null
fi

# measure NAME CMD...: prints "NAME wall_s cpu_s peak_MB" (GNU time).
measure() {
  local name="$1"; shift
  /usr/bin/time -f "%e %U %S %M" -o "$name.time" "$@" > "$name.log" 2>&1
  read -r wall user sys rss < "$name.time"
  cpu=$(echo "$user + $sys" | bc)
  printf '%-34s %8.1f s wall %8.1f s cpu %8.0f MB peak\n' "$name" "$wall" "$cpu" "$((rss / 1024))"
  echo "$name $wall $cpu $((rss / 1024))" >> results.txt
}
rm -f results.txt
echo "input: $(du -b sample.txt | cut -f1) bytes of text; $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
measure lmforge_bpe_32000_gpt4 "$LM" --no-progress tokenizer train --in sample --out lm32k.json --vocab-size 32000 --threads 0
measure lmforge_bpe_30000_gpt2 "$LM" --no-progress tokenizer train --in sample --out lm30k.json --vocab-size 30000 --pattern gpt2 --threads 0
measure hf_tokenizers_bpe_30000 env HF_NODE_MODULES="$WORK/node_modules" node "$here/hf_train.cjs" sample.txt hf30k.json
if [ "$WITH_SPM" = "--with-spm" ]; then
  measure spm_train_bpe_32000 spm_train --input=sample.txt --model_prefix=spm32k --vocab_size=32000 \
    --model_type=bpe --byte_fallback=true --character_coverage=0.9995 --num_threads=2
fi
awk '
  { wall[$1]=$2; cpu[$1]=$3; rss[$1]=$4 }
  END {
    a="lmforge_bpe_30000_gpt2"; b="hf_tokenizers_bpe_30000"; c="lmforge_bpe_32000_gpt4"
    printf "speedup vs HF (same vocab 30000, GPT-2 split): %.2fx wall, %.2fx cpu; peak RSS %.2fx of HF\n", wall[b]/wall[a], cpu[b]/cpu[a], rss[a]/rss[b]
    printf "speedup vs HF (lmforge at 32000, GPT-4 split): %.2fx wall; peak RSS %.2fx of HF\n", wall[b]/wall[c], rss[c]/rss[b]
    if ("spm_train_bpe_32000" in wall) printf "speedup vs spm_train bpe 32000: %.2fx wall\n", wall["spm_train_bpe_32000"]/wall[c]
  }' results.txt
