#!/usr/bin/env bash
# Prepares the real-kernel lab (docs/real-kernel-lab.md). Idempotent: every
# step leaves a result under the cache dir and is skipped when it is there.
#   1. Debian packages (QEMU, busybox, kernel headers, kbuild tools, jq);
#   2. the pinned stock kernel image and the matching linux-source's
#      samples/vfio-mdev, downloaded with apt-get download;
#   3. the sample mdev drivers mbochs and mtty built out of tree;
#   4. a busybox initramfs with the modules the guest needs;
#   5. the fault injector write_hook.so (test/lab/write_hook.c);
#   6. with the argument "sriov": QEMU 10 from bookworm-backports, extracted
#      (apt-get download through a private apt folder: the system's sources
#      are not touched).
# Usage: test/lab/setup.sh [sriov]  (cache: $VGPU_LAB_CACHE, default /var/cache/vgpu-lab)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/lab/lab.conf
source "$here/lab.conf"
cache=$LAB_DIR
kver=$LAB_KVER
mkdir -p "$cache"
log() { echo "lab-setup: $*"; }

# 1. Packages.
packages=(qemu-system-x86 busybox-static cpio kmod xz-utils zstd bc make gcc
  libc6-dev jq "linux-headers-$kver")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
    missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. Kernel image and the mdev samples' source, matching versions.
download() { # package=version...
  rm -rf "$cache/debs" && mkdir -p "$cache/debs"
  chown _apt "$cache/debs" 2>/dev/null || true # else apt warns as root
  log "downloading $*"
  (cd "$cache/debs" && apt-get download -qq "$@")
}
if [[ ! -e "$cache/kernel/boot/vmlinuz-$kver" ]]; then
  download "linux-image-$kver"
  rm -rf "$cache/kernel" && mkdir -p "$cache/kernel"
  dpkg -x "$cache"/debs/linux-image-"$kver"_*.deb "$cache/kernel"
  depmod -b "$cache/kernel" "$kver"
  rm -rf "$cache/debs"
fi
if [[ ! -e "$cache/mdev-src/mbochs.c" ]]; then
  download "linux-source-6.1=$LAB_KSRC_VERSION"
  rm -rf "$cache/mdev-src" && mkdir -p "$cache/mdev-src"
  dpkg --fsys-tarfile "$cache"/debs/linux-source-6.1_*.deb |
    tar -xO ./usr/src/linux-source-6.1.tar.xz |
    tar -xJ -C "$cache/mdev-src" --strip-components=3 \
      --wildcards 'linux-source-6.1/samples/vfio-mdev/*'
  rm -rf "$cache/debs" # 140 MB, no longer needed
fi

# 3. mbochs and mtty, out of tree against the matching headers.
if [[ ! -e "$cache/mdev-src/mtty.ko" ]]; then
  log "building mbochs.ko and mtty.ko"
  printf 'obj-m := mbochs.o mtty.o\n' >"$cache/mdev-src/Kbuild"
  make -s -C "/usr/src/linux-headers-$kver" M="$cache/mdev-src" modules
fi

# 4. The initramfs: busybox, /init, and each needed module with its
#    dependencies, as the stock image's modprobe resolves them.
initrd=$cache/initrd.gz
if [[ ! -e "$initrd" || "$here/init" -nt "$initrd" || "$here/setup.sh" -nt "$initrd" ]]; then
  log "building the initramfs"
  tree=$(mktemp -d)
  trap 'rm -rf "$tree"' EXIT
  mkdir -p "$tree"/{bin,dev,proc,sys,host,out,run,tmp}
  cp /bin/busybox "$tree/bin/busybox"
  cp "$here/init" "$tree/init" && chmod 755 "$tree/init"
  modules=(virtio_pci 9p 9pnet_virtio vfio-pci vfio_iommu_type1 mdev bochs
    snd-hda-intel igb igbvf)
  moddir=lib/modules/$kver
  mkdir -p "$tree/$moddir/extra"
  cp "$cache/kernel/$moddir"/modules.{order,builtin,builtin.modinfo} \
    "$tree/$moddir/"
  for m in "${modules[@]}"; do
    modprobe -d "$cache/kernel" -S "$kver" --show-depends "$m" |
      sed -n 's/^insmod \([^ ]*\).*/\1/p'
  done | sort -u | while read -r ko; do
    rel=${ko#"$cache/kernel/"}
    mkdir -p "$tree/$(dirname "$rel")"
    cp "$ko" "$tree/$rel"
  done
  cp "$cache"/mdev-src/{mbochs,mtty}.ko "$tree/$moddir/extra/"
  depmod -b "$tree" "$kver"
  (cd "$tree" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd.$$"
  mv "$initrd.$$" "$initrd"
fi
# 5. The fault injector the guest preloads into vgpuctl for the errno checks.
if [[ ! -e "$cache/write_hook.so" || "$here/write_hook.c" -nt "$cache/write_hook.so" ]]; then
  log "building write_hook.so"
  gcc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$cache/write_hook.so.$$" \
    "$here/write_hook.c" -ldl
  mv "$cache/write_hook.so.$$" "$cache/write_hook.so"
fi
# 6. QEMU 10 for the SR-IOV variant.
if [[ ${1:-} == sriov && ! -x "$cache/qemu10/usr/bin/qemu-system-x86_64" ]]; then
  apt_dir=$cache/apt-backports
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  echo "deb $LAB_BACKPORTS_MIRROR bookworm-backports main" >"$apt_dir/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::Cache=$apt_dir/cache")
  log "downloading QEMU $LAB_QEMU10_VERSION from bookworm-backports"
  apt-get "${apt_opts[@]}" update -qq
  rm -rf "$cache/debs" && mkdir -p "$cache/debs"
  chown _apt "$cache/debs" 2>/dev/null || true
  (cd "$cache/debs" && apt-get "${apt_opts[@]}" download -qq \
    "qemu-system-x86=$LAB_QEMU10_VERSION" "qemu-system-common=$LAB_QEMU10_VERSION" \
    "qemu-system-data=$LAB_QEMU10_VERSION")
  rm -rf "$cache/qemu10.new" && mkdir -p "$cache/qemu10.new"
  for deb in "$cache"/debs/*.deb; do dpkg -x "$deb" "$cache/qemu10.new"; done
  rm -rf "$cache/debs" "$apt_dir" "$cache/qemu10"
  mv "$cache/qemu10.new" "$cache/qemu10"
fi
log "ready in $cache (kernel $kver)"
