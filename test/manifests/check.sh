#!/usr/bin/env bash
# check.sh: checks everything that ships as YAML with the real tools.
#
#   1. yamllint over deploy/, charts/ (templates excluded) and the value sets;
#   2. helm lint --strict of the chart with its defaults and with every value
#      set in test/manifests/values/*.yaml;
#   3. helm template of each value set -> validate.mjs (Kubernetes schemas,
#      kubernetes-models) -> facts.mjs (least privilege and wiring; extra
#      assertions come from the "# facts:" lines of the value set);
#      and every key of values.yaml has a comment (values-comments.mjs);
#   4. values.schema.json rejects typos and bad enums (helm must fail), and
#      validate.mjs / facts.mjs reject the broken objects in bad/*.yaml;
#   5. validate.mjs and facts.mjs over the plain manifests in deploy/ (the
#      default set as `kubectl kustomize deploy/` renders it, deploy/optional/
#      and deploy/examples/), and deploy-set.sh on what apply -k installs;
#   6. deploy/optional/prometheusrule.yaml and the chart's monitoring copies in sync;
#   7. the Dockerfile's RUN lines name scripts that exist, .dockerignore keeps
#      them in the build context, and dockerfile-utils finds no problem.
# Installs missing tools with scripts/install-tools.sh first. Prints
# "check: N passed, M failed" and exits 1 if anything failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

tools="$root/.tools"
if [[ ! -x $tools/bin/helm || ! -d $tools/npm/node_modules ]] ||
   ! command -v yamllint >/dev/null || ! command -v node >/dev/null ||
   ! cmp -s "$here/package-lock.json" "$tools/npm/package-lock.json"; then
  bash "$root/scripts/install-tools.sh" || { echo "check: install-tools.sh failed" >&2; exit 1; }
fi
# ES modules resolve bare imports next to the importing file.
ln -sfn "$tools/npm/node_modules" "$here/node_modules"

helm="$tools/bin/helm"
chart="$root/charts/vgpu-device-plugin"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

passed=0
failed=0
# step NAME CMD...: runs CMD, output to $out/log, counts the result.
step() {
  local name=$1
  shift
  if "$@" >"$out/log" 2>&1; then
    passed=$((passed + 1))
    echo "PASS $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
    sed 's/^/    /' "$out/log"
  fi
}
# expect_fail NAME PATTERN CMD...: CMD must fail with PATTERN in its output.
expect_fail() {
  local name=$1 pattern=$2
  shift 2
  if "$@" >"$out/log" 2>&1; then
    failed=$((failed + 1))
    echo "FAIL $name: succeeded, expected an error matching '$pattern'"
  elif grep -qF -- "$pattern" "$out/log"; then
    passed=$((passed + 1))
    echo "PASS $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name: error does not match '$pattern'"
    sed 's/^/    /' "$out/log"
  fi
}

echo "check: $("$helm" version --template 'helm {{.Version}}'), $(yamllint --version), node $(node --version)"

# 1. yamllint
step "yamllint" yamllint --strict -c "$root/.yamllint" deploy charts test/manifests/values

