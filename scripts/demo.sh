#!/usr/bin/env bash
# The demo, from a fresh Debian 12 machine (as root): installs packages,
# builds, writes a simulated host into a temp dir, then shows
#   0. on t4-empty (a vGPU host with no instances yet), a vGPU layout:
#      the host is served with kernel semantics (vgpu-simhost --serve),
#      `vgpuctl plan` shows what `vgpuctl apply` then creates,
#   1. what `vgpuctl discover` finds on it,
#   2. the daemon serving the kubelet emulator (resources, counts, health,
#      NUMA), and one pod's Allocate response,
#   3. the CDI spec the daemon wrote, and
#   4. the cold-plug plan Kata would derive for that pod.
# Usage: scripts/demo.sh [PROFILE] (default workstation; see --list).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh
bash scripts/build.sh build-demo -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVGPU_BUILD_TESTS=OFF -DVGPU_BUILD_BENCHMARKS=OFF
bin=build-demo/cmd
profile=${1:-workstation}
case "$profile" in
  t4-vgpu|t4-empty|intel-gvt|a100-sriov) resource=nvidia.com/vgpu ;;
  ada-vf-vgpu) resource=nvidia.com/vgpu ;;
  amd-sriov) resource=amd.com/pgpu ;;
  *) resource=nvidia.com/pgpu ;;
esac
[[ "$profile" == intel-gvt ]] && resource=intel.com/vgpu

work=$(mktemp -d /tmp/vgpu-demo-XXXXXX)
daemon_pid=""
emulator_pid=""
serve_pid=""
cleanup() {
  [[ -n "$emulator_pid" ]] && kill -TERM "$emulator_pid" 2>/dev/null || true
  if [[ -n "$daemon_pid" ]]; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  if [[ -n "$serve_pid" ]]; then
    kill -TERM "$serve_pid" 2>/dev/null || true  # unmounts, exits 0
    wait "$serve_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/plugins" "$work/cdi"

section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

section "Simulated host '$profile' in $work/root"
if [[ "$profile" == t4-empty ]]; then
  # Served over FUSE: writes to create/remove act as the kernel's.
  "$bin/vgpu-simhost/vgpu-simhost" --profile "$profile" --out "$work/root" \
    --serve > "$work/serve.out" &
  serve_pid=$!
  for _ in $(seq 1 100); do
    grep -q '^serving ' "$work/serve.out" && break
    sleep 0.1
  done
  cat "$work/serve.out"
  # A layout in NVIDIA vgpu-device-manager's format (docs/vgpu-layouts.md).
  cat > "$work/vgpu-layouts.yaml" <<'YAML'
version: v1
vgpu-configs:
  t4-4q:
    - devices: all
      vgpu-devices:
        "T4-4Q": 4
YAML
  layout_flags=(--host-root "$work/root" --state-dir "$work/state"
    --vgpu-config-file "$work/vgpu-layouts.yaml" --layout t4-4q
    --pod-resources-socket "$work/no-kubelet-yet.sock")
  section "vgpuctl plan (changes nothing)"
  "$bin/vgpuctl/vgpuctl" plan "${layout_flags[@]}" 2>/dev/null || true
  section "vgpuctl apply"
  "$bin/vgpuctl/vgpuctl" apply "${layout_flags[@]}" 2>/dev/null
else
  "$bin/vgpu-simhost/vgpu-simhost" --profile "$profile" --out "$work/root"
fi

section "vgpuctl discover --host-root $work/root"
"$bin/vgpuctl/vgpuctl" discover --host-root "$work/root"

section "vgpu-device-plugin serving the kubelet emulator"
"$bin/vgpu-device-plugin/vgpu-device-plugin" --host-root "$work/root" \
  --device-plugin-dir "$work/plugins" --cdi-dir "$work/cdi" \
  --pod-resources-socket "$work/pod-resources.sock" \
  --metrics-address 127.0.0.1:0 --log-level warning &
daemon_pid=$!
# The emulator keeps serving PodResources so the cold-plug plan below can
# ask it, as Kata does, which devices the pod got.
"$bin/kubelet-emulator/kubelet-emulator" --device-plugin-dir "$work/plugins" \
  --pod-resources-socket "$work/pod-resources.sock" \
  --allocate "default/demo-vm:${resource}=1" --duration 120s \
  > "$work/emulator.out" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 300); do
  grep -q '^podresources Get' "$work/emulator.out" && break
  kill -0 "$emulator_pid" 2>/dev/null || break
  sleep 0.1
done
cat "$work/emulator.out"

section "CDI spec(s) written by the daemon in $work/cdi"
for f in "$work"/cdi/*.json; do
  [[ -e "$f" ]] || continue
  echo "--- $(basename "$f")"
  python3 -m json.tool "$f" 2>/dev/null | head -n 24 || head -c 2000 "$f"
done

section "Cold-plug plan Kata would derive (vgpuctl coldplug-plan)"
"$bin/vgpuctl/vgpuctl" coldplug-plan --pod default/demo-vm \
  --pod-resources-socket "$work/pod-resources.sock" \
  --host-root "$work/root" --cdi-dir "$work/cdi"
kill -TERM "$emulator_pid" 2>/dev/null || true
wait "$emulator_pid" 2>/dev/null || true
