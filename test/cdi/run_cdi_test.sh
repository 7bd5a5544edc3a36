#!/usr/bin/env bash
# Usage: test/cdi/run_cdi_test.sh RENDER_SPECS_BINARY
# ctest "cdi": renders spec dirs with render_specs (synthetic pools and
# every simulated host profile), parses each with the reference CDI library
# (validate_dir.sh), and checks that the parser reports exactly the
# qualified names the pools should define.
set -euo pipefail
render=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/vgpu-cdi-test-XXXXXX")
trap 'rm -rf "$out"' EXIT

"$render" "$out"
failed=0
checked=0
for expected in "$out"/expected/*; do
  name=$(basename "$expected")
  dir="$out/specs/$name"
  mkdir -p "$dir"
  if ! "$here/validate_dir.sh" "$dir" >"$out/names.$name" 2>"$out/err.$name"; then
    echo "FAIL $name: the reference CDI parser rejected a spec:" >&2
    cat "$out/err.$name" >&2
    failed=$((failed + 1))
    continue
  fi
  if ! diff -u "$expected" <(sed 's/^.*: //' "$out/names.$name" | sort) \
      >"$out/diff.$name"; then
    echo "FAIL $name: qualified names differ (expected vs parsed):" >&2
    cat "$out/diff.$name" >&2
    failed=$((failed + 1))
    continue
  fi
  checked=$((checked + 1))
  echo "ok   $name: $(wc -l <"$expected") devices"
done
echo "$checked passed, $failed failed"
[[ $failed -eq 0 && $checked -gt 0 ]]
