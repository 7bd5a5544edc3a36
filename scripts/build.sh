#!/usr/bin/env bash
# build.sh <build-dir> [cmake args...]: configure (once) and build.
# VGPU_TARGETS="a b" builds only those targets (default: all).
# Warnings are errors here (-DVGPU_WERROR=ON): every script, CI and the
# Dockerfile build through this file.
set -euo pipefail
dir=${1:?usage: build.sh <build-dir> [cmake args]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${VGPU_JOBS:-$(nproc)}
# ccache keys on paths relative to the checkout, so every clone on one
# machine (CI's fresh clones, worktrees) shares the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
cmake -S "$root" -B "$dir" -G Ninja -DVGPU_WERROR=ON "$@" >/dev/null
targets=()
for t in ${VGPU_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$dir" -j "$jobs" "${targets[@]}"
