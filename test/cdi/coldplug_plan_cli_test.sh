#!/usr/bin/env bash
# Usage: test/cdi/coldplug_plan_cli_test.sh RENDER_SPECS VGPUCTL
# ctest: `vgpuctl coldplug-plan --device ...` on simulated hosts whose CDI
# specs render_specs wrote as the daemon would: output, JSON and exit codes.
set -euo pipefail
render=$1
vgpuctl=$2
out=$(mktemp -d "${TMPDIR:-/tmp}/vgpu-plan-cli-XXXXXX")
trap 'rm -rf "$out"' EXIT
"$render" "$out" workstation h100-hgx t4-vgpu
failures=0
passes=0
check() {  # NAME EXPECTED_RC PATTERN CMD...
  local name=$1 want_rc=$2 pattern=$3
  shift 3
  local rc=0
  "$@" >"$out/stdout" 2>"$out/stderr" || rc=$?
  if [[ $rc -ne $want_rc ]] || ! grep -qF -- "$pattern" "$out/stdout" "$out/stderr"; then
    echo "FAIL $name: rc=$rc (want $want_rc), wanted \"$pattern\" in:" >&2
    cat "$out/stdout" "$out/stderr" >&2
    failures=$((failures + 1))
  else
    passes=$((passes + 1))
  fi
}
plan() {  # PROFILE ARGS...
  local profile=$1
  shift
  "$vgpuctl" coldplug-plan --cdi-dir "$out/specs/$profile" \
    --host-root "$out/hosts/$profile" "$@"
}
check workstation-two-gpus 0 "2 CDI devices, 4 functions, 8 root ports" \
  plan workstation --device nvidia.com/pgpu=0000:42:00.0 \
  --device nvidia.com/pgpu=0000:61:00.0
check workstation-audio-arg 0 \
  "-device vfio-pci,host=0000:42:00.1,x-pci-vendor-id=0x10de,x-pci-device-id=0x1aef,bus=rp1" \
  plan workstation --device nvidia.com/pgpu=0000:42:00.0
check h100-json-iommufd 0 '"iommufd,id=iommufd0"' \
  plan h100-hgx --json --device nvidia.com/pgpu=0000:1b:00.0
check h100-cdev-handle 0 '"handle": "/dev/vfio/devices/vfio0"' \
  plan h100-hgx --json --device nvidia.com/pgpu=0000:1b:00.0
check t4-mdev-warning 0 "cannot be cold-plugged by Kata" \
  plan t4-vgpu --device nvidia.com/vgpu=86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01
check unresolvable 1 "unresolvable CDI devices nvidia.com/pgpu=nope" \
  plan workstation --device nvidia.com/pgpu=nope
check root-port-cap 1 "Kata allows at most 16" \
  plan workstation --pcie-root-port 17 --device nvidia.com/pgpu=0000:42:00.0
check no-kubelet 1 "podresources Get ns/pod via $out/none.sock" \
  plan workstation --pod ns/pod --pod-resources-socket "$out/none.sock"
check bad-pod 2 '--pod "pod": want NAMESPACE/NAME' plan workstation --pod pod
check pod-and-device 2 "give either --pod" \
  plan workstation --pod ns/p --device nvidia.com/pgpu=0000:42:00.0
check unknown-flag 2 'unknown flag --frob' plan workstation --frob
check malformed-device 2 '--device "nvidia.com/pgpu": want RESOURCE=ID' \
  plan workstation --device nvidia.com/pgpu
check device-without-domain 2 '--device "pgpu=0000:42:00.0": want RESOURCE=ID' \
  plan workstation --device pgpu=0000:42:00.0
check strict-viable 0 "1 CDI device" \
  plan workstation --strict --device nvidia.com/pgpu=0000:42:00.0
check strict-not-viable 3 "the plan predicts a failure (--strict)" \
  plan workstation --strict --device nvidia.com/pgpu=0000:61:00.0
check not-strict-not-viable 0 "not to a VFIO driver" \
  plan workstation --device nvidia.com/pgpu=0000:61:00.0
check strict-mdev 3 "the plan predicts a failure (--strict)" \
  plan t4-vgpu --strict --device nvidia.com/vgpu=86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01
echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
