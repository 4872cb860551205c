#!/bin/sh
# format_check.sh SOURCE_DIR: clang-format --dry-run --Werror over src tools tests bench (*.cc,
# *.h), the CTest `clang_format` test (label `format`). Without clang-format: exit 77 (a skip
# that ctest shows) outside CI, 1 under CI=true (tests/test_util.h's rule).
cd "$1" || exit 1
cf=$(command -v clang-format-14 || command -v clang-format)
if [ -z "$cf" ]; then
  case "${CI:-}" in
    ""|0|false) echo "SKIP: clang-format is not installed (Debian clang-format)"; exit 77 ;;
    *) echo "FAIL (CI=true): clang-format is not installed (Debian clang-format)"; exit 1 ;;
  esac
fi
files=$(find src tools tests bench \( -name '*.cc' -o -name '*.h' \) -not -path '*/node_modules/*' | sort)
bad=0
for f in $files; do
  if ! "$cf" --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not clang-formatted: $f"
    bad=$((bad + 1))
  fi
done
if [ "$bad" -gt 0 ]; then
  echo "$bad file(s) differ from .clang-format: run 'make format' (clang-format -i) on them"
  exit 1
fi
echo "all $(echo "$files" | wc -l) files are clang-formatted"
