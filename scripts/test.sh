#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it, from a fresh Debian 12 machine:
#   1. installs every package it needs (apt-get; npm tools for the manifest checks),
#   2. builds under ASan+UBSan and runs every test with ctest,
#   3. builds the plain optimised configuration users and packagers build
#      (g++ Release, tests and benchmarks ON) with warnings as errors, and runs
#      the unit tests there, and runs every benchmark once at its smallest
#      settings (bench/smoke.sh),
#   3b. boots a stock Debian 6.1 kernel under QEMU and runs the Release
#      binaries against its real VFIO and mdev (test/lab, docs/real-kernel-lab.md),
#      then again with QEMU 10's igb for SR-IOV, then the 6.12 kernel with
#      iommufd and VFIO cdev,
#   4. builds under TSan and runs every threaded test under it (ctest label "tsan"),
#   5. builds the libFuzzer targets with clang and runs each for a fixed budget.
# Fails on the first failing stage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh
export VGPU_JOBS=${VGPU_JOBS:-$(nproc)}
fuzz_seconds=${VGPU_FUZZ_SECONDS:-30}

echo "== [1/4] ASan+UBSan build and full suite"
bash scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVGPU_SANITIZE=address,undefined -DVGPU_BUILD_BENCHMARKS=OFF
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j 2 --timeout 600) \
  | tee build-asan/ctest.log

echo "== [2/4] g++ Release build (tests and benchmarks), unit tests"
# The way most users build (cmake -DCMAKE_BUILD_TYPE=Release): g++ 12 warns
# at -O2/-O3 where the sanitizer builds do not (-Wrestrict inside libstdc++).
bash scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release
(cd build-release && ctest -L unit -j 2 --timeout 600 --output-on-failure \
  | tail -n 3)
echo "== [bench] every benchmark once, at its smallest settings (a smoke run)"
# Benchmarks print figures and are never timed tests: this only shows that
# each still runs to its end. The full runs: docs/benchmarks.md.
timeout "${VGPU_BENCH_SMOKE_BUDGET:-300}" bash bench/smoke.sh build-release

echo "== [lab] real-kernel lab: stock 6.1 guest, Release binaries"
# Setup is cached under /var/cache/vgpu-lab (first run: downloads and builds,
# about 2 min); a warm run takes 3-4.5 min on 2 cores (docs/real-kernel-lab.md).
timeout "${VGPU_LAB_BUDGET:-720}" env VGPU_LAB_TIMEOUT=540 \
  bash test/lab/run.sh build-release
echo "== [lab] real-kernel lab: SR-IOV (QEMU 10's igb), Release binaries"
# QEMU 10 comes from bookworm-backports once (13 MB, cached); about 70 s.
timeout "${VGPU_LAB_SRIOV_BUDGET:-300}" env VGPU_LAB_TIMEOUT=240 \
  bash test/lab/run.sh --variant sriov build-release
echo "== [lab] real-kernel lab: iommufd + VFIO cdev (6.12, rebuilt VFIO), Release binaries"
# First run: 270 MB from bookworm-backports and a 1.5 min module build,
# cached; then about 1 min.
timeout "${VGPU_LAB_IOMMUFD_BUDGET:-600}" env VGPU_LAB_TIMEOUT=240 \
  bash test/lab/run.sh --variant iommufd build-release

echo "== [3/4] clang build: -Wthread-safety -Werror over the whole tree, TSan"
# Every target is compiled by clang with lock annotations checked
# (-Wthread-safety -Werror) and TSan instrumentation; the tests labelled
# "tsan" (every test with threads: the kubelet emulator, the registrar, the
# resource servers, the daemon, the metrics poller and all end-to-end tests,
# which run the TSan-built daemon binary) then run under TSan. Debian's abseil
# and gRPC are not TSan-built: test/tsan/absl_sync_tsan.cc makes absl's locks
# visible to TSan and test/tsan/tsan.supp names the library code TSan cannot
# judge.
CC=clang CXX=clang++ bash scripts/build.sh build-tsan \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVGPU_SANITIZE=thread \
  -DVGPU_BUILD_BENCHMARKS=OFF
bash test/tsan/run_tsan_tests.sh build-tsan

echo "== [4/4] Fuzzers, ${fuzz_seconds}s each"
if [[ -d fuzz ]]; then
  fuzzers=$(sed -n 's/^add_executable(\([a-z_]*_fuzzer\) .*/\1/p' fuzz/CMakeLists.txt)
  CC=clang CXX=clang++ VGPU_TARGETS="$fuzzers" bash scripts/build.sh build-fuzz \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVGPU_BUILD_FUZZERS=ON \
    -DVGPU_BUILD_TESTS=OFF -DVGPU_BUILD_BENCHMARKS=OFF
  for f in build-fuzz/fuzz/*_fuzzer; do
    [[ -x "$f" ]] || continue
    name=$(basename "$f")
    corpus=$(mktemp -d)
    cp -r fuzz/corpus/. "$corpus/"
    echo "-- $name"
    "$f" -max_total_time="$fuzz_seconds" -print_final_stats=1 "$corpus" 2>&1 | tail -n 3
    rm -rf "$corpus"
  done
fi
echo "== all stages passed"
# One closing line for the whole suite (the ASan run holds every test).
total=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2/p' \
  build-asan/ctest.log | tail -n 1)
echo "suite: ${total:-0} passed, 0 failed"
