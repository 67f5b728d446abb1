#!/usr/bin/env bash
# Builds the real helm the chart tests run, from the Go module proxy (helm.sh/helm/v3 at
# HELM_VERSION in test/tools/versions.env), into the same cache as kube-apiserver:
#   ${FRF_K8S_CACHE:-$HOME/.cache/falco-response-functions/k8s}/helm-<HELM_VERSION>
# A binary that already exists is not rebuilt. Prints the binary's path on stdout.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../test/tools/versions.env
source "$repo_root/test/tools/versions.env"
: "${HELM_VERSION:?missing in test/tools/versions.env}"

cache_dir=${FRF_K8S_CACHE:-$HOME/.cache/falco-response-functions/k8s}
helm_bin="$cache_dir/helm-$HELM_VERSION"

log() { echo "build-helm: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ -x "$helm_bin" ]]; then
  echo "$helm_bin"
  exit 0
fi

go_bin=$(command -v go || echo /usr/local/go/bin/go)
[[ -x "$go_bin" ]] || die "no Go toolchain (need go on PATH or at /usr/local/go/bin/go)"

mkdir -p "$cache_dir"
# Two concurrent runs would build twice; the second waits for the first, then finds the binary.
exec 9>"$cache_dir/.build-helm.lock"
command -v flock >/dev/null 2>&1 && flock 9
if [[ -x "$helm_bin" ]]; then
  echo "$helm_bin"
  exit 0
fi

# Built inside the cache directory, so the final mv is a rename: a half-written binary never looks built.
work=$(mktemp -d "$cache_dir/.helm-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
started=$SECONDS
log "building helm $HELM_VERSION with $("$go_bin" version) (first build: several minutes on 2 cores)"
# go install pkg@version builds in module mode with helm's own go.mod (it has no replace
# directives); the ldflag makes `helm version` report the real version.
GOBIN="$work" CGO_ENABLED=0 "$go_bin" install -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
  "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
mv -f "$work/helm" "$helm_bin"
log "built helm $HELM_VERSION in $((SECONDS - started))s"
echo "$helm_bin"
