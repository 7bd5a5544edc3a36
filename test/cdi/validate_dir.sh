#!/usr/bin/env bash
# Usage: test/cdi/validate_dir.sh DIR
# Parses every CDI spec file directly in DIR (*.json, *.yaml, as a CDI
# registry scans it) with the reference CDI library and prints one line per
# device, "<file>: <vendor>/<class>=<name>". Exit 0 when every file is valid
# (also when DIR holds no spec file: a note goes to stderr), 1 on any invalid
# file or a qualified name defined twice, 2 on usage errors.
#
# The validator (test/cdi/validate.go) is built on first use, offline, in
# GOPATH mode against Debian's golang-github-container-orchestrated-devices-
# container-device-interface-dev; it is kept at $VGPU_CDI_VALIDATOR (default
# ${TMPDIR:-/tmp}/vgpu-cdi-validate-$UID/validate) and rebuilt when
# validate.go is newer.
set -euo pipefail

if [[ $# -ne 1 || ! -d "$1" ]]; then
  echo "usage: $0 DIR (an existing directory)" >&2
  exit 2
fi
dir=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
validator=${VGPU_CDI_VALIDATOR:-${TMPDIR:-/tmp}/vgpu-cdi-validate-$(id -u)/validate}

if [[ ! -x "$validator" || "$here/validate.go" -nt "$validator" ]]; then
  if ! command -v go >/dev/null; then
    echo "$0: go not found: install golang-go (scripts/extra-packages.txt)" >&2
    exit 1
  fi
  gopath=/usr/share/gocode
  if [[ ! -d $gopath/src/github.com/container-orchestrated-devices/container-device-interface ]]; then
    echo "$0: CDI Go library missing: install golang-github-container-orchestrated-devices-container-device-interface-dev" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$validator")"
  # GOPATH mode: no module download, Debian's sources only.
  (cd "$here" && env GOPATH="$gopath" GO111MODULE=off GOFLAGS= GOPROXY=off \
    GOCACHE="$(dirname "$validator")/gocache" \
    go build -o "$validator.tmp.$$" validate.go)
  mv -f "$validator.tmp.$$" "$validator"
fi

shopt -s nullglob
files=("$dir"/*.json "$dir"/*.yaml)
if [[ ${#files[@]} -eq 0 ]]; then
  echo "$0: no CDI spec files in $dir" >&2
  exit 0
fi
exec "$validator" "${files[@]}"
