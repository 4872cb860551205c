#!/usr/bin/env bash
# compression.sh [LMFORGE] [WORKDIR] [VOCAB...]: bytes per token of lmforge's BPE against
# SentencePiece BPE (spm_train --model_type=bpe) of the same vocabulary size, both trained on all
# non-empty lines of the sample corpus (~58 MB) and encoding all of them, lossless on both sides
# (spm: identity normalization, spaces kept, whitespace-only pieces allowed, byte fallback).
# Prints tokens, bytes/token and the difference overall and by kind of line (GCIDE's
# "[1913 Webster]" lines, other lines with a digit, lines without a digit), with train times.
# spm_train at 32,000 takes about 5.5 minutes here. Default vocabularies: 8000 32000.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
LM="${1:-$here/../../build/release/lmforge}"
WORK="${2:-$here/../../build/bench_tokenizer_compression}"
shift $(($# < 2 ? $# : 2))
VOCABS=("$@")
[ ${#VOCABS[@]} -gt 0 ] || VOCABS=(8000 32000)
command -v spm_train >/dev/null || { echo "spm_train not found (apt-get install sentencepiece)" >&2; exit 1; }
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
LM="$(cd "$(dirname "$LM")" && pwd)/$(basename "$LM")"
cd "$WORK"

[ -f sample/manifest.json ] || "$LM" --quiet corpus sample --out sample >/dev/null
if [ ! -f lines.jsonl ]; then  # the same lines as plain text (spm) and one JSONL record each
  zstd -dcq sample/*.jsonl.zst | /usr/bin/python3 -c '
import sys, json
with open("lines.txt.tmp", "w", encoding="utf-8", newline="\n") as t, \
     open("lines.jsonl.tmp", "w", encoding="utf-8") as j:
    for rec in sys.stdin:
        for l in json.loads(rec)["text"].split("\n"):
            if l:
                t.write(l + "\n"); j.write(json.dumps({"text": l}) + "\n")'
  mv lines.txt.tmp lines.txt && mv lines.jsonl.tmp lines.jsonl
fi
echo "input: $(wc -l < lines.txt) lines, $(($(wc -c < lines.txt) - $(wc -l < lines.txt))) bytes; $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"

for v in "${VOCABS[@]}"; do
  /usr/bin/time -f "%e %M" -o "spm$v.time" spm_train --input=lines.txt --model_prefix="spm$v" \
    --vocab_size="$v" --model_type=bpe --num_threads=1 --max_sentence_length=100000 \
    --byte_fallback=true --normalization_rule_name=identity --remove_extra_whitespaces=false \
    --allow_whitespace_only_pieces=true > "spm$v.log" 2>&1
  spm_encode --model="spm$v.model" --output_format=id < lines.txt > "spm$v.ids"
  /usr/bin/time -f "%e %M" -o "lm$v.time" "$LM" --no-progress tokenizer train --in lines.jsonl \
    --out "lm$v.json" --vocab-size "$v" --threads 1 > "lm$v.log" 2>&1
  "$LM" --no-progress tokenizer encode --tokenizer "lm$v.json" --in lines.jsonl \
    --out "lm$v.ids" --format text 2>/dev/null
  /usr/bin/python3 "$here/compression_table.py" "$v"
done
