#!/usr/bin/env bash
# bare-debian-check.sh [COMMAND]: runs the README's two commands (or COMMAND)
# on a bare Debian 12, as a new user's machine would: a debootstrap minbase
# chroot with nothing installed, a fresh clone of this repository's HEAD,
# and only the CA certificates and npm settings copied from this machine
# (without them apt and npm cannot reach their registries from inside).
#
# Needs root and Debian's debootstrap. The minbase tree is made once and
# kept under $VGPU_BARE_CACHE (default /var/tmp/vgpu-bare-bookworm); every
# run starts from a fresh copy of it. With VGPU_BARE_CCACHE=DIR (e.g.
# /root/.cache/ccache) this machine's compiler cache is lent to the chroot:
# only compile outputs are reused, every package still comes from the
# scripts' own installs. See docs/testing.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${VGPU_BARE_CACHE:-/var/tmp/vgpu-bare-bookworm}
mirror=${VGPU_BARE_MIRROR:-http://deb.debian.org/debian}
cmd=${1:-bash scripts/demo.sh && bash scripts/test.sh}

if [[ $(id -u) -ne 0 ]]; then
  echo "bare-debian-check: must run as root (debootstrap, chroot)" >&2
  exit 1
fi
command -v debootstrap >/dev/null || {
  echo "bare-debian-check: apt-get install debootstrap" >&2
  exit 1
}
if [[ ! -f "$cache/.complete" ]]; then
  rm -rf "$cache"
  debootstrap --variant=minbase bookworm "$cache" "$mirror"
  touch "$cache/.complete"
fi

work=$(mktemp -d /var/tmp/vgpu-bare.XXXXXX)
mounts=()
cleanup() {
  local m p
  # Processes still running inside the chroot (a stopped run) go first.
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/root" 2>/dev/null) == "$work" ]] && kill -9 "${p#/proc/}" 2>/dev/null
  done
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount -l "${mounts[i]}" 2>/dev/null || true
  done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM  # so EXIT runs the cleanup
cp -a "$cache/." "$work/"
rm -f "$work/.complete"
# The suites a Debian 12 install (or the debian:12 image) has; debootstrap
# writes only the release itself, which lacks the kernel ABIs that came
# with security updates (the lab pins one: test/lab/lab.conf).
cat >"$work/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${VGPU_BARE_SECURITY_MIRROR:-http://deb.debian.org/debian-security} bookworm-security main
SOURCES

# Registry access only: CA bundle and npm's settings.
cp /etc/ssl/certs/ca-certificates.crt "$work/etc/ssl/certs/" 2>/dev/null ||
  { mkdir -p "$work/etc/ssl/certs" &&
    cp /etc/ssl/certs/ca-certificates.crt "$work/etc/ssl/certs/"; }
if [[ -d /usr/local/share/ca-certificates ]]; then
  mkdir -p "$work/usr/local/share/ca-certificates"
  cp -a /usr/local/share/ca-certificates/. \
    "$work/usr/local/share/ca-certificates/"
fi
[[ -f /etc/npmrc ]] && cp /etc/npmrc "$work/etc/npmrc"
cp /etc/resolv.conf "$work/etc/resolv.conf" 2>/dev/null || true

git clone -q "$root" "$work/src"
git -C "$work/src" checkout -q "$(git -C "$root" rev-parse HEAD)"

for m in proc sys dev dev/pts; do
  mkdir -p "$work/$m"
  case $m in
    proc) mount -t proc proc "$work/proc" ;;
    *) mount --rbind "/$m" "$work/$m" ;;
  esac
  mounts+=("$work/$m")
done
mkdir -p "$work/dev/shm"
if [[ -n ${VGPU_BARE_CCACHE:-} ]]; then
  mkdir -p "$work/root/.cache/ccache"
  mount --bind "$VGPU_BARE_CCACHE" "$work/root/.cache/ccache"
  mounts+=("$work/root/.cache/ccache")
fi

echo "bare-debian-check: running '$cmd' in $work (HEAD $(git -C "$root" rev-parse --short HEAD))"
chroot "$work" /usr/bin/env -i HOME=/root TERM=dumb \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  CI=true bash -c "cd /src && $cmd"
