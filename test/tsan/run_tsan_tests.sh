#!/usr/bin/env bash
# run_tsan_tests.sh <tsan-build-dir> [ctest args]: runs the tests labelled
# "tsan" (narrowed by extra ctest args, e.g. -R Daemon) under
# ThreadSanitizer with test/tsan/tsan.supp, and makes sure TSan can name what
# it reports.
#
# Suppressions of the form race:<function> match symbolized frames only. A
# machine without llvm-symbolizer prints `<null> <null> (binary+0x...)`
# frames, those suppressions stop matching, and gRPC's inline call objects
# come back as races nobody can read. So:
#   - TSan is pointed at llvm-14's symbolizer explicitly, and the stage stops
#     at once, saying so, when it is missing;
#   - every report is also written to a log file, and the stage fails when a
#     report has a frame in one of our binaries that was not symbolized.
set -euo pipefail
build=${1:?usage: run_tsan_tests.sh <tsan-build-dir> [ctest args]}
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$build" && pwd)
symbolizer=${VGPU_LLVM_SYMBOLIZER:-/usr/lib/llvm-14/bin/llvm-symbolizer}
if [[ ! -x "$symbolizer" ]]; then
  echo "run_tsan_tests: $symbolizer not found: TSan reports would be" \
       "unsymbolized and the function-name suppressions in" \
       "test/tsan/tsan.supp would not match (apt-get install llvm-14)" >&2
  exit 1
fi
logs="$build/tsan-reports"
rm -rf "$logs"
mkdir -p "$logs"
# log_path sends reports to $logs/report.<pid>; halt_on_error still fails
# the test that produced one.
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/test/tsan/tsan.supp:external_symbolizer_path=$symbolizer:log_path=$logs/report"
status=0
ctest --test-dir "$build" -L tsan --output-on-failure -j 2 --timeout 600 "$@" ||
  status=$?
shopt -s nullglob
reports=("$logs"/report.*)
if ((${#reports[@]})); then
  echo "== ThreadSanitizer reports (${#reports[@]} files)"
  for r in "${reports[@]}"; do
    echo "-- $r"
    cat "$r"
  done
  # A frame of ours that TSan could not name looks like
  #   #3 <null> <null> (daemon_test+0x4f21a3)
  # with the binary under the build tree.
  unsymbolized=$(grep -hE '#[0-9]+ <null> <null> \(' "${reports[@]}" |
    grep -vE '\((lib[^ ]*\.so[.0-9]*|ld-linux[^ ]*)\+0x' || true)
  if [[ -n "$unsymbolized" ]]; then
    echo "run_tsan_tests: TSan reported frames in our binaries that it" \
         "could not symbolize; suppressions cannot be trusted:" >&2
    echo "$unsymbolized" >&2
    status=1
  fi
  ((status)) || status=1
fi
exit "$status"
