#!/usr/bin/env bash
# Every C source follows the committed .clang-format (tables of data opt out
# with clang-format off/on). Lists the files that do not.
set -uo pipefail
cd "${PARITY_SOURCE_ROOT:?}"
command -v clang-format >/dev/null || { echo "SKIP: no clang-format"; exit 77; }
bad=0
while IFS= read -r f; do
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f"
		bad=$((bad + 1))
	fi
done < <(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
echo "$bad file(s) not formatted"
((bad == 0))
