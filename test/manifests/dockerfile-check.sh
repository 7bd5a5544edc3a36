#!/usr/bin/env bash
# dockerfile-check.sh: Docker cannot run here, so check what can be checked
# statically in the Dockerfile:
#   - every "bash scripts/X" it runs exists, and it runs the same two
#     scripts as CI (install-deps.sh and build.sh);
#   - the build is Release without tests and benchmarks, static gRPC et al.;
#   - .dockerignore does not drop the scripts or the sources from the
#     build context;
#   - the runtime stage is debian:12-slim, has a non-shell (exec-form)
#     ENTRYPOINT, OCI labels and installs pci.ids.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
df="$root/Dockerfile"
di="$root/.dockerignore"
fails=0
fail() { echo "dockerfile-check: $*" >&2; fails=$((fails + 1)); }

mapfile -t scripts < <(grep -o 'bash scripts/[A-Za-z0-9_./-]*' "$df" | awk '{print $2}' | sort -u)
((${#scripts[@]})) || fail "Dockerfile runs no scripts/"
for s in "${scripts[@]}"; do
  [[ -f $root/$s ]] || fail "Dockerfile runs $s, which does not exist"
done
for s in scripts/install-deps.sh scripts/build.sh; do
  printf '%s\n' "${scripts[@]}" | grep -qx "$s" || fail "Dockerfile does not run $s"
done
# Files COPY'd by name must exist.
while read -r src; do
  [[ -e $root/$src ]] || fail "COPY names $src, which does not exist"
done < <(sed -n 's/^COPY \(scripts\/[^ ]*\) \(scripts\/[^ ]*\) scripts\/$/\1\n\2/p' "$df")
grep -q -- '-DCMAKE_BUILD_TYPE=Release' "$df" || fail "build is not Release"
grep -q -- '-DVGPU_BUILD_TESTS=OFF' "$df" || fail "tests are built into the image"
grep -q -- '-DVGPU_BUILD_BENCHMARKS=OFF' "$df" || fail "benchmarks are built into the image"
grep -q -- '-DVGPU_STATIC_DEPS=ON' "$df" || fail "image links gRPC/protobuf/abseil dynamically"
grep -q '^FROM ${DEBIAN_IMAGE}-slim AS runtime' "$df" || fail "runtime stage is not <debian>-slim"
grep -q '^ARG DEBIAN_IMAGE=debian:12$' "$df" || fail "base is not debian:12"
grep -q '^ENTRYPOINT \["/usr/bin/vgpu-device-plugin"\]$' "$df" || fail "ENTRYPOINT is not exec form"
grep -q 'org.opencontainers.image.version' "$df" || fail "no OCI labels"
grep -q '^      pci.ids' "$df" || fail "runtime stage lacks pci.ids"
# Every runtime library package must exist in Debian 12 (checked when apt knows the archive).
if apt-cache show libgrpc++1.51 >/dev/null 2>&1; then
  while read -r pkg; do
    apt-cache show "$pkg" >/dev/null 2>&1 || fail "runtime package $pkg is not in Debian"
  done < <(sed -n '/apt-get install -y -qq --no-install-recommends \\$/,/&&/p' "$df" |
           grep -o '^      [a-z0-9][a-z0-9.+-]*' | tr -d ' ')
fi
for path in scripts cmd pkg proto CMakeLists.txt cmake; do
  if grep -qx -- "$path" "$di" || grep -qx -- "$path/" "$di"; then
    fail ".dockerignore drops $path from the build context"
  fi
done
if ((fails)); then exit 1; fi
echo "dockerfile-check: ok (${scripts[*]})"
