#!/usr/bin/env bash
# Builds Flux's source-controller and kustomize-controller for the GitOps tests, from the Go
# module proxy, and gathers the CRDs their modules ship plus Argo CD's Application CRD, into a
# cache outside the git tree keyed by the versions pinned in test/k8s/versions.env
# (cache = ${FRF_FLUX_CACHE:-$HOME/.cache/falco-response-functions/flux}):
#   $cache/source-controller-<FLUX_SOURCE_CONTROLLER_VERSION>     (test/k8s/flux/source-controller/go.mod)
#   $cache/kustomize-controller-<FLUX_KUSTOMIZE_CONTROLLER_VERSION> (test/k8s/flux/kustomize-controller/go.mod)
#   $cache/crds-<source>-<kustomize>/*.yaml  (config/crd/bases of both modules)
#   $cache/argo-cd-<ARGO_CD_VERSION>/application-crd.yaml  (manifests/crds of github.com/argoproj/argo-cd/v3)
# Nothing that exists is rebuilt. Prints one line per path: <name> <path>.
# Argo CD v3.6 needs Go 1.27 to build, so `go mod download` refuses to unpack it with Go 1.26;
# it has fetched and verified the zip by then, and the CRD is read straight from that zip.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
flux_dir="$repo_root/test/k8s/flux"
# shellcheck source=../test/k8s/versions.env
source "$repo_root/test/k8s/versions.env"
: "${FLUX_SOURCE_CONTROLLER_VERSION:?missing in test/k8s/versions.env}" "${FLUX_KUSTOMIZE_CONTROLLER_VERSION:?missing in test/k8s/versions.env}" "${ARGO_CD_VERSION:?missing in test/k8s/versions.env}"

cache_dir=${FRF_FLUX_CACHE:-$HOME/.cache/falco-response-functions/flux}
sc_bin="$cache_dir/source-controller-$FLUX_SOURCE_CONTROLLER_VERSION"
kc_bin="$cache_dir/kustomize-controller-$FLUX_KUSTOMIZE_CONTROLLER_VERSION"
crd_dir="$cache_dir/crds-$FLUX_SOURCE_CONTROLLER_VERSION-$FLUX_KUSTOMIZE_CONTROLLER_VERSION"
argo_crd="$cache_dir/argo-cd-$ARGO_CD_VERSION/application-crd.yaml"

log() { echo "build-flux: $*" >&2; }
die() { log "error: $*"; exit 1; }

GO=$(command -v go || echo /usr/local/go/bin/go)
[[ -x "$GO" ]] || die "no Go toolchain found (need go >= 1.26 on PATH or at /usr/local/go/bin/go)"

check_pin() {
  local module=$1 version=$2 gomod=$3
  grep -Eq "^\s*(require\s+)?$module $version\b" "$gomod" || die "$gomod does not require $module $version (versions.env)"
}

partial=""
cleanup() {
  [[ -n "$partial" ]] && rm -f "$partial"
  return 0
}
trap cleanup EXIT

build() {
  local name=$1 version=$2 out=$3 started=$SECONDS
  check_pin "github.com/fluxcd/$name" "$version" "$flux_dir/$name/go.mod"
  log "building $name $version (about 7 min of CPU from an empty Go cache, under a minute from a warm one)"
  partial="$out.partial.$$"
  (cd "$flux_dir/$name" && CGO_ENABLED=0 "$GO" build -buildvcs=false -trimpath -ldflags "-s -w" -o "$partial" "github.com/fluxcd/$name") || die "building $name failed"
  mv -f "$partial" "$out" # atomic: a half-written binary never looks built
  partial=""
  log "built $name in $((SECONDS - started))s ($(du -h "$out" | cut -f1))"
}

module_dir() { (cd "$flux_dir/$1" && "$GO" mod download -json "github.com/fluxcd/$1@$2" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p'); }

gather_crds() {
  mkdir -p "$crd_dir.partial"
  cp "$(module_dir source-controller "$FLUX_SOURCE_CONTROLLER_VERSION")"/config/crd/bases/*.yaml "$crd_dir.partial/"
  cp "$(module_dir kustomize-controller "$FLUX_KUSTOMIZE_CONTROLLER_VERSION")"/config/crd/bases/*.yaml "$crd_dir.partial/"
  chmod u+w "$crd_dir.partial"/*.yaml
  mv "$crd_dir.partial" "$crd_dir"
}

fetch_argo_crd() {
  local module=github.com/argoproj/argo-cd/v3 zip
  # Refuses to unpack (go >= 1.27 in its go.mod) after fetching and checking the zip: expected.
  (cd "$flux_dir/source-controller" && "$GO" mod download "$module@$ARGO_CD_VERSION" 2>/dev/null) || true
  zip="$("$GO" env GOMODCACHE)/cache/download/$module/@v/$ARGO_CD_VERSION.zip"
  [[ -f "$zip" ]] || die "the Go module proxy gave no zip for $module@$ARGO_CD_VERSION"
  mkdir -p "$(dirname "$argo_crd")"
  python3 - "$zip" "$module@$ARGO_CD_VERSION/manifests/crds/application-crd.yaml" "$argo_crd.partial" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[3], 'wb') as out:
    out.write(z.read(sys.argv[2]))
PY
  mv "$argo_crd.partial" "$argo_crd"
}

mkdir -p "$cache_dir"
exec 9>"$cache_dir/.build.lock"
command -v flock >/dev/null 2>&1 && flock 9
[[ -x "$sc_bin" ]] || build source-controller "$FLUX_SOURCE_CONTROLLER_VERSION" "$sc_bin"
[[ -x "$kc_bin" ]] || build kustomize-controller "$FLUX_KUSTOMIZE_CONTROLLER_VERSION" "$kc_bin"
[[ -d "$crd_dir" ]] || gather_crds
[[ -f "$argo_crd" ]] || fetch_argo_crd
echo "source-controller $sc_bin"
echo "kustomize-controller $kc_bin"
echo "flux-crds $crd_dir"
echo "argo-cd-application-crd $argo_crd"
