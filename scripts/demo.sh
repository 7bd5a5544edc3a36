#!/usr/bin/env bash
# The demo, from a fresh Debian 12 machine: installs packages, builds, writes
# a simulated host into a temp dir and shows what the daemon sees.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh
bash scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVGPU_BUILD_TESTS=OFF -DVGPU_BUILD_BENCHMARKS=OFF
profile=${1:-workstation}
host=$(mktemp -d /tmp/vgpu-demo-XXXXXX)
trap 'rm -rf "$host"' EXIT
echo "== Simulated host '$profile' in $host"
./build/cmd/vgpu-simhost/vgpu-simhost --profile "$profile" --out "$host/root"
echo
echo "== vgpuctl discover --host-root $host/root"
./build/cmd/vgpuctl/vgpuctl discover --host-root "$host/root"