# 2.-3. helm lint / template / validate / facts, per value set
step "helm lint (defaults)" "$helm" lint --strict "$chart"
for values in "$here"/values/*.yaml; do
  set_name=$(basename "$values" .yaml)
  rendered="$out/$set_name.yaml"
  step "helm lint ($set_name)" "$helm" lint --strict "$chart" -f "$values"
  step "helm template ($set_name)" \
    bash -c '"$0" template vgpu "$1" --namespace gpu-system -f "$2" >"$3"' \
    "$helm" "$chart" "$values" "$rendered"
  step "schema validate ($set_name)" node "$here/validate.mjs" "$rendered"
  facts_args=()
  while read -r line; do
    eval "facts_args+=($line)"
  done < <(sed -n 's/^# facts: //p' "$values")
  step "facts ($set_name)" node "$here/facts.mjs" "${facts_args[@]}" "$rendered"
done

# 3a. the chart's own values files (values*.yaml, ci/*.yaml) render with
# the privileges and mounts their features need and no more.
for values in "$chart"/values*.yaml "$chart"/ci/*.yaml; do
  [[ -f $values ]] || continue
  set_name="chart-$(basename "$values" .yaml)"
  rendered="$out/$set_name.yaml"
  step "helm template ($set_name)" \
    bash -c '"$0" template vgpu "$1" --namespace gpu-system -f "$2" >"$3"' \
    "$helm" "$chart" "$values" "$rendered"
  facts_args=()
  if (cd "$here" && node --input-type=module -e '
      import { readFileSync } from "node:fs";
      import { parse } from "yaml";
      const v = parse(readFileSync(process.argv[1], "utf8")) ?? {};
      process.exit(v.vgpuManagement?.enabled === true ? 0 : 1);' "$values"); then
    facts_args+=(--vgpu-management)
  fi
  step "facts ($set_name)" node "$here/facts.mjs" "${facts_args[@]}" "$rendered"
done

step "helm show readme" bash -c '"$0" show readme "$1" | grep -q "^# vgpu-device-plugin"' "$helm" "$chart"
expect_fail "chart refuses to take over a RuntimeClass it did not create" "already exists and is not this release" \
  bash -c 'grep -q "lookup \"node.k8s.io/v1\" \"RuntimeClass\"" "$0/templates/runtimeclass.yaml" &&
           sed "s/{{- \$existing := lookup .*/{{- \$existing := dict \"metadata\" (dict \"name\" \"x\") }}/" \
             "$0/templates/runtimeclass.yaml" >"$1/rc.yaml" &&
           rm -rf "$1/chart" && cp -r "$0" "$1/chart" && cp "$1/rc.yaml" "$1/chart/templates/runtimeclass.yaml" &&
           "$2" template vgpu "$1/chart" --set runtimeClass.enabled=true' "$chart" "$out" "$helm"

# 3b. every key of values.yaml is documented
step "values.yaml keys all commented" node "$here/values-comments.mjs" "$chart/values.yaml"
expect_fail "values-comments catches an uncommented key" "uncommented key" \
  bash -c 'grep -v "^  # Image tag" "$1" >"$2/values-nocomment.yaml" &&
           node "$0" "$2/values-nocomment.yaml"' "$here/values-comments.mjs" "$chart/values.yaml" "$out"

# 4. the schema rejects mistakes instead of ignoring them
expect_fail "schema rejects unknown top-level key" "Additional property logLevl" \
  "$helm" template vgpu "$chart" --set logLevl=debug
expect_fail "schema rejects unknown config key" "Additional property vmmInContaner" \
  "$helm" template vgpu "$chart" --set config.inline.kata.vmmInContaner=true
expect_fail "schema rejects bad naming mode" "resourceNaming.mode" \
  "$helm" template vgpu "$chart" --set resourceNaming.mode=permodel
expect_fail "schema rejects rule without matcher" "resourceNaming.rules.0" \
  "$helm" template vgpu "$chart" --set 'resourceNaming.rules[0].resourceName=nvidia.com/x'
expect_fail "schema rejects mdevTypeName on a passthrough rule" "resourceNaming.rules.0.kind" \
  "$helm" template vgpu "$chart" --set 'resourceNaming.rules[0].resourceName=nvidia.com/x' \
  --set 'resourceNaming.rules[0].kind=passthrough' --set 'resourceNaming.rules[0].mdevTypeName=GRID T4-1Q'
expect_fail "schema rejects a malformed BDF" "resourceNaming.rules.0.bdfs.0" \
  "$helm" template vgpu "$chart" --set 'resourceNaming.rules[0].resourceName=nvidia.com/x' \
  --set 'resourceNaming.rules[0].bdfs[0]=c1:00.0'
expect_fail "schema rejects a typo in vgpuManagement" "Additional property enable " \
  "$helm" template vgpu "$chart" --set vgpuManagement.enable=true
expect_fail "schema rejects relative host path" "hostPaths.cdiDir" \
  "$helm" template vgpu "$chart" --set hostPaths.cdiDir=var/run/cdi
mgmt="$here/values/vgpu-management.yaml"
expect_fail "schema rejects a negative vGPU count" "vgpuManagement.configs.t4-4q.0.vgpu-devices.T4-4Q" \
  "$helm" template vgpu "$chart" -f "$mgmt" --set 'vgpuManagement.configs.t4-4q[0].vgpu-devices.T4-4Q=-1'
expect_fail "schema rejects a relative NFD dir" "vgpuManagement.nodeFeatureDir" \
  "$helm" template vgpu "$chart" -f "$mgmt" --set vgpuManagement.nodeFeatureDir=etc/nfd
expect_fail "chart refuses vgpuManagement without a layout" "needs vgpuManagement.layout" \
  "$helm" template vgpu "$chart" --set vgpuManagement.enabled=true
expect_fail "chart refuses a layout not in configs" '"t4-8q" is not in vgpuManagement.configs' \
  "$helm" template vgpu "$chart" -f "$mgmt" --set vgpuManagement.layout=t4-8q
expect_fail "chart refuses configs and configFile together" "not both" \
  "$helm" template vgpu "$chart" -f "$mgmt" --set-file vgpuManagement.configFile="$mgmt"
# 4a. a layout-only change keeps the pod template (the daemon reloads the
# ConfigMap live); any other config change rolls the pods.
checksum_of() {
  "$helm" template vgpu "$chart" -s templates/daemonset.yaml -f "$mgmt" "$@" | grep 'checksum/config:'
}
layout_change_keeps_pods() {
  local a b c
  a=$(checksum_of) && [[ -n $a ]] || return 1
  b=$(checksum_of --set vgpuManagement.layout=t4-2q \
    --set 'vgpuManagement.configs.t4-2q[0].vgpu-devices.T4-2Q=8') || return 1
  c=$(checksum_of --set config.inline.rescanPeriod=10s) || return 1
  echo "layout only: $a -> $b; rescanPeriod: $c"
  [[ $a == "$b" && $a != "$c" ]]
}
step "layout change keeps checksum/config, other changes roll" layout_change_keeps_pods

# 4b. the validators catch what they claim to (one broken object per file)
for bad in "$here"/bad/*.yaml; do
  expect_fail "validate rejects $(basename "$bad" .yaml)" \
    "$(sed -n 's/^# expect-error: //p' "$bad")" node "$here/validate.mjs" "$bad"
done
expect_fail "facts reject vgpuManagement's privileges without --vgpu-management" \
  "host /proc mounted without vgpuManagement" \
  node "$here/facts.mjs" "$out/vgpu-management.yaml"
expect_fail "facts reject a privileged vgpuManagement daemon" \
  "vgpuManagement needs no privileged container" \
  bash -c 'sed "s/privileged: false/privileged: true/" "$1" | node "$0" --vgpu-management -' \
  "$here/facts.mjs" "$out/vgpu-management.yaml"
expect_fail "facts reject vgpuManagement without host /proc" \
  "no volumeMount at /host/proc" \
  bash -c 'sed "/mountPath: \/host\/proc\$/d" "$1" | node "$0" --vgpu-management -' \
  "$here/facts.mjs" "$out/vgpu-management.yaml"
expect_fail "facts reject a writable pod-resources mount" "is mounted writable without a use" \
  bash -c 'sed "/mountPath: \/var\/lib\/kubelet\/pod-resources/{n;s/readOnly: true/readOnly: false/}" "$1" |
           node "$0" -' "$here/facts.mjs" "$out/default.yaml"
expect_fail "facts reject a writable /sys" "/host/sys is not mounted read-only" \
  bash -c 'sed "/mountPath: \/host\/sys/{n;s/readOnly: true/readOnly: false/}" "$1" | node "$0" -' \
  "$here/facts.mjs" "$out/default.yaml"

expect_fail "facts reject a doctor without the host's /proc/cmdline" \
  "doctor: no mount at /host/proc/cmdline" \
  bash -c 'sed "/mountPath: \/host\/proc\/cmdline/d" "$1" | node "$0" -' \
  "$here/facts.mjs" "$out/default.yaml"
expect_fail "facts reject a doctor that stops the pod by default" \
  "doctor.failOnError=false but a FAIL stops the pod" \
  node "$here/facts.mjs" "$out/doctor-strict.yaml"

# 5. plain manifests
kubectl="$tools/bin/kubectl"
step "kustomize deploy/" bash -c '"$0" kustomize "$1" >"$2"' "$kubectl" deploy "$out/deploy.yaml"
step "schema validate (deploy/)" node "$here/validate.mjs" "$out/deploy.yaml" \
  deploy/optional/*.yaml deploy/examples/*.yaml
step "facts (deploy/)" node "$here/facts.mjs" --expect 'config.resources.naming="default"' \
  "$out/deploy.yaml"
step "deploy/ install = uninstall set" bash "$here/deploy-set.sh" "$kubectl" "$out/deploy.yaml"

# 6. monitoring copies (77: monitoring/ has no sources yet; the rest is in sync)
step "monitoring copies in sync" bash -c 'bash "$0" --check; rc=$?; [[ $rc == 0 || $rc == 77 ]]' \
  "$here/sync-monitoring.sh"

# 7. Dockerfile
step "Dockerfile scripts exist" bash "$here/dockerfile-check.sh"
step "Dockerfile lint (dockerfile-utils)" node "$here/dockerfile-lint.mjs" "$root/Dockerfile"

echo "check: $passed passed, $failed failed"
((failed == 0))
