#!/usr/bin/env bash
# Installs every Debian 12 package the build, demo and tests need.
# Idempotent: only missing packages are installed. Must run as root.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config ccache git
  clang libclang-rt-14-dev clang-format llvm-14
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libyaml-cpp-dev nlohmann-json3-dev prometheus-cpp-dev
  libcivetweb-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libfuse3-dev
  libtomlplusplus-dev
  pci.ids
)
# Extra tool packages, added by the checks that need them.
if [[ -f "$(dirname "$0")/extra-packages.txt" ]]; then
  while read -r p; do
    [[ -z "$p" || "$p" == \#* ]] && continue
    PKGS+=("$p")
  done < "$(dirname "$0")/extra-packages.txt"
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-deps: all packages present"
