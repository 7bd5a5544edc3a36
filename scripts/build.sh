#!/usr/bin/env bash
# build.sh <build-dir> [cmake args...]: configure (once) and build.
set -euo pipefail
dir=${1:?usage: build.sh <build-dir> [cmake args]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${VGPU_JOBS:-$(nproc)}
cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null
cmake --build "$dir" -j "$jobs"
