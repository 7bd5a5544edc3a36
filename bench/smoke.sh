#!/usr/bin/env bash
# The benchmarks' CI smoke run (scripts/test.sh): every benchmark program once
# at its smallest settings, so that one that no longer builds, starts, or
# finishes fails CI. Nothing here compares a time with a goal: benchmarks
# print figures, and the full runs, on a quiet machine, are the commands in
# docs/benchmarks.md.
# usage: bench/smoke.sh BUILD_DIR   (a build with -DVGPU_BUILD_BENCHMARKS=ON)
set -euo pipefail
build=${1:?usage: bench/smoke.sh BUILD_DIR}
bench=$build/bench
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() {
  echo "-- ${*#"$bench/"}"
  if ! "$@" >"$log" 2>&1; then
    cat "$log"
    echo "bench smoke: $(basename "$1") failed" >&2
    exit 1
  fi
  tail -n 2 "$log"
}

run "$bench/discovery_bench" --runs 1 --gpus 2 --vfs 4
run "$bench/allocate_bench" --calls 20 --gpus 2 --vfs 4
run "$bench/daemon_bench" --runs 1 --idle 1
run "$bench/daemon_bench" --scaling --max-devices 128 --runs 1
# The served host (FUSE) needs root and /dev/fuse, as the e2e tests do.
if [[ $(id -u) == 0 && -c /dev/fuse ]]; then
  run "$bench/layout_bench" --runs 1 --apply_runs 1 --apply_gpus 1
  run "$bench/layout_daemon_bench" --runs 1 --idle 1 --gpus 1
else
  echo "-- layout_bench, layout_daemon_bench: skipped (need root and /dev/fuse)"
fi
