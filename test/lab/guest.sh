# The lab's guest-side script, run by the guest's /init under busybox sh
# (test/lab/init). Our binaries run through a chroot into the host root
# (/host); the kernel's own view is taken with shell tools on /sys and /dev.
# Each check appends one "PASS name" or "FAIL name: why" line to
# /out/results; the last line is "DONE".
# Env from the kernel command line: labbin (host path of the build dir),
# labcache (host path of setup.sh's cache: write_hook.so), labonly ("all" or scenario letters separated by commas, e.g. "a,b").
R=/out/results
W=/host/run/lab # the same folder is /run/lab inside the chroot
P1=0000:01:00.0 A1=0000:01:00.1 # pair 1, root port on pcie.0
P2=0000:41:00.0 A2=0000:41:00.1 # pair 2, behind the pxb-pcie on NUMA node 1
RES=lab.example.com/qemu-gpu
MRES=lab.example.com/mdev
pass() { echo "PASS $*" | tee -a $R; }
fail() { echo "FAIL $*" | tee -a $R; }
want() { case ",$labonly," in *,all,* | *,$1,*) return 0 ;; esac; return 1; }
named() { case ",$labonly," in *,$1,*) return 0 ;; esac; return 1; } # not by "all"
t0=$(cut -d' ' -f1 /proc/uptime)
stamp() { echo "lab-guest: $* at $(cut -d' ' -f1 /proc/uptime)s" | tee -a /out/timings; }
bin() {
  if [ -x "/host$labbin/cmd/$1/$1" ]; then echo "$labbin/cmd/$1/$1"; else echo "$labbin/$1"; fi
}
inhost() { timeout 180 chroot /host "$@"; } # a bounded command of the host
# Waits up to $1 seconds for the command in $2... to succeed.
waitfor() {
  n=$(($1 * 5)); shift
  while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.2; n=$((n - 1)); done
  return 1
}
drv() { # driver of a PCI function, or "null"
  if [ -e /sys/bus/pci/devices/$1/driver ]; then basename "$(readlink /sys/bus/pci/devices/$1/driver)"; else echo null; fi
}
to_vfio() {
  echo vfio-pci >/sys/bus/pci/devices/$1/driver_override
  [ -e /sys/bus/pci/devices/$1/driver ] && echo $1 >/sys/bus/pci/devices/$1/driver/unbind
  echo $1 >/sys/bus/pci/drivers_probe
}
to_host() { # $1 function, $2 host driver
  [ -e /sys/bus/pci/devices/$1/driver ] && echo $1 >/sys/bus/pci/devices/$1/driver/unbind
  echo >/sys/bus/pci/devices/$1/driver_override
  echo $1 >/sys/bus/pci/drivers/$2/bind
}

: >$R
mount -t proc proc /host/proc
mount -t sysfs sysfs /host/sys
mount -o bind /dev /host/dev
mount -t tmpfs tmpfs /host/run
mkdir -p $W/plugins $W/cdi
# No udev here: load the host drivers and VFIO by hand.
for m in bochs snd-hda-intel vfio-pci vfio_iommu_type1; do modprobe $m || fail "modprobe $m"; done
stamp "drivers loaded"

