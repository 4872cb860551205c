#!/bin/sh
# readme_make_run_test.sh SOURCE_DIR: the README's "What `make run` does" table against
# scripts/run-sample-pipeline, so that they cannot drift:
#   1. the table's stages (first column) are the script's `stage "Name"` lines, in order, then
#      Summary (the script's last step, `lmforge summary`);
#   2. every out/PATH the table names is in the script as $OUT/PATH, or, for the files an lmforge
#      command writes into its output folder (stats.json, metrics.jsonl, ...), as $OUT/DIR.
set -eu
src=$1
readme=$src/README.md script=$src/scripts/run-sample-pipeline
section=$(awk '/^## What `make run` does/ { on = 1; next } /^## / { on = 0 } on' "$readme")
[ -n "$section" ] || { echo "README.md: no section '## What \`make run\` does'"; exit 1; }
want=$(printf '%s\n' "$section" | awk -F'|' '/^\| [A-Z]/ && $2 !~ /Stage/ { gsub(/ /, "", $2); print $2 }')
got=$(sed -n 's/^stage "\([A-Za-z]*\)".*/\1/p' "$script")
grep -q '"$LMFORGE" summary "$OUT"' "$script" && got=$(printf '%s\nSummary' "$got")
if [ "$want" != "$got" ]; then
  echo "README.md's make run stages differ from scripts/run-sample-pipeline's:"
  echo "README: $(echo $want)"
  echo "script: $(echo $got)"
  exit 1
fi
fail=0
for p in $(printf '%s\n' "$section" | grep -o 'out/[A-Za-z0-9_./-]*' | sed 's/[.]$//' | sort -u); do
  rest=${p#out/}
  case $rest in ''|.*) continue ;; esac
  dir=${rest%/*}
  case ${rest##*/} in
    stats.json|results.json|metrics.jsonl|report.html|sweep.json|corpus.meta.json|kept) ;;
    *) dir=$rest ;;
  esac
  if ! grep -qF "\$OUT/$rest" "$script" && ! grep -qF "\$OUT/$dir" "$script"; then
    echo "README.md names $p, which scripts/run-sample-pipeline does not write (\$OUT/$rest)"
    fail=1
  fi
done
[ $fail = 0 ] && echo "README make run table: $(echo $got | wc -w) stages and its paths match the script"
exit $fail
