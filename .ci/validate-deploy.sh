#!/usr/bin/env bash
# Validates what Canopy deploys without a cluster or a Docker engine:
#   * the Kubernetes manifests (default: mesh/kubernetes/*.yaml, as written by
#     `canopyd manifests`; or the folder given as the first argument) with
#     kubernetes-validate --strict against Kubernetes $KUBERNETES_VERSION. It has no
#     schemas for Linkerd's policy.linkerd.io kinds (it warns and passes them), so
#     .ci/check_linkerd_policy.py checks those structurally and their references;
#   * every Dockerfile in the repository with hadolint (any finding fails).
# Tools come from .ci/setup.sh (a virtualenv under ~/.cache/canopy). Exits non-zero on
# any failure.
#   bash .ci/validate-deploy.sh [MANIFEST_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

# The newest Kubernetes release whose schemas kubernetes-validate 1.37.0 ships.
KUBERNETES_VERSION="${KUBERNETES_VERSION:-1.37.0}"
deploy_venv="$HOME/.cache/canopy/deploy-venv"
validate="$deploy_venv/bin/kubernetes-validate"
hadolint="$deploy_venv/bin/hadolint"
python="$deploy_venv/bin/python"
manifest_dir="${1:-mesh/kubernetes}"

for tool in "$validate" "$hadolint" "$python"; do
  if [[ ! -x $tool ]]; then
    echo "validate-deploy: missing $tool (run bash .ci/setup.sh)" >&2
    exit 1
  fi
done

echo "== deploy: kubernetes-validate --strict (Kubernetes $KUBERNETES_VERSION) on $manifest_dir"
shopt -s nullglob
manifests=("$manifest_dir"/*.yaml)
if ((${#manifests[@]} == 0)); then
  echo "validate-deploy: no manifests in $manifest_dir (write them with: canopyd manifests --out $manifest_dir)" >&2
  exit 1
fi
report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
"$validate" --strict --quiet --kubernetes-version "$KUBERNETES_VERSION" "${manifests[@]}" >"$report" 2>&1 || status=$?
# kubernetes-validate only warns about kinds it has no schema for. Linkerd's are
# checked below; any other unknown kind is a failure.
grep -v "Couldn't find schema for kind .* with api version policy\.linkerd\.io/" "$report" >&2 || true
if grep "Couldn't find schema" "$report" | grep -qv "api version policy\.linkerd\.io/"; then
  echo "validate-deploy: a manifest uses a kind kubernetes-validate has no schema for (see above)" >&2
  status=1
fi
if ((status != 0)); then
  echo "validate-deploy: kubernetes-validate failed" >&2
  exit 1
fi
echo "built-in kinds: ${#manifests[@]} files valid"

echo "== deploy: Linkerd policy resources (structure and references)"
"$python" .ci/check_linkerd_policy.py "${manifests[@]}"

echo "== deploy: hadolint"
mapfile -t dockerfiles < <(git ls-files --cached --others --exclude-standard -- '*Dockerfile' '*.Dockerfile' | sort -u)
if ((${#dockerfiles[@]} == 0)); then
  echo "validate-deploy: no Dockerfile found" >&2
  exit 1
fi
for dockerfile in "${dockerfiles[@]}"; do
  [[ -f $dockerfile ]] || continue
  "$hadolint" --no-color "$dockerfile"
  echo "$dockerfile: ok"
done
