#!/usr/bin/env bash
# Runs the real-kernel lab (docs/real-kernel-lab.md): boots the pinned stock
# Debian kernel in a q35 QEMU guest (software emulation, no KVM needed) with
# an emulated Intel IOMMU and two "GPU + HDMI audio" pairs, one behind a
# pxb-pcie on NUMA node 1; the guest sees the host's root read-only at /host
# and runs test/lab/guest.sh, which runs our host-built binaries from BUILD_DIR
# through a chroot into /host and prints one PASS/FAIL line per check.
# Ends with "lab: N passed, M failed"; exits non-zero on any failure, and then
# prints the last 40 lines of the guest console.
# Usage: test/lab/run.sh [--variant sriov|iommufd] BUILD_DIR
#        (BUILD_DIR/cmd/<binary>/<binary> or BUILD_DIR/<binary> for vgpuctl,
#        vgpu-device-plugin, kubelet-emulator; BUILD_DIR/test/lab-enable-vfs)
# Variants: stock (default: scenarios a-g), sriov (QEMU 10 as the outer
#        QEMU with an igb SR-IOV card; scenario s) and iommufd (the 6.12
#        kernel with VFIO cdev, QEMU 10 nested; scenario i).
# Env: VGPU_LAB_CACHE (default /var/cache/vgpu-lab), VGPU_LAB_TIMEOUT (s, 600),
#      VGPU_LAB_OUT (keep the results folder there), VGPU_LAB_ONLY (a scenario
#      letter or list, e.g. "a b", to run only those).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/lab/lab.conf
source "$here/lab.conf"
variant=stock
if [[ ${1:-} == --variant ]]; then
  variant=${2:-}
  shift 2 || true
fi
case $variant in stock | sriov | iommufd) ;; *)
  echo "lab: unknown variant '$variant' (stock, sriov, iommufd)" >&2; exit 2 ;;
esac
[[ $# -eq 1 ]] || { echo "usage: $0 [--variant sriov|iommufd] BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
for b in vgpuctl vgpu-device-plugin kubelet-emulator; do
  [[ -x "$build/cmd/$b/$b" || -x "$build/$b" ]] ||
    { echo "lab: $b not found under $build" >&2; exit 2; }
done
case "$here$build$LAB_DIR" in *[[:space:]]*)
  echo "lab: the guest gets these paths on the kernel command line: no spaces" >&2
  exit 2 ;;
esac
cache=$LAB_DIR
qemu=(qemu-system-x86_64)
extra=()
kernel=$cache/kernel/boot/vmlinuz-$LAB_KVER
initrd=$cache/initrd.gz
if [[ $variant == iommufd ]]; then
  bash "$here/setup.sh" iommufd
  # The 6.12 kernel with iommufd.ko and VFIO cdev; QEMU 10 runs nested.
  kernel=$cache/$LAB_K612_KVER/kernel/boot/vmlinuz-$LAB_K612_KVER
  initrd=$cache/$LAB_K612_KVER/initrd.gz
  : "${VGPU_LAB_ONLY:=i}"
elif [[ $variant == sriov ]]; then
  bash "$here/setup.sh" sriov
  # QEMU 10's igb (an SR-IOV PF with 7 VFs) on a third root port; QEMU 10
  # runs from its extracted folder with its own firmware path first.
  qemu=("$cache/qemu10/usr/bin/qemu-system-x86_64"
    -L "$cache/qemu10/usr/share/qemu" -L /usr/share/seabios)
  extra=(-device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,slot=3,addr=0x4
    -device igb,bus=rp3)
  : "${VGPU_LAB_ONLY:=s}"
else
  bash "$here/setup.sh"
fi
out=${VGPU_LAB_OUT:-$(mktemp -d /tmp/vgpu-lab-XXXXXX)}
mkdir -p "$out" && rm -f "$out"/{results,console.log}
only=${VGPU_LAB_ONLY:-all}
only=${only// /,} # one word on the kernel command line
start=$(date +%s)
rc=0
timeout "${VGPU_LAB_TIMEOUT:-600}" "${qemu[@]}" \
  -machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m 1024 \
  -nodefaults -no-user-config -display none -no-reboot \
  -serial "file:$out/console.log" \
  -device intel-iommu,intremap=on,caching-mode=on \
  -kernel "$kernel" -initrd "$initrd" \
  -append "console=ttyS0 quiet loglevel=4 panic=-1 intel_iommu=on iommu=pt lab=$here/guest.sh labbin=$build labcache=$cache labonly=$only" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$out,mount_tag=out,security_model=none" \
  -object memory-backend-ram,id=m0,size=512M \
  -object memory-backend-ram,id=m1,size=512M \
  -numa node,nodeid=0,memdev=m0,cpus=0 -numa node,nodeid=1,memdev=m1,cpus=1 \
  -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1,addr=0x3 \
  -device VGA,bus=rp1,addr=0x0.0,multifunction=on \
  -device ich9-intel-hda,bus=rp1,addr=0x0.1 \
  -device pxb-pcie,id=pxb1,bus_nr=0x40,numa_node=1,bus=pcie.0,addr=0x5 \
  -device pcie-root-port,id=rp2,bus=pxb1,chassis=2,slot=2,addr=0x3.0 \
  -device bochs-display,bus=rp2,addr=0x0.0,multifunction=on \
  -device ich9-intel-hda,bus=rp2,addr=0x0.1 \
  "${extra[@]}" </dev/null >"$out/qemu.log" 2>&1 || rc=$?
wall=$(($(date +%s) - start))
passed=$(grep -c '^PASS' "$out/results" 2>/dev/null || true)
failed=$(grep -c '^FAIL' "$out/results" 2>/dev/null || true)
cat "$out/results" 2>/dev/null || true
if ((rc != 0)); then
  echo "FAIL qemu exited $rc ($(tail -n 3 "$out/qemu.log" | tr '\n' ' '))"
  failed=$((failed + 1))
fi
if ! grep -q '^DONE' "$out/results" 2>/dev/null; then
  echo "FAIL the guest script did not finish"
  failed=$((failed + 1))
fi
echo "lab: guest run took ${wall}s; results and console in $out"
if ((failed > 0 || passed == 0)); then
  echo "---- last 40 lines of the guest console"
  tail -n 40 "$out/console.log" 2>/dev/null || true
  echo "lab: $passed passed, $((failed > 0 ? failed : 1)) failed"
  exit 1
fi
echo "lab: $passed passed, $failed failed"
