#!/usr/bin/env bash
# chart-mounts.sh VGPUCTL SIMHOST: the daemon sees through the chart's mounts
# what it would see with the whole host.
#
# For the rendered chart (defaults, and vgpuManagement on) and for
# deploy/daemonset.yaml, the DaemonSet's hostPath mounts under /host are
# mapped onto a copy of a simulated host: hostPath P mounted at /host/X
# becomes VIEW/X = HOST/P. `vgpuctl discover --json` on VIEW must equal
# discover on the whole HOST, for a legacy VFIO profile (workstation) and an
# iommufd one (h100-hgx, where /dev/iommu decides which VFIO nodes the CDI
# specs name). A chart that mounted only /dev/vfio would lose /dev/iommu and
# fail here. The doctor init container gets the same treatment (its own
# mounts and flags), comparing the host checks of `vgpuctl doctor`.
set -euo pipefail
vgpuctl=${1:?usage: chart-mounts.sh VGPUCTL SIMHOST}
simhost=${2:?usage: chart-mounts.sh VGPUCTL SIMHOST}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [[ ! -x $root/.tools/bin/helm || ! -d $root/.tools/npm/node_modules ]]; then
  bash "$root/scripts/install-tools.sh"
fi
ln -sfn "$root/.tools/npm/node_modules" "$here/node_modules"
helm="$root/.tools/bin/helm"
chart="$root/charts/vgpu-device-plugin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints "hostPath<TAB>mountPath" for each hostPath volume the DaemonSet's
# container mounts.
mounts_of() {
  node --input-type=module -e '
    import { loadObjects } from "'"$here"'/load.mjs";
    const ds = loadObjects("-").objects.map((o) => o.value).find((o) => o.kind === "DaemonSet");
    const pod = ds.spec.template.spec;
    const vols = Object.fromEntries(pod.volumes.map((v) => [v.name, v]));
    for (const m of pod.containers[0].volumeMounts) {
      const hp = vols[m.name]?.hostPath?.path;
      if (hp) console.log(`${hp}\t${m.mountPath}`);
    }'
}

"$helm" template vgpu "$chart" >"$work/chart-default.yaml"
"$helm" template vgpu "$chart" -f "$here/values/vgpu-management.yaml" \
  >"$work/chart-management.yaml"
cp "$root/deploy/daemonset.yaml" "$work/deploy.yaml"

fails=0
for profile in workstation h100-hgx; do
  host="$work/host-$profile"
  "$simhost" --profile "$profile" --out "$host" >/dev/null
  "$vgpuctl" discover --host-root "$host" --json | sed "s|$host|ROOT|g" \
    >"$work/want.json"
  for manifest in chart-default chart-management deploy; do
    view="$work/view-$profile-$manifest"
    mkdir -p "$view"
    while IFS=$'\t' read -r hostpath mountpath; do
      [[ $mountpath == /host/* ]] || continue
      [[ -e $host$hostpath ]] || continue
      mkdir -p "$view${mountpath#/host}"
      cp -a "$host$hostpath/." "$view${mountpath#/host}/"
    done < <(mounts_of <"$work/$manifest.yaml")
    "$vgpuctl" discover --host-root "$view" --json | sed "s|$view|ROOT|g" \
      >"$work/got.json"
    if cmp -s "$work/want.json" "$work/got.json"; then
      echo "PASS $profile through $manifest mounts"
    else
      echo "FAIL $profile through $manifest mounts: discover differs"
      diff -u "$work/want.json" "$work/got.json" | head -40 || true
      fails=$((fails + 1))
    fi
  done
done
# The doctor init container: through its mounts (hostPath P at /host/X ->
# VIEW/X = HOST/P) and with its own flags (/host -> VIEW), the real
# `vgpuctl doctor` accepts every flag (exit 0 or 1, never 2) and sees the
# host's IOMMU groups, VFIO nodes and units as on the whole host.
doctor_of() {
  node --input-type=module -e '
    import { loadObjects } from "'"$here"'/load.mjs";
    const ds = loadObjects("-").objects.map((o) => o.value).find((o) => o.kind === "DaemonSet");
    const pod = ds.spec.template.spec;
    const vols = Object.fromEntries(pod.volumes.map((v) => [v.name, v]));
    const d = (pod.initContainers ?? []).find((c) => c.name === "doctor");
    if (!d) process.exit(3);
    const what = process.argv[1];
    if (what === "mounts") {
      for (const m of d.volumeMounts) {
        const hp = vols[m.name]?.hostPath?.path;
        if (hp) console.log(`${hp}\t${m.mountPath}`);
      }
    } else {
      for (const a of d.args) console.log(a);
    }' "$1"
}
for manifest in chart-default deploy; do
  host="$work/host-workstation"
  view="$work/doctor-$manifest"
  mkdir -p "$view"
  while IFS=$'\t' read -r hostpath mountpath; do
    [[ $mountpath == /host/* && -e $host$hostpath ]] || continue
    mkdir -p "$(dirname "$view${mountpath#/host}")"
    cp -a "$host$hostpath" "$view${mountpath#/host}"
  done < <(doctor_of mounts <"$work/$manifest.yaml")
  mapfile -t args < <(doctor_of args <"$work/$manifest.yaml" | sed "s|=/host|=$view|")
  rc=0
  "$vgpuctl" doctor "${args[@]}" >"$work/doctor.txt" 2>&1 || rc=$?
  want="$("$vgpuctl" doctor --host-root "$host" 2>&1 | grep -E '^(PASS|FAIL|WARN)  (iommu-groups|vfio-modules|unit-viable|host-display|vfio-mode) ' || true)"
  got="$(grep -E '^(PASS|FAIL|WARN)  (iommu-groups|vfio-modules|unit-viable|host-display|vfio-mode) ' "$work/doctor.txt" || true)"
  if [[ $rc -le 1 && -n $want && $want == "$got" ]]; then
    echo "PASS doctor through $manifest init container mounts and flags"
  else
    echo "FAIL doctor through $manifest init container (exit $rc)"
    sed 's/^/    /' "$work/doctor.txt" | head -20
    diff <(echo "$want") <(echo "$got") | head -20 || true
    fails=$((fails + 1))
  fi
done
((fails == 0))
