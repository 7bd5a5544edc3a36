#!/usr/bin/env bash
# Usage: test/golden/golden_test.sh RENDER_SPECS VGPUCTL GOLDEN_DIR
# ctest "golden": every JSON document users see stays byte-for-byte the
# same. For the synthetic pools and each simulated host profile below
# ("large" only repeats the others, 1 MB of goldens) it renders
# the CDI specs as the daemon writes them (render_specs -> CdiWriter), runs
# `vgpuctl discover --json` and `vgpuctl coldplug-plan --json` (every CDI
# device of the profile; once per Kata runtime, --runtime go and rs), and compares each file with GOLDEN_DIR. Temp
# paths are replaced by @OUT@. A YAML spec (yaml/) is planned too. VGPU_UPDATE_GOLDEN=1 rewrites the goldens.
set -euo pipefail
render=$1
vgpuctl=$2
golden=$3
out=$(mktemp -d "${TMPDIR:-/tmp}/vgpu-golden-XXXXXX")
trap 'rm -rf "$out"' EXIT
got="$out/got"
mkdir -p "$got"

"$render" "$out/r" workstation t4-vgpu a100-sriov h100-hgx ada-vf-vgpu \
  intel-gvt amd-sriov broken >/dev/null
for expected in "$out"/r/expected/*; do
  name=$(basename "$expected")
  mkdir -p "$got/cdi/$name"
  if [[ -d "$out/r/specs/$name" ]]; then
    cp "$out/r/specs/$name"/* "$got/cdi/$name/" 2>/dev/null || true
  fi
  host="$out/r/hosts/$name"
  [[ -d "$host" ]] || continue
  rc=0
  "$vgpuctl" discover --json --host-root "$host" --pci-ids /nonexistent \
    >"$got/discover.$name.json" 2>/dev/null || rc=$?
  sed -i "s|$out|@OUT@|g" "$got/discover.$name.json"
  echo "rc=$rc" >>"$got/discover.$name.json"
  devices=()
  while read -r dev; do devices+=(--device "$dev"); done <"$expected"
  [[ ${#devices[@]} -gt 0 ]] || continue
  rc=0
  "$vgpuctl" coldplug-plan --json --cdi-dir "$out/r/specs/$name" \
    --host-root "$host" "${devices[@]}" >"$got/coldplug-plan.$name.json" \
    2>/dev/null || rc=$?
  sed -i "s|$out|@OUT@|g" "$got/coldplug-plan.$name.json"
  echo "rc=$rc" >>"$got/coldplug-plan.$name.json"
  # The same devices as Kata 4.1.0's runtime-rs would plug them.
  rc=0
  "$vgpuctl" coldplug-plan --json --runtime rs --cdi-dir "$out/r/specs/$name" \
    --host-root "$host" "${devices[@]}" >"$got/coldplug-plan-rs.$name.json" \
    2>/dev/null || rc=$?
  sed -i "s|$out|@OUT@|g" "$got/coldplug-plan-rs.$name.json"
  echo "rc=$rc" >>"$got/coldplug-plan-rs.$name.json"
done

# A YAML spec another vendor wrote (yaml/), on the workstation host.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rc=0
"$vgpuctl" coldplug-plan --json --cdi-dir "$here/yaml" \
  --host-root "$out/r/hosts/workstation" --device example.com/gpu=0 \
  --device example.com/gpu=all >"$got/coldplug-plan.yaml.json" \
  2>/dev/null || rc=$?
echo "rc=$rc" >>"$got/coldplug-plan.yaml.json"

if [[ "${VGPU_UPDATE_GOLDEN:-}" == 1 ]]; then
  rm -rf "$golden/cdi" "$golden"/discover.* "$golden"/coldplug-plan.* \
    "$golden"/coldplug-plan-rs.*
  mkdir -p "$golden"
  cp -r "$got"/. "$golden/"
  echo "goldens rewritten in $golden"
  exit 0
fi
if diff -r -u "$golden" "$got" --exclude=logs >"$out/diff"; then
  echo "$(find "$got" -type f | wc -l) golden files match"
  exit 0
fi
echo "FAIL: output differs from the golden files (- golden, + now):" >&2
head -200 "$out/diff" >&2
exit 1
