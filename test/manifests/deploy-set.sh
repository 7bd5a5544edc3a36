#!/usr/bin/env bash
# deploy-set.sh KUBECTL RENDERED: the plain-manifest install is safe to undo.
#  - every manifest in deploy/ (not optional/ or examples/) is a resource of
#    deploy/kustomization.yaml, so `kubectl apply -k deploy/` and
#    `kubectl delete -k deploy/` act on the same objects, the default set;
#  - RENDERED (`kubectl kustomize deploy/`) holds no RuntimeClass: the
#    uninstall must never delete one that kata-deploy owns;
#  - an overlay sets the image without editing deploy/.
set -euo pipefail
kubectl=${1:?usage: deploy-set.sh KUBECTL RENDERED}
rendered=${2:?usage: deploy-set.sh KUBECTL RENDERED}
root=$(cd "$(dirname "$0")/../.." && pwd)
fails=0
for f in "$root"/deploy/*.yaml; do
  name=$(basename "$f")
  [[ $name == kustomization.yaml ]] && continue
  if ! grep -qx "  - $name" "$root/deploy/kustomization.yaml"; then
    echo "deploy/$name is not in deploy/kustomization.yaml: apply -k would" \
         "skip it, or move it to deploy/optional/" >&2
    fails=$((fails + 1))
  fi
done
if grep -q '^kind: RuntimeClass' "$rendered"; then
  echo "the default deploy/ set contains a RuntimeClass; uninstall would delete it" >&2
  fails=$((fails + 1))
fi
overlay=$(mktemp -d)
trap 'rm -rf "$overlay"' EXIT
cp -r "$root/deploy" "$overlay/deploy"
mkdir "$overlay/site"
cat >"$overlay/site/kustomization.yaml" <<'YAML'
resources:
  - ../deploy
images:
  - name: vgpu-device-plugin
    newName: registry.example.com/gpu/vgpu-device-plugin
    newTag: 9.9.9
YAML
if ! "$kubectl" kustomize "$overlay/site" |
    grep -q 'image: registry.example.com/gpu/vgpu-device-plugin:9.9.9'; then
  echo "an overlay's images: entry does not set the daemon's image" >&2
  fails=$((fails + 1))
fi
((fails == 0))
