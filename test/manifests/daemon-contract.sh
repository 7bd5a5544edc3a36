#!/usr/bin/env bash
# daemon-contract.sh DAEMON: what the chart and deploy/ hand the daemon, the
# built daemon accepts.
#  1. Flags: runs DAEMON with the exact container args of the rendered
#     DaemonSets (chart defaults, a value set with extraArgs, vgpuManagement,
#     and deploy/daemonset.yaml) plus --version; flag parsing rejects an unknown
#     flag before --version exits.
#  2. Config: starts DAEMON on an empty simulated host (temp dirs only) with
#     the config.yaml of every chart value set that generates one and of
#     deploy/configmap.yaml, waits (polling, 20 s deadline) until it logs its
#     "effective config" (config.h: logged at startup) or exits, then stops
#     it. An exit before that line is a rejected config. A config with
#     vgpu.manage (vgpuManagement) must also get the reconcile started
#     ("managing the vGPU layout"), with a temp --state-dir and, when it
#     names vgpu.configFile, the chart's layouts ConfigMap written there.
set -euo pipefail
daemon=${1:?usage: daemon-contract.sh PATH-TO-vgpu-device-plugin}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [[ ! -x $root/.tools/bin/helm || ! -d $root/.tools/npm/node_modules ]]; then
  bash "$root/scripts/install-tools.sh"
fi
ln -sfn "$root/.tools/npm/node_modules" "$here/node_modules"
helm="$root/.tools/bin/helm"
chart="$root/charts/vgpu-device-plugin"

# Prints the DaemonSet container's args, one per line.
args_of() {
  node --input-type=module -e '
    import { loadObjects } from "'"$here"'/load.mjs";
    const ds = loadObjects("-").objects.map((o) => o.value).find((o) => o.kind === "DaemonSet");
    for (const a of ds.spec.template.spec.containers[0].args) console.log(a);'
}

fails=0
run_case() {
  local name=$1 out
  local -a args
  mapfile -t args
  if out=$("$daemon" "${args[@]}" --version 2>&1) && [[ $out == *vgpu-device-plugin* ]]; then
    echo "PASS $name: ${args[*]}"
  else
    echo "FAIL $name: $daemon ${args[*]} --version"
    echo "$out" | sed 's/^/    /'
    fails=$((fails + 1))
  fi
}
# Prints the config.yaml of the ConfigMap in the YAML on stdin.
config_of() {
  node --input-type=module -e '
    import { loadObjects } from "'"$here"'/load.mjs";
    const cm = loadObjects("-").objects.map((o) => o.value).find((o) => o.kind === "ConfigMap");
    process.stdout.write(cm.data["config.yaml"]);'
}
# Prints the vgpu-device-manager file of the chart's layouts ConfigMap, if any.
layouts_of() {
  node --input-type=module -e '
    import { loadObjects } from "'"$here"'/load.mjs";
    const cm = loadObjects("-").objects.map((o) => o.value)
      .find((o) => o.kind === "ConfigMap" && o.metadata.name.endsWith("-vgpu-layouts"));
    if (cm) process.stdout.write(cm.data["config.yaml"]);'
}

work=$(mktemp -d)
pid=
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  true
  rm -rf "$work"
}
trap cleanup EXIT

# config_case NAME: the config file on stdin must get the daemon started.
config_case() {
  local name=$1 dir="$work/${1//[^A-Za-z0-9]/_}"
  mkdir -p "$dir/host/sys" "$dir/host/dev/vfio" "$dir/plugins" "$dir/cdi"
  cat >"$dir/config.yaml"
  local ready="effective config"
  grep -q '^  manage: true$' "$dir/config.yaml" && ready="managing the vGPU layout"
  if [[ -s $dir/layouts.yaml ]]; then
    sed -i "s|^  configFile: .*|  configFile: $dir/layouts.yaml|" "$dir/config.yaml"
  fi
  : >"$dir/log"
  "$daemon" --host-root="$dir/host" --device-plugin-dir="$dir/plugins" --cdi-dir="$dir/cdi" \
    --pod-resources-socket="$dir/absent.sock" --metrics-address=127.0.0.1:0 \
    --config="$dir/config.yaml" --state-dir="$dir/state" >"$dir/log" 2>&1 &
  pid=$!
  local deadline=$((SECONDS + 20)) started=0
  while ((SECONDS < deadline)); do
    if grep -q "$ready" "$dir/log"; then started=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    read -r -t 0.1 <> <(:) || true  # 100 ms pause without sleep(1)
  done
  kill "$pid" 2>/dev/null || true   # it may have exited already
  wait "$pid" 2>/dev/null || true   # its status is judged by the log line
  pid=
  if ((started)); then
    echo "PASS config $name"
  else
    echo "FAIL config $name: the daemon did not start with this config"
    sed 's/^/    /' "$dir/config.yaml" "$dir/log"
    fails=$((fails + 1))
  fi
}

# Both case kinds read stdin; process substitution keeps them in this shell.
run_case "chart defaults" < <("$helm" template vgpu "$chart" | args_of)
run_case "chart custom-scheduling" \
  < <("$helm" template vgpu "$chart" -f "$here/values/custom-scheduling.yaml" | args_of)
run_case "chart vgpu-management" \
  < <("$helm" template vgpu "$chart" -f "$here/values/vgpu-management.yaml" | args_of)
run_case "deploy/daemonset.yaml" < <(args_of <"$root/deploy/daemonset.yaml")
cases=4
for values in "$here"/values/*.yaml; do
  grep -q '^config:' "$values" && grep -q 'existingConfigMap:' "$values" && continue
  name="chart $(basename "$values" .yaml)"
  mkdir -p "$work/${name//[^A-Za-z0-9]/_}"
  "$helm" template vgpu "$chart" -f "$values" -s templates/configmap.yaml | layouts_of \
    >"$work/${name//[^A-Za-z0-9]/_}/layouts.yaml"
  config_case "$name" \
    < <("$helm" template vgpu "$chart" -f "$values" -s templates/configmap.yaml | config_of)
  cases=$((cases + 1))
done
config_case "deploy/configmap.yaml" < <(config_of <"$root/deploy/configmap.yaml")
cases=$((cases + 1))
echo "daemon-contract: $((cases - fails)) passed, $fails failed"
((fails == 0))
