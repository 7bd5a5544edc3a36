#!/usr/bin/env bash
# Prepares the real-kernel lab (docs/real-kernel-lab.md). Idempotent: every
# step leaves a result under the cache dir and is skipped when it is there.
#   1. Debian packages (QEMU, busybox, kernel headers, kbuild tools, jq);
#   2. the pinned stock kernel image and the matching linux-source's
#      samples/vfio-mdev, downloaded with apt-get download;
#   3. the sample mdev drivers mbochs and mtty built out of tree;
#   4. a busybox initramfs with the modules the guest needs;
#   5. the fault injector write_hook.so (test/lab/write_hook.c);
#   6. with the argument "sriov" or "iommufd": QEMU 10 from
#      bookworm-backports, extracted (apt-get download through a private apt
#      folder: the system's sources are not touched);
#   7. with "iommufd": the bookworm-backports 6.12 kernel and its VFIO
#      modules rebuilt with iommufd and VFIO cdev (see below).
# Usage: test/lab/setup.sh [sriov|iommufd]  (cache: $VGPU_LAB_CACHE, default /var/cache/vgpu-lab)
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
#    dependencies, as the image's modprobe resolves them (stored
#    uncompressed: busybox cannot read 6.12's .ko.xz), plus extra modules
#    built here, which replace the image's modules of the same name.
# make_initrd KERNEL_TREE KVER OUT EXTRA_KO...
make_initrd() {
  local ktree=$1 kv=$2 out=$3 tree moddir ko rel base
  shift 3
  log "building the initramfs $out"
  tree=$(mktemp -d)
  mkdir -p "$tree"/{bin,dev,proc,sys,host,out,run,tmp}
  cp /bin/busybox "$tree/bin/busybox"
  cp "$here/init" "$tree/init" && chmod 755 "$tree/init"
  modules=(virtio_pci 9p 9pnet_virtio vfio-pci vfio_iommu_type1 mdev bochs
    snd-hda-intel igb igbvf)
  moddir=lib/modules/$kv
  mkdir -p "$tree/$moddir/extra"
  cp "$ktree/$moddir"/modules.{order,builtin,builtin.modinfo} "$tree/$moddir/"
  declare -A replaced=()
  for ko in "$@"; do
    base=$(basename "$ko" .ko)
    replaced[${base//-/_}]=1
    cp "$ko" "$tree/$moddir/extra/"
  done
  for m in "${modules[@]}"; do
    modprobe -d "$ktree" -S "$kv" --show-depends "$m" |
      sed -n 's/^insmod \([^ ]*\).*/\1/p'
  done | sort -u | while read -r ko; do
    base=$(basename "${ko%.xz}" .ko)
    [[ -n ${replaced[${base//-/_}]:-} ]] && continue
    rel=${ko#"$ktree/"}
    rel=${rel%.xz}
    mkdir -p "$tree/$(dirname "$rel")"
    case $ko in *.xz) xz -dc "$ko" >"$tree/$rel" ;; *) cp "$ko" "$tree/$rel" ;; esac
  done
  depmod -b "$tree" "$kv"
  (cd "$tree" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.$$"
  mv "$out.$$" "$out"
  rm -rf "$tree"
}
initrd=$cache/initrd.gz
if [[ ! -e "$initrd" || "$here/init" -nt "$initrd" || "$here/setup.sh" -nt "$initrd" ]]; then
  make_initrd "$cache/kernel" "$kver" "$initrd" "$cache"/mdev-src/{mbochs,mtty}.ko
fi
# 5. The fault injector the guest preloads into vgpuctl for the errno checks.
if [[ ! -e "$cache/write_hook.so" || "$here/write_hook.c" -nt "$cache/write_hook.so" ]]; then
  log "building write_hook.so"
  gcc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$cache/write_hook.so.$$" \
    "$here/write_hook.c" -ldl
  mv "$cache/write_hook.so.$$" "$cache/write_hook.so"
fi
# Packages from bookworm-backports, through a private apt folder (the
# system's sources are not touched), into $cache/debs.
bpo_download() {
  local apt_dir=$cache/apt-backports
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  echo "deb $LAB_BACKPORTS_MIRROR bookworm-backports main" >"$apt_dir/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::Cache=$apt_dir/cache")
  log "downloading $* from bookworm-backports"
  apt-get "${opts[@]}" update -qq
  rm -rf "$cache/debs" && mkdir -p "$cache/debs"
  chown _apt "$cache/debs" 2>/dev/null || true
  (cd "$cache/debs" && apt-get "${opts[@]}" download -qq "$@")
  rm -rf "$apt_dir"
}

# 6. QEMU 10 (sriov and iommufd variants): its igb, and -object iommufd.
variant=${1:-stock}
if [[ $variant != stock && ! -x "$cache/qemu10/usr/bin/qemu-system-x86_64" ]]; then
  bpo_download "qemu-system-x86=$LAB_QEMU10_VERSION" \
    "qemu-system-common=$LAB_QEMU10_VERSION" "qemu-system-data=$LAB_QEMU10_VERSION"
  rm -rf "$cache/qemu10.new" && mkdir -p "$cache/qemu10.new"
  for deb in "$cache"/debs/*.deb; do dpkg -x "$deb" "$cache/qemu10.new"; done
  rm -rf "$cache/debs" "$cache/qemu10"
  mv "$cache/qemu10.new" "$cache/qemu10"
fi

# 7. The iommufd variant: the bookworm-backports 6.12 kernel, whose config
#    has no IOMMUFD (so no VFIO cdev), with iommufd.ko and the VFIO modules
#    (and the mdev samples, which embed struct vfio_device) rebuilt out of
#    tree from the matching linux-source with CONFIG_IOMMUFD=m and
#    CONFIG_VFIO_DEVICE_CDEV=y. Debian's vmlinux lacks the interval tree's
#    span iterator (CONFIG_INTERVAL_TREE_SPAN_ITER), which iommufd uses: its
#    block of lib/interval_tree.c is compiled into iommufd.ko.
if [[ $variant == iommufd ]]; then
  k=$cache/$LAB_K612_KVER
  kv=$LAB_K612_KVER
  headers=$k/kernel/usr/src/linux-headers-$kv
  if [[ ! -e "$k/kernel/boot/vmlinuz-$kv" || ! -e "$k/src/lib/interval_tree.c" ]]; then
    rm -rf "$k" && mkdir -p "$k/kernel" "$k/src"
    bpo_download "linux-image-$kv=$LAB_K612_VERSION" \
      "linux-headers-$kv=$LAB_K612_VERSION" \
      "linux-headers-${kv%-amd64}-common=$LAB_K612_VERSION" \
      "linux-kbuild-${kv%-amd64}=$LAB_K612_VERSION" \
      "linux-source-6.12=$LAB_K612_VERSION"
    for deb in "$cache"/debs/linux-{image,headers,kbuild}-*.deb; do
      dpkg -x "$deb" "$k/kernel"
    done
    # The -amd64 headers include the -common ones by absolute path.
    sed -i "s|/usr/src/linux-headers-|$k/kernel/usr/src/linux-headers-|" "$headers/Makefile"
    dpkg --fsys-tarfile "$cache"/debs/linux-source-6.12_*.deb |
      tar -xO ./usr/src/linux-source-6.12.tar.xz |
      tar -xJ -C "$k/src" --strip-components=1 \
        'linux-source-6.12/drivers/vfio' 'linux-source-6.12/drivers/iommu/iommufd' \
        'linux-source-6.12/drivers/iommu/iommu-priv.h' \
        'linux-source-6.12/samples/vfio-mdev' 'linux-source-6.12/lib/interval_tree.c'
    depmod -b "$k/kernel" "$kv"
    rm -rf "$cache/debs"
  fi
  if [[ ! -e "$k/build/vfio/mtty.ko" ]]; then
    log "building iommufd.ko and the VFIO modules with VFIO cdev (about 1.5 min)"
    src=$k/src b=$k/build
    rm -rf "$b" && mkdir -p "$b/iommu/iommufd" "$b/vfio/pci" "$b/vfio/mdev"
    cp "$src/drivers/iommu/iommu-priv.h" "$b/iommu/"
    cp "$src"/drivers/iommu/iommufd/*.[ch] "$b/iommu/iommufd/"
    {
      echo '#include <linux/interval_tree.h>'
      awk '/^#ifdef CONFIG_INTERVAL_TREE_SPAN_ITER/ { on = 1; next }
        on && /^#endif/ { on = 0 } on' "$src/lib/interval_tree.c" |
        grep -v EXPORT_SYMBOL
    } >"$b/iommu/iommufd/span_iter.c"
    printf '%s\n' 'obj-m := iommufd.o' \
      'iommufd-y := device.o fault.o hw_pagetable.o io_pagetable.o ioas.o main.o pages.o vfio_compat.o span_iter.o' \
      >"$b/iommu/iommufd/Kbuild"
    cp "$src"/drivers/vfio/*.[ch] "$b/vfio/"
    cp "$src"/drivers/vfio/pci/vfio_pci*.[ch] "$b/vfio/pci/"
    cp "$src"/drivers/vfio/mdev/*.[ch] "$b/vfio/mdev/"
    cp "$src"/samples/vfio-mdev/{mbochs,mtty}.c "$b/vfio/"
    printf '%s\n' 'obj-m := vfio.o vfio_iommu_type1.o vfio-pci-core.o vfio-pci.o mdev.o mbochs.o mtty.o' \
      'vfio-y := vfio_main.o device_cdev.o group.o iommufd.o container.o virqfd.o' \
      'vfio-pci-core-y := pci/vfio_pci_core.o pci/vfio_pci_intrs.o pci/vfio_pci_rdwr.o pci/vfio_pci_config.o' \
      'vfio-pci-y := pci/vfio_pci.o pci/vfio_pci_igd.o' \
      'mdev-y := mdev/mdev_core.o mdev/mdev_sysfs.o mdev/mdev_driver.o' >"$b/vfio/Kbuild"
    kmake=(make -s -C "$headers" CONFIG_IOMMUFD=m CONFIG_VFIO_DEVICE_CDEV=y
      CONFIG_DEBUG_INFO_BTF_MODULES=
      KCFLAGS="-DCONFIG_IOMMUFD_MODULE=1 -DCONFIG_VFIO_DEVICE_CDEV=1 -DCONFIG_INTERVAL_TREE_SPAN_ITER=1")
    "${kmake[@]}" M="$b/iommu/iommufd" modules
    "${kmake[@]}" M="$b/vfio" KBUILD_EXTRA_SYMBOLS="$b/iommu/iommufd/Module.symvers" modules
  fi
  initrd612=$k/initrd.gz
  if [[ ! -e "$initrd612" || "$here/init" -nt "$initrd612" || "$here/setup.sh" -nt "$initrd612" ]]; then
    make_initrd "$k/kernel" "$kv" "$initrd612" "$k/build/iommu/iommufd/iommufd.ko" \
      "$k"/build/vfio/{vfio,vfio_iommu_type1,vfio-pci-core,vfio-pci,mdev,mbochs,mtty}.ko
  fi
fi
log "ready in $cache (kernel $kver)"
