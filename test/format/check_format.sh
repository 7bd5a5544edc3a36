#!/usr/bin/env bash
# Fails when a C++ file of the repository differs from what clang-format
# makes of it with the repository's .clang-format (Debian 12's clang-format
# 14, installed by scripts/install-deps.sh). Lists every such file and the
# command that fixes them all.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
fmt=${CLANG_FORMAT:-clang-format}
if ! command -v "$fmt" >/dev/null; then
  echo "check_format: $fmt not found (apt-get install clang-format)" >&2
  exit 1
fi
mapfile -t files < <(find bench cmd fuzz pkg proto test \
  \( -name '*.cc' -o -name '*.h' \) -type f | sort)
bad=()
# One clang-format process for the common case; per file only to name the
# culprits.
if ! "$fmt" --dry-run --Werror "${files[@]}" >/dev/null 2>&1; then
  for f in "${files[@]}"; do
    "$fmt" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
fi
if ((${#bad[@]})); then
  printf 'not formatted: %s\n' "${bad[@]}" >&2
  echo "fix: clang-format -i ${bad[*]}" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files formatted"