# The kernel's view of every IOMMU group holding a display function, in the
# format the jq filter below prints ours: units, then their functions.
# Viability is VFIO's rule: every member on vfio-pci, unbound, or a bridge
# driver (pcieport, pci-stub).
kernel_view() {
  for g in /sys/kernel/iommu_groups/*; do
    display=no members="" viable=true
    for d in $(ls $g/devices | sort); do
      case $(cat $g/devices/$d/class) in 0x03*) display=yes ;; esac
      members="$members${members:+,}$d"
      case $(drv $d) in vfio-pci | null | pcieport | pci-stub) ;; *) viable=false ;; esac
    done
    [ $display = yes ] || continue
    first=${members%%,*}
    numa=$(cat $g/devices/$first/numa_node); [ "$numa" = -1 ] && numa=null
    echo "unit $(basename $g) functions=$members viable=$viable numa=$numa"
    for d in $(ls $g/devices); do
      numa=$(cat $g/devices/$d/numa_node); [ "$numa" = -1 ] && numa=null
      echo "fn $d group=$(basename $(readlink $g/devices/$d/iommu_group 2>/dev/null || readlink /sys/bus/pci/devices/$d/iommu_group)) driver=$(drv $d) numa=$numa"
    done
  done | sort
}
our_view() {
  inhost "$(bin vgpuctl)" discover --host-root / --json >$W/discover.json 2>$W/discover.err || return 1
  inhost jq -r '
    ([.units[].iommuGroup]) as $gs
    | (.units[] | "unit \(.iommuGroup) functions=\(.functions | sort | join(",")) viable=\(.viable) numa=\(.numaNode // "null")"),
      (.functions[] | select(.iommuGroup as $g | $gs | index($g))
        | "fn \(.bdf) group=\(.iommuGroup) driver=\(.driver // "null") numa=\(.numaNode // "null")")
  ' /run/lab/discover.json | sort
}
compare_discovery() { # $1 check name
  kernel_view >$W/kernel-$1.txt
  if ! our_view >$W/ours-$1.txt; then
    fail "$1: vgpuctl discover failed: $(head -c 300 $W/discover.err)"; return
  fi
  if [ ! -s $W/kernel-$1.txt ]; then fail "$1: the kernel shows no display group"; return; fi
  if diff $W/kernel-$1.txt $W/ours-$1.txt >$W/diff-$1.txt; then
    pass "$1 ($(grep -c '^unit' $W/kernel-$1.txt) groups, $(grep -c '^fn' $W/kernel-$1.txt) functions)"
  else
    fail "$1: vgpuctl discover differs from the kernel (- kernel, + ours): $(grep '^[-+][uf]' $W/diff-$1.txt | tr '\n' ';')"
  fi
  cp $W/kernel-$1.txt $W/ours-$1.txt /out/ 2>/dev/null
}

if want a; then
  compare_discovery a1-discover-host-drivers
fi
# Pair 1 entirely on vfio-pci; pair 2's display only (its audio stays on
# snd_hda_intel: a group that is not viable).
for f in $P1 $A1 $P2; do to_vfio $f; done
stamp "bound to vfio-pci"
if want a; then
  compare_discovery a2-discover-vfio-bound
fi

g1=$(basename "$(readlink /sys/bus/pci/devices/$P1/iommu_group)")
g2=$(basename "$(readlink /sys/bus/pci/devices/$P2/iommu_group)")
daemon_pid=""
if want b || want c || want d || want e || want f || want g || named i; then
  cat >$W/config.yaml <<CFG
version: v1
resources:
  rules:
    - resourceName: $RES
      vendor: "1234"
    - resourceName: $MRES
      kind: vgpu
rescanPeriod: 1s
CFG
  chroot /host "$(bin vgpu-device-plugin)" --host-root / --config /run/lab/config.yaml \
    --device-plugin-dir /run/lab/plugins --cdi-dir /run/lab/cdi \
    --pod-resources-socket /run/lab/pod-resources.sock \
    --metrics-address 127.0.0.1:0 --log-level info >$W/daemon.log 2>&1 &
  daemon_pid=$!
  chroot /host "$(bin kubelet-emulator)" --plugin_dir /run/lab/plugins \
    --pod_resources_socket /run/lab/pod-resources.sock \
    --allocate "default/lab-vm:$RES=1" --timeout 120s --duration 600s \
    >$W/emulator.out 2>&1 &
  emulator_pid=$!
  waitfor 150 grep -q '^podresources Get\|^allocate .* failed' $W/emulator.out
  stamp "daemon registered"
  cp $W/emulator.out /out/emulator-start.out
  if grep -q "^resource $RES: " $W/emulator.out; then
    pass "b1-daemon-registers ($(grep "^resource $RES: " $W/emulator.out | head -n1 | cut -d: -f2 | cut -d'(' -f1))"
  else
    fail "b1-daemon-registers: no $RES at the kubelet: $(tail -n 5 $W/daemon.log | tr '\n' ';')"
  fi
fi
# Every VFIO node the CDI specs name is a real character device here, and
# the viable pair's group node is among them. With VFIO cdev (the iommufd
# variant) the handles are cdevs instead: scenario i.
if { want b || want c || want d || want e || want f || want g; } && [ ! -c /dev/iommu ]; then
  nodes=$(cat $W/cdi/*.json 2>/dev/null | grep -o '"/dev/vfio/[^"]*"' | tr -d '"' | sort -u)
  bad=""
  for n in $nodes; do [ -c "$n" ] || bad="$bad $n"; done
  if [ -z "$nodes" ]; then
    fail "b2-cdi-names-real-nodes: no /dev/vfio path in $(ls $W/cdi)"
  elif [ -n "$bad" ]; then
    fail "b2-cdi-names-real-nodes: not character devices:$bad"
  elif ! echo "$nodes" | grep -qx "/dev/vfio/$g1"; then
    fail "b2-cdi-names-real-nodes: /dev/vfio/$g1 (group of $P1) missing from: $nodes"
  else
    pass "b2-cdi-names-real-nodes ($(echo $nodes))"
  fi
  if grep -q '^allocated pod default/lab-vm' $W/emulator.out &&
    grep -q "^    device /dev/vfio/$g1 \|^    cdi $RES=" $W/emulator.out; then
    pass "b3-allocate-answers ($(grep -E '^    (device|cdi) ' $W/emulator.out | head -n 3 | tr -s ' ' | tr '\n' ';'))"
  else
    fail "b3-allocate-answers: $(grep -A8 'allocate' $W/emulator.out | tr '\n' ';')"
  fi
fi

if want b && [ -n "$daemon_pid" ]; then
  # The NUMA node each advertised unit carries to the kubelet is the
  # kernel's numa_node of its function ("-" for -1: no topology).
  bad="" seen=0
  for line in $(awk '/^== kubelet sees/ { on = 1; next } /^allocated|^--/ { on = 0 }
      on && /^  / && $3 ~ /^numa=/ { print $1 "=" substr($3, 6) }' $W/emulator.out); do
    id=${line%%=*} numa=${line#*=}
    [ -e /sys/bus/pci/devices/$id ] || continue
    seen=$((seen + 1))
    k=$(cat /sys/bus/pci/devices/$id/numa_node); [ "$k" = -1 ] && k=-
    [ "$k" = "$numa" ] || bad="$bad $id:kubelet=$numa,kernel=$k"
  done
  if [ $seen -eq 0 ]; then
    fail "b4-topology-matches-kernel: no PCI device ids at the kubelet"
  elif [ -n "$bad" ]; then
    fail "b4-topology-matches-kernel:$bad"
  else
    pass "b4-topology-matches-kernel ($seen devices)"
  fi
fi

# The device id the kubelet knows pair 1 by, and its last reported health.
dev1=""
last_health() {
  awk -v id="$1" '$1 == id { h = $2 } END { print h }' $W/emulator.out
}
health_is() { [ "$(last_health "$dev1")" = "$1" ]; }
nested_qemu=qemu-system-x86_64 # the host's (7.2); scenario i: QEMU 10
nested() { # qemu args...: -S and a monitor, prints info qtree
  printf 'info qtree\nquit\n' | timeout 120 chroot /host $nested_qemu \
    -machine q35 -accel tcg -m 128 -nodefaults -display none -S -monitor stdio "$@" 2>&1
}
unrealized() { # qtree file, bdfs...: prints the functions QEMU did not realize
  q=$1
  shift
  for f in "$@"; do grep -q "host = \"$f\"" $q || printf ' %s' $f; done
}
plan() { # prints the plan's JSON for the pod
  inhost "$(bin vgpuctl)" coldplug-plan --pod default/lab-vm \
    --pod-resources-socket /run/lab/pod-resources.sock --cdi-dir /run/lab/cdi \
    --host-root / --json
}
if [ -n "$daemon_pid" ]; then
  dev1=$(awk -v a="$P1" -v g="$g1" 'index($1, a) || $1 == g || $1 ~ ("-" g "$") { print $1; exit }' $W/emulator.out)
  [ -n "$dev1" ] || dev1=$(awk '/^  [^ ]+ +(Healthy|Unhealthy)/ { print $1; exit }' $W/emulator.out)
fi

if want c && [ -n "$daemon_pid" ]; then
  h0=$(last_health "$dev1")
  to_host $A1 snd_hda_intel
  stamp "audio on snd_hda_intel"
  if waitfor 60 health_is Unhealthy; then
    pass "c1-unhealthy-when-audio-leaves-vfio ($dev1: $h0 -> Unhealthy, $A1 on $(drv $A1))"
  else
    fail "c1-unhealthy-when-audio-leaves-vfio: $dev1 still $(last_health "$dev1") with $A1 on $(drv $A1)"
  fi
  if want d; then
    # The plan now warns that the group is not viable; QEMU must agree.
    plan >$W/plan-broken.json 2>$W/plan-broken.err
    warn=$(inhost jq -r '.warnings[]' /run/lab/plan-broken.json 2>/dev/null | grep "group $g1 is not viable")
    set -- $(inhost jq -r '.qemuArgs[]' /run/lab/plan-broken.json 2>/dev/null)
    if [ $# -eq 0 ]; then
      fail "d2-not-viable-agrees: no plan: $(head -c 300 $W/plan-broken.err)"
    else
      nested "$@" >$W/qemu-broken.txt
      if grep -q "group $g1 is not viable" $W/qemu-broken.txt && [ -n "$warn" ]; then
        pass "d2-not-viable-agrees (QEMU and plan: group $g1 is not viable)"
      else
        fail "d2-not-viable-agrees: plan warning '$warn'; QEMU: $(grep -i vfio $W/qemu-broken.txt | head -n 2 | tr '\n' ';')"
      fi
    fi
  fi
  to_vfio $A1
  stamp "audio back on vfio-pci"
  if waitfor 60 health_is Healthy &&
    kill -0 $daemon_pid 2>/dev/null; then
    pass "c2-healthy-again-without-restart ($dev1 Healthy, daemon pid $daemon_pid still running)"
  else
    fail "c2-healthy-again-without-restart: $dev1 $(last_health "$dev1"), daemon $(kill -0 $daemon_pid 2>/dev/null && echo running || echo gone)"
  fi
fi

if want d && [ -n "$daemon_pid" ]; then
  plan >$W/plan.json 2>$W/plan.err
  cp $W/plan.json /out/ 2>/dev/null
  # QEMU gets exactly the arguments the plan prints for people; the JSON
  # form must carry the same ones.
  inhost "$(bin vgpuctl)" coldplug-plan --pod default/lab-vm \
    --pod-resources-socket /run/lab/pod-resources.sock --cdi-dir /run/lab/cdi \
    --host-root / >$W/plan.txt 2>>$W/plan.err
  cp $W/plan.txt /out/ 2>/dev/null
  set -- $(sed -n '/^QEMU arguments:/,/^[^ ]/s/^  //p' $W/plan.txt)
  json_args=$(inhost jq -r '.qemuArgs[]' /run/lab/plan.json 2>/dev/null | tr '\n' ' ')
  funcs=$(inhost jq -r '.functions[].bdf' /run/lab/plan.json 2>/dev/null)
  if [ $# -eq 0 ] || [ -z "$funcs" ]; then
    fail "d1-nested-qemu-realizes-plan: no plan: $(head -c 300 $W/plan.err)"
  elif [ "$* " != "$json_args" ]; then
    fail "d1-nested-qemu-realizes-plan: printed arguments [$*] differ from the JSON's [$json_args]"
  else
    nested "$@" >$W/qemu-plan.txt
    cp $W/qemu-plan.txt /out/
    missing=$(unrealized $W/qemu-plan.txt $funcs)
    if [ -z "$missing" ]; then
      pass "d1-nested-qemu-realizes-plan ($(echo $funcs) with: $*)"
    else
      fail "d1-nested-qemu-realizes-plan: not realized:$missing; QEMU: $(grep -v '^ ' $W/qemu-plan.txt | tail -n 3 | tr '\n' ';')"
    fi
  fi
  stamp "nested QEMU done"
fi

doctor() { # prints vgpuctl doctor's lines; returns its exit code
  inhost "$(bin vgpuctl)" doctor --host-root / --cdi-dir /run/lab/cdi \
    --pod-resources-socket /run/lab/pod-resources.sock \
    --device-plugin-dir /run/lab/plugins
}
if want f && [ -n "$daemon_pid" ]; then
  # Pair 2's audio is still on snd_hda_intel: the doctor names that function
  # and its driver, and no unit check fails on pair 1 (host-display: f3).
  doctor >$W/doctor-broken.txt 2>&1
  rc=$?
  cp $W/doctor-broken.txt /out/
  line=$(grep -E "^FAIL +unit-viable +group $g2 \($P2\): $A2 is on snd_hda_intel" $W/doctor-broken.txt)
  if [ $rc -eq 1 ] && [ -n "$line" ] && ! grep '^FAIL' $W/doctor-broken.txt | grep -v '^FAIL  *host-display ' | grep -q "0000:01:00"; then
    pass "f1-doctor-names-broken-function (exit 1: $(echo "$line" | cut -c1-110))"
  else
    fail "f1-doctor-names-broken-function: exit $rc; $(grep -v '^PASS' $W/doctor-broken.txt | tr '\n' ';' | head -c 600)"
  fi
  # Both pairs on vfio-pci: every unit check passes. Pair 1's display is
  # the guest's boot VGA (the firmware's pick), so offering it is the one
  # FAIL left, and the kernel's boot_vga says the same.
  to_vfio $A2
  waitfor 60 grep -q "^resource $RES: 2 devices, 2 healthy" $W/emulator.out
  doctor >$W/doctor-good.txt 2>&1
  rc=$?
  cp $W/doctor-good.txt /out/
  fails=$(grep '^FAIL' $W/doctor-good.txt)
  boot=""
  for f in $P1 $P2; do
    [ "$(cat /sys/bus/pci/devices/$f/boot_vga 2>/dev/null)" = 1 ] && boot="$boot $f"
  done
  if grep -Eq '^PASS +unit-viable +2 passthrough units' $W/doctor-good.txt &&
    grep -Eq '^PASS +(pod-resources|cdi-advertised|vfio-modules|vfio-mode) ' $W/doctor-good.txt &&
    ! echo "$fails" | grep -v '^FAIL  *host-display ' | grep -q .; then
    pass "f2-doctor-passes-on-good-pairs ($(tail -n 1 $W/doctor-good.txt))"
  else
    fail "f2-doctor-passes-on-good-pairs: exit $rc; $(grep -v '^PASS' $W/doctor-good.txt | tr '\n' ';' | head -c 600)"
  fi
  # host-display: FAIL exactly for the functions whose boot_vga reads 1.
  named=$(echo "$fails" | sed -n 's/^FAIL  *host-display  *\([0-9a-f:.]*\) drives the host console.*/\1/p' | tr '\n' ' ')
  if [ " $named" = "$boot " ] || { [ -z "$boot" ] && [ -z "$named" ]; }; then
    pass "f3-doctor-host-display-is-kernels-boot-vga (boot_vga=1:${boot:- none}; exit $rc)"
  else
    fail "f3-doctor-host-display-is-kernels-boot-vga: kernel boot_vga=1 [$boot], doctor names [$named]"
  fi
  to_host $A2 snd_hda_intel
fi

if want e || want g; then
  modprobe mbochs && modprobe mtty || fail "e1/g: modprobe mbochs/mtty"
fi
if want e; then
  # The samples' parents are virtual devices, not PCI functions.
  ls /sys/class/mdev_bus >$W/mdev-kernel.txt
  if inhost "$(bin vgpuctl)" discover --host-root / --json >$W/discover-mdev.json 2>$W/discover-mdev.err; then
    ours=$(inhost jq -r '.mdevParents[] | "\(.name) isPci=\(.isPci) \([.types[].id] | sort | join(","))"' /run/lab/discover-mdev.json | sort)
    kern=$(for p in $(ls /sys/class/mdev_bus | sort); do echo "$p isPci=false $(ls /sys/class/mdev_bus/$p/mdev_supported_types | sort | tr '\n' ',' | sed 's/,$//')"; done)
    if [ "$ours" = "$kern" ]; then
      pass "e1-discover-non-pci-mdev-parents ($(echo $kern))"
    else
      fail "e1-discover-non-pci-mdev-parents: kernel [$kern] ours [$ours] problems $(inhost jq -c .problems /run/lab/discover-mdev.json | head -c 300)"
    fi
  else
    fail "e1-discover-non-pci-mdev-parents: vgpuctl discover failed: $(head -c 300 $W/discover-mdev.err)"
  fi
fi

if want e; then
  # Instances made with the kernel's own interface (echo UUID > create):
  # discovery reports each with the kernel's parent, type, group and driver.
  u1=$(cat /proc/sys/kernel/random/uuid) u2=$(cat /proc/sys/kernel/random/uuid)
  echo $u1 >/sys/class/mdev_bus/mbochs/mdev_supported_types/mbochs-medium/create &&
    echo $u2 >/sys/class/mdev_bus/mtty/mdev_supported_types/mtty-1/create ||
    fail "e2: creating mdevs through sysfs"
  stamp "mdevs created"
  kern=$(for d in /sys/bus/mdev/devices/*; do
    real=$(readlink -f $d)
    echo "$(basename $d) parent=$(basename $(dirname $real)) type=$(basename $(readlink $d/mdev_type)) group=$(basename $(readlink $d/iommu_group)) driver=$(basename $(readlink $d/driver))"
  done | sort)
  if inhost "$(bin vgpuctl)" discover --host-root / --json >$W/discover-mdev2.json 2>$W/discover-mdev.err; then
    ours=$(inhost jq -r '.mdevs[] | "\(.uuid) parent=\(.parent) type=\(.typeId) group=\(.iommuGroup) driver=\(.driver)"' /run/lab/discover-mdev2.json | sort)
    if [ "$ours" = "$kern" ] && [ -n "$kern" ]; then
      pass "e2-discover-mdev-instances ($(echo "$kern" | cut -d' ' -f2- | tr '\n' ';'))"
    else
      fail "e2-discover-mdev-instances: kernel [$(echo "$kern" | tr '\n' ';')] ours [$(echo "$ours" | tr '\n' ';')]"
    fi
  else
    fail "e2-discover-mdev-instances: vgpuctl discover failed: $(head -c 300 $W/discover-mdev.err)"
  fi
  if [ -n "$daemon_pid" ]; then
    # The running daemon picks them up (kind: vgpu rule) and its CDI spec
    # names each instance's real group node.
    mgroups=$(for d in /sys/bus/mdev/devices/*; do basename $(readlink $d/iommu_group); done)
    if waitfor 60 grep -q "^resource $MRES: 2 devices, 2 healthy" $W/emulator.out; then
      missing=""
      for g in $mgroups; do
        [ -c /dev/vfio/$g ] && grep -qs "\"/dev/vfio/$g\"" $W/cdi/*.json || missing="$missing /dev/vfio/$g"
      done
      if [ -z "$missing" ]; then
        pass "e3-daemon-advertises-mdevs ($MRES: 2 healthy, CDI names$(printf ' /dev/vfio/%s' $mgroups))"
      else
        fail "e3-daemon-advertises-mdevs: CDI specs lack or devices miss:$missing"
      fi
    else
      fail "e3-daemon-advertises-mdevs: kubelet sees $(grep "^resource $MRES" $W/emulator.out | tail -n 1); daemon: $(grep -i mdev $W/daemon.log | tail -n 3 | tr '\n' ';')"
    fi
  fi
fi

# The kernel's mdev instances, one "uuid parent type" line each, sorted.
kernel_mdevs() {
  for d in /sys/bus/mdev/devices/*; do
    [ -e "$d" ] || continue
    echo "$(basename $d) $(basename $(dirname $(readlink -f $d))) $(basename $(readlink $d/mdev_type))"
  done | sort
}
apply_layout() { # layout, output file[, env...]: vgpuctl apply --json; its exit code
  name=$1 out=$2
  shift 2
  inhost env "$@" "$(bin vgpuctl)" apply --vgpu-config-file /run/lab/layouts.yaml \
    --layout $name --host-root / --state-dir /run/lab/state \
    --pod-resources-socket /run/lab/pod-resources.sock --json >$W/$out 2>$W/$out.err
}
steps() { # output file, jq filter on each step: one line per step
  inhost jq -r ".steps[] | $2" /run/lab/$1 2>/dev/null
}
if want g; then
  # The layout engine on the samples' real mdevs. Start from no instance.
  for d in /sys/bus/mdev/devices/*; do [ -e $d/remove ] && echo 1 >$d/remove; done
  mkdir -p $W/state $W/hook
  cat >$W/layouts.yaml <<'YAML'
version: v1
vgpu-configs:
  lab:
    - mdevParents: [mbochs]
      vgpu-devices: {mbochs-medium: 2}
    - mdevParents: [mtty]
      vgpu-devices: {mtty-1: 2}
  lab-shrunk:
    - mdevParents: [mbochs]
      vgpu-devices: {mbochs-medium: 0}
    - mdevParents: [mtty]
      vgpu-devices: {mtty-1: 1}
  lab-pool:
    - mdevParents: [mbochs]
      vgpu-devices: {mbochs-large: 4, mbochs-medium: 1}
  none:
    - mdevParents: [mbochs, mtty]
      vgpu-devices: {}
YAML
  apply_layout lab apply-1.json
  rc=$?
  kernel_mdevs >$W/mdevs-1.txt
  created=$(steps apply-1.json 'select(.action == "create" and .result == "ok") | .device' | sort | tr '\n' ' ')
  listed=$(cut -d' ' -f1 $W/mdevs-1.txt | tr '\n' ' ')
  if [ $rc -eq 0 ] && [ "$(grep -c ' mbochs mbochs-medium$' $W/mdevs-1.txt)" = 2 ] &&
    [ "$(grep -c ' mtty mtty-1$' $W/mdevs-1.txt)" = 2 ] && [ "$(wc -l <$W/mdevs-1.txt)" = 4 ] &&
    [ "$created" = "$listed" ]; then
    pass "g1-apply-creates-real-mdevs (4 created, the kernel lists exactly them: $(cut -d' ' -f2- $W/mdevs-1.txt | sort | uniq -c | tr -s ' ' | tr '\n' ';'))"
  else
    fail "g1-apply-creates-real-mdevs: exit $rc; kernel [$(tr '\n' ';' <$W/mdevs-1.txt)] created [$created]; $(head -c 400 $W/apply-1.json)"
  fi
  stamp "layout applied"

  apply_layout lab apply-2.json
  rc=$?
  n=$(inhost jq '.steps | length' /run/lab/apply-2.json 2>/dev/null)
  if [ $rc -eq 0 ] && [ "$n" = 0 ] && kernel_mdevs | cmp -s - $W/mdevs-1.txt; then
    pass "g2-apply-again-writes-nothing (exit 0, 0 steps)"
  else
    fail "g2-apply-again-writes-nothing: exit $rc, $n steps; $(head -c 400 $W/apply-2.json)"
  fi

  # A "reboot" of the parents: the instances vanish with their driver.
  rmmod mbochs mtty
  gone=$(kernel_mdevs | wc -l)
  modprobe mbochs && modprobe mtty
  apply_layout lab apply-3.json
  rc=$?
  if [ $rc -eq 0 ] && [ "$gone" = 0 ] && kernel_mdevs | cmp -s - $W/mdevs-1.txt; then
    pass "g3-parent-reload-same-uuids (rmmod left $gone instances; apply brought back the same 4 UUIDs)"
  else
    fail "g3-parent-reload-same-uuids: exit $rc, $gone left after rmmod; now [$(kernel_mdevs | tr '\n' ';')] want [$(tr '\n' ';' <$W/mdevs-1.txt)]"
  fi

  # A nested QEMU holds one of our mbochs instances (sysfsdev=) while the
  # layout shrinks: that one stays, the others go; once QEMU quits it goes.
  held=$(grep ' mbochs mbochs-medium$' $W/mdevs-1.txt | head -n 1 | cut -d' ' -f1)
  rm -f $W/qemu-in
  mkfifo $W/qemu-in
  chroot /host qemu-system-x86_64 -machine q35 -accel tcg -m 128 -nodefaults \
    -display none -S -monitor stdio \
    -device vfio-pci,sysfsdev=/sys/bus/mdev/devices/$held <$W/qemu-in >$W/qemu-mdev.txt 2>&1 &
  qemu_pid=$!
  exec 4>$W/qemu-in
  echo "info qtree" >&4
  if waitfor 120 grep -q "sysfsdev = \"/sys/bus/mdev/devices/$held\"" $W/qemu-mdev.txt; then
    pass "g5-nested-qemu-realizes-sysfsdev ($(grep -m1 'sysfsdev = ' $W/qemu-mdev.txt | tr -s ' '))"
  else
    fail "g5-nested-qemu-realizes-sysfsdev: $(grep -v '^ ' $W/qemu-mdev.txt | tail -n 3 | tr '\n' ';')"
  fi
  cp $W/qemu-mdev.txt /out/
  apply_layout lab-shrunk apply-4.json
  rc=$?
  still=$(kernel_mdevs | tr '\n' ';')
  blocked=$(inhost jq -r '.plan[] | select(.action == "blocked") | .device + ": " + .reason' /run/lab/apply-4.json 2>/dev/null)
  removed=$(steps apply-4.json 'select(.action == "remove" and .result == "ok") | .device' | wc -l)
  if [ $rc -eq 3 ] && kernel_mdevs | grep -q "^$held mbochs " && [ "$(kernel_mdevs | wc -l)" = 2 ] &&
    [ "$removed" = 2 ] && echo "$blocked" | grep -q "^$held: .*in use"; then
    echo quit >&4
    exec 4>&-
    wait $qemu_pid
    apply_layout lab-shrunk apply-5.json
    rc5=$?
    if [ $rc5 -eq 0 ] && ! kernel_mdevs | grep -q "^$held " && [ "$(kernel_mdevs | wc -l)" = 1 ]; then
      pass "g4-held-instance-not-removed (exit 3, $held kept while QEMU held it (\"$(echo "$blocked" | sed 's/^[^:]*: //; s/.* but //' | head -c 80)\"), removed once QEMU quit)"
    else
      fail "g4-held-instance-not-removed: after QEMU quit: exit $rc5, [$(kernel_mdevs | tr '\n' ';')]"
    fi
  else
    echo quit >&4
    exec 4>&-
    wait $qemu_pid
    fail "g4-held-instance-not-removed: exit $rc, $removed removed, [$still], blocked [$blocked]; $(head -c 300 $W/apply-4.json)"
  fi
  stamp "held-open shrink done"

  # The kernel's errnos reach the operator with the path. ENOSPC: mbochs's
  # types share one pool; each type's available_instances, read before the
  # run, fits alone, but not both together.
  apply_layout lab-pool apply-6.json
  rc=$?
  nospc=$(steps apply-6.json 'select(.errno == "ENOSPC") | .path + ": " + .result')
  if [ $rc -eq 3 ] && echo "$nospc" | grep -q "mbochs-medium/create: .*No space left on device (ENOSPC)"; then
    pass "g6-enospc-reaches-operator (exit 3; $(echo "$nospc" | head -n 1 | head -c 160))"
  else
    fail "g6-enospc-reaches-operator: exit $rc; $(head -c 500 $W/apply-6.json)"
  fi
  apply_layout none apply-7.json # frees the pool

  # EEXIST: between apply's observation and its write (held by the hook),
  # the UUID it is about to create appears on the other parent.
  hook="LD_PRELOAD=$labcache/write_hook.so VGPU_LAB_HOOK_DIR=/run/lab/hook ASAN_OPTIONS=verify_asan_link_order=0"
  inhost "$(bin vgpuctl)" plan --vgpu-config-file /run/lab/layouts.yaml --layout lab \
    --host-root / --state-dir /run/lab/state \
    --pod-resources-socket /run/lab/pod-resources.sock --json >$W/plan-lab.json 2>$W/plan-lab.err
  first=$(inhost jq -r '[.actions[] | select(.action == "create")][0] | .device + " " + .path' /run/lab/plan-lab.json)
  uuid=${first%% *} path=${first#* }
  rm -f $W/hook/held
  touch $W/hook/hold
  apply_layout lab apply-8.json $hook &
  apply_pid=$!
  waitfor 120 test -e $W/hook/held
  echo $uuid >/sys/class/mdev_bus/mtty/mdev_supported_types/mtty-1/create
  rm -f $W/hook/hold
  wait $apply_pid
  rc=$?
  err=$(inhost jq -r '.error // ""' /run/lab/apply-8.json 2>/dev/null)
  if [ $rc -eq 1 ] && echo "$err" | grep -q "/$path: File exists (EEXIST)\|$path: File exists (EEXIST)"; then
    apply_layout lab apply-9.json
    rc9=$?
    if [ $rc9 -eq 0 ] && kernel_mdevs | grep -q "^$uuid mtty mtty-1$"; then
      pass "g7-eexist-reaches-operator (exit 1: $(echo "$err" | head -c 150); the next apply converges around the hand-made $uuid)"
    else
      fail "g7-eexist-reaches-operator: next apply exit $rc9; [$(kernel_mdevs | tr '\n' ';')]"
    fi
  else
    fail "g7-eexist-reaches-operator: exit $rc, error [$err], planned [$first]; $(head -c 300 $W/plan-lab.err) $(head -c 400 $W/apply-8.json)"
  fi
  rm -f $W/hook/hold

  # EINVAL: the hook writes a malformed UUID in place of one of ours.
  lost=$(inhost jq -r '.steps[] | select(.action == "create" and .parent == "mtty") | .device' /run/lab/apply-9.json 2>/dev/null | head -n 1)
  [ -n "$lost" ] || lost=$(kernel_mdevs | grep ' mtty mtty-1$' | grep -v "^$uuid " | head -n 1 | cut -d' ' -f1)
  echo 1 >/sys/bus/mdev/devices/$lost/remove
  printf '%s' "not-a-uuid" >$W/hook/garble
  apply_layout lab apply-10.json $hook
  rc=$?
  rm -f $W/hook/garble
  err=$(inhost jq -r '.error // ""' /run/lab/apply-10.json 2>/dev/null)
  apply_layout lab apply-11.json
  rc11=$?
  if [ $rc -eq 1 ] && echo "$err" | grep -q "mtty-1/create: Invalid argument (EINVAL)" &&
    [ $rc11 -eq 0 ] && kernel_mdevs | grep -q "^$lost mtty mtty-1$"; then
    pass "g8-einval-reaches-operator (exit 1: $(echo "$err" | head -c 150); then $lost came back)"
  else
    fail "g8-einval-reaches-operator: exit $rc, error [$err]; next apply exit $rc11; [$(kernel_mdevs | tr '\n' ';')]"
  fi
  # The layout wants nothing: every instance of ours goes, the hand-made
  # one of g7 stays (blocked: not created by us).
  apply_layout none apply-12.json
  rc=$?
  left=$(kernel_mdevs | tr '\n' ';')
  if [ $rc -eq 3 ] && [ "$left" = "$uuid mtty mtty-1;" ]; then
    pass "g9-hand-made-never-removed (exit 3; left: $left)"
  else
    fail "g9-hand-made-never-removed: exit $rc; left [$left], hand-made $uuid; $(head -c 300 $W/apply-12.json)"
  fi
  cp $W/apply-*.json $W/mdevs-1.txt /out/ 2>/dev/null
  stamp "layout engine done"
fi

# iommufd and VFIO cdev (run.sh --variant iommufd: the 6.12 kernel with
# iommufd.ko and VFIO cdev; never part of "all").
if named i && [ -n "$daemon_pid" ]; then
  nested_qemu="$labcache/qemu10/usr/bin/qemu-system-x86_64 -L $labcache/qemu10/usr/share/qemu -L /usr/share/seabios"
  cdev_of() { # the function's vfio cdev name from sysfs, or null
    for c in /sys/bus/pci/devices/$1/vfio-dev/vfio*; do
      [ -e "$c/dev" ] && { basename $c; return; }
    done
    echo null
  }
  kern=$(for f in $P1 $A1 $P2 $A2; do echo "$f $(cdev_of $f)"; done)
  bad=""
  for f in $P1 $A1 $P2; do
    c=$(cdev_of $f)
    [ "$c" != null ] || { bad="$bad $f:no-cdev"; continue; }
    want_dev=$(cat /sys/bus/pci/devices/$f/vfio-dev/$c/dev)
    got=$(stat -c '%t:%T' /dev/vfio/devices/$c 2>/dev/null)
    [ -c /dev/vfio/devices/$c ] && [ "$(printf '%d:%d' 0x${got%:*} 0x${got#*:})" = "$want_dev" ] ||
      bad="$bad /dev/vfio/devices/$c!=$want_dev"
  done
  if inhost "$(bin vgpuctl)" discover --host-root / --json >$W/discover-iommufd.json 2>$W/discover-iommufd.err; then
    ours=$(for f in $P1 $A1 $P2 $A2; do
      inhost jq -r --arg f $f '.functions[] | select(.bdf == $f) | "\(.bdf) \(.vfioCdev // "null")"' /run/lab/discover-iommufd.json
    done)
    fd=$(inhost jq -r .iommufd /run/lab/discover-iommufd.json)
    if [ -z "$bad" ] && [ -c /dev/iommu ] && [ "$fd" = true ] && [ "$ours" = "$kern" ]; then
      pass "i1-discover-vfio-cdevs ($(echo "$kern" | tr '\n' ';') /dev/iommu present, iommufd=$fd)"
    else
      fail "i1-discover-vfio-cdevs: kernel [$(echo "$kern" | tr '\n' ';')] ours [$(echo "$ours" | tr '\n' ';')] iommufd=$fd /dev/iommu $([ -c /dev/iommu ] && echo yes || echo no);$bad"
    fi
  else
    fail "i1-discover-vfio-cdevs: vgpuctl discover failed: $(head -c 300 $W/discover-iommufd.err)"
  fi
  # The CDI spec and Allocate hand over pair 1's cdevs: no group node, no
  # legacy container, and no /dev/iommu (kata.vmmInContainer is off).
  c1=/dev/vfio/devices/$(cdev_of $P1) c2=/dev/vfio/devices/$(cdev_of $A1)
  nodes=$(cat $W/cdi/*.json 2>/dev/null | grep -o '"/dev/[^"]*"' | tr -d '"' | sort -u | tr '\n' ' ')
  alloc=$(grep '^    device ' $W/emulator.out | awk '{ print $2 }' | tr '\n' ' ')
  case " $nodes" in *" $c1 "*) ok_cdi=1 ;; *) ok_cdi=0 ;; esac
  case " $nodes" in *" $c2 "*) ;; *) ok_cdi=0 ;; esac
  case " $nodes" in *" /dev/vfio/$g1 "* | *" /dev/iommu "*) ok_cdi=0 ;; esac
  if [ $ok_cdi = 1 ] && [ "$alloc" = "$c1 $c2 " ]; then
    pass "i2-cdi-and-allocate-use-cdevs (CDI: $nodes; Allocate: $alloc)"
  else
    fail "i2-cdi-and-allocate-use-cdevs: CDI [$nodes] Allocate [$alloc], want $c1 $c2 without /dev/vfio/$g1, /dev/vfio/vfio or /dev/iommu"
  fi
  # The cold-plug plan goes through iommufd, and QEMU 10 realizes it.
  plan >$W/plan-iommufd.json 2>$W/plan-iommufd.err
  cp $W/plan-iommufd.json /out/ 2>/dev/null
  set -- $(inhost jq -r '.qemuArgs[]' /run/lab/plan-iommufd.json 2>/dev/null)
  funcs=$(inhost jq -r '.functions[].bdf' /run/lab/plan-iommufd.json 2>/dev/null)
  case " $* " in *" iommufd,id="*) has_fd=1 ;; *) has_fd=0 ;; esac
  if [ $# -eq 0 ] || [ -z "$funcs" ] || [ $has_fd = 0 ]; then
    fail "i3-nested-qemu10-realizes-iommufd-plan: plan [$*] $(head -c 300 $W/plan-iommufd.err)"
  else
    nested "$@" >$W/qemu-iommufd.txt
    cp $W/qemu-iommufd.txt /out/
    missing=$(unrealized $W/qemu-iommufd.txt $funcs)
    # Every vfio-pci device goes through the iommufd object (QEMU 10 then
    # opens /dev/iommu and the cdevs instead of the group).
    nofd=$(for a in "$@"; do case $a in vfio-pci,*) case $a in *,iommufd=*) ;; *) echo "$a" ;; esac ;; esac; done)
    if [ -z "$missing" ] && [ -z "$nofd" ]; then
      pass "i3-nested-qemu10-realizes-iommufd-plan ($(echo $funcs) with: $*)"
    else
      fail "i3-nested-qemu10-realizes-iommufd-plan: not realized:$missing; without iommufd: $nofd; QEMU: $(grep -v '^ ' $W/qemu-iommufd.txt | tail -n 3 | tr '\n' ';')"
    fi
  fi
  stamp "iommufd done"
fi

# SR-IOV (run.sh --variant sriov: QEMU 10's igb, never part of "all").
if named s; then
  modprobe igb && modprobe igbvf || fail "s: modprobe igb/igbvf"
  PF=""
  for d in /sys/bus/pci/devices/*; do
    [ -e $d/sriov_totalvfs ] && [ "$(cat $d/vendor)" = 0x8086 ] && { PF=$(basename $d); break; }
  done
  enable_vfs() { inhost "$labbin/test/lab-enable-vfs" / $PF "$@"; }
  if [ -z "$PF" ]; then
    fail "s1-enable-vfs-through-boundary: no igb SR-IOV function in the guest"
  else
    total=$(cat /sys/bus/pci/devices/$PF/sriov_totalvfs)
    range=$(enable_vfs 99)
    out=$(enable_vfs)
    busy=$(enable_vfs 3)
    links=$(ls /sys/bus/pci/devices/$PF | grep -c '^virtfn')
    if echo "$range" | grep -q "sriov_numvfs: Numerical result out of range (ERANGE)" &&
      [ "$out" = "ok sys/bus/pci/devices/$PF/sriov_numvfs $total" ] &&
      [ "$(cat /sys/bus/pci/devices/$PF/sriov_numvfs)" = "$total" ] && [ "$links" = "$total" ] &&
      echo "$busy" | grep -q "Device or resource busy (EBUSY)"; then
      pass "s1-enable-vfs-through-boundary ($PF: $out; $links virtfn links; 99: ERANGE; 3 while $total: EBUSY)"
    else
      fail "s1-enable-vfs-through-boundary: 99 [$range] enable [$out] 3 [$busy] numvfs $(cat /sys/bus/pci/devices/$PF/sriov_numvfs), $links links"
    fi
    stamp "VFs enabled"
    # Discovery against the kernel: the PF's VFs in virtfn order, each with
    # its physfn, its own IOMMU group and its driver.
    kern=$(i=0; while [ -e /sys/bus/pci/devices/$PF/virtfn$i ]; do
      vf=$(basename $(readlink /sys/bus/pci/devices/$PF/virtfn$i))
      echo "$vf physfn=$(basename $(readlink /sys/bus/pci/devices/$vf/physfn)) group=$(basename $(readlink /sys/bus/pci/devices/$vf/iommu_group)) driver=$(drv $vf)"
      i=$((i + 1))
    done)
    if inhost "$(bin vgpuctl)" discover --host-root / --json >$W/discover-sriov.json 2>$W/discover-sriov.err; then
      ours=$(inhost jq -r --arg pf $PF '(.functions[] | select(.bdf == $pf) | .virtfns) as $v
        | $v[] as $b | .functions[] | select(.bdf == $b)
        | "\(.bdf) physfn=\(.physfn) group=\(.iommuGroup) driver=\(.driver // "null")"' /run/lab/discover-sriov.json)
      groups=$(echo "$kern" | sed 's/.*group=\([0-9]*\).*/\1/' | sort -u | wc -l)
      if [ -n "$kern" ] && [ "$ours" = "$kern" ] && [ "$groups" = "$total" ]; then
        pass "s2-discover-vfs-match-kernel ($total VFs, $groups groups: $(echo "$kern" | head -n 2 | tr '\n' ';')...)"
      else
        fail "s2-discover-vfs-match-kernel: kernel [$(echo "$kern" | tr '\n' ';')] ours [$(echo "$ours" | tr '\n' ';')]"
      fi
    else
      fail "s2-discover-vfs-match-kernel: vgpuctl discover failed: $(head -c 300 $W/discover-sriov.err)"
    fi
    # A VF on vfio-pci, passed to the nested QEMU.
    vf0=$(basename $(readlink /sys/bus/pci/devices/$PF/virtfn0))
    to_vfio $vf0
    nested -device pcie-root-port,id=rp0,bus=pcie.0,chassis=1 \
      -device vfio-pci,host=$vf0,bus=rp0 >$W/qemu-vf.txt
    cp $W/qemu-vf.txt /out/
    if grep -q "host = \"$vf0\"" $W/qemu-vf.txt; then
      pass "s3-nested-qemu-realizes-vf ($vf0 on $(drv $vf0), group $(basename $(readlink /sys/bus/pci/devices/$vf0/iommu_group)): $(sed -n "/host = \"$vf0\"/,/pci id/s/.*\(class [^,]*\).*\(pci id [0-9a-f:]*\).*/\1 \2/p" $W/qemu-vf.txt | head -n 1))"
    else
      fail "s3-nested-qemu-realizes-vf: $(grep -v '^ ' $W/qemu-vf.txt | tail -n 3 | tr '\n' ';')"
    fi
    # Disabled again through the boundary while VF0 is on vfio-pci.
    out=$(enable_vfs 0)
    if [ "$out" = "ok sys/bus/pci/devices/$PF/sriov_numvfs 0" ] &&
      ! ls /sys/bus/pci/devices/$PF | grep -q '^virtfn' && [ ! -e /sys/bus/pci/devices/$vf0 ]; then
      pass "s4-disable-vfs-through-boundary ($out: the VFs are gone)"
    else
      fail "s4-disable-vfs-through-boundary: [$out], $(ls /sys/bus/pci/devices/$PF | grep -c '^virtfn') virtfn links left"
    fi
  fi
  stamp "SR-IOV done"
fi

[ -n "$daemon_pid" ] && { kill $emulator_pid $daemon_pid; wait; } 2>/dev/null
cp $W/*.log $W/emulator.out $W/*.json /out/ 2>/dev/null
stamp "done"
echo DONE >>$R
