#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it, from a fresh Debian 12 machine:
# installs packages, builds under ASan+UBSan and runs every test; then runs
# the concurrency tests under TSan and the fuzzers for a bounded time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh

echo "== ASan+UBSan build and full suite"
bash scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVGPU_SANITIZE=address,undefined -DVGPU_BUILD_BENCHMARKS=OFF
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j 2 --timeout 300)

if [[ -x scripts/test-extra.sh ]]; then
  bash scripts/test-extra.sh
fi
