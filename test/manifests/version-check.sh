#!/usr/bin/env bash
# version-check.sh VGPUCTL DAEMON: one version everywhere. The project
# version in CMakeLists.txt must equal the chart's version and appVersion,
# the image label's default (Dockerfile ARG VERSION), the newest released
# entry of CHANGELOG.md, `vgpuctl version`, `vgpu-device-plugin --version`,
# and the version label of vgpu_device_plugin_build_info that the daemon
# exports.
set -euo pipefail
vgpuctl=${1:?usage: version-check.sh VGPUCTL DAEMON}
daemon=${2:?usage: version-check.sh VGPUCTL DAEMON}
root=$(cd "$(dirname "$0")/../.." && pwd)
want=$(sed -n 's/^project(vgpu_device_plugin VERSION \([0-9.]*\) .*/\1/p' \
  "$root/CMakeLists.txt")
[[ -n $want ]] || { echo "no project VERSION in CMakeLists.txt" >&2; exit 1; }
fails=0
check() {
  if [[ $2 == "$want" ]]; then
    echo "PASS $1: $2"
  else
    echo "FAIL $1: '$2', want '$want' (CMakeLists.txt project VERSION)"
    fails=$((fails + 1))
  fi
}
chart="$root/charts/vgpu-device-plugin/Chart.yaml"
check "Chart.yaml version" "$(sed -n 's/^version: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$chart")"
check "Chart.yaml appVersion" "$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$chart")"
check "Dockerfile ARG VERSION" "$(sed -n 's/^ARG VERSION=\(.*\)$/\1/p' "$root/Dockerfile")"
check "CHANGELOG.md newest release" \
  "$(grep -m1 -o '^## \[[0-9][0-9.]*\]' "$root/CHANGELOG.md" | tr -d '#[] ')"
check "deploy/kustomization.yaml image tag" \
  "$(sed -n 's/^ *newTag: *\(.*\)$/\1/p' "$root/deploy/kustomization.yaml")"
check "vgpuctl version" "$("$vgpuctl" version | sed -n 's/^vgpuctl //p')"
check "vgpu-device-plugin --version" \
  "$("$daemon" --version | sed -n 's/^vgpu-device-plugin //p')"

# build_info from a running daemon on an empty simulated host.
work=$(mktemp -d)
pid=
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/host/sys" "$work/plugins" "$work/cdi"
got=
for attempt in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 30000))
  "$daemon" --host-root="$work/host" --device-plugin-dir="$work/plugins" \
    --cdi-dir="$work/cdi" --pod-resources-socket="$work/absent.sock" \
    --metrics-address="127.0.0.1:$port" >"$work/log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    if exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
      printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
      got=$(sed -n 's/^vgpu_device_plugin_build_info{version="\([^"]*\)"} 1$/\1/p' <&3)
      exec 3<&-
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    read -r -t 0.1 <> <(:) || true
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
  [[ -n $got ]] && break
done
check "vgpu_device_plugin_build_info version label" "$got"
((fails == 0))
