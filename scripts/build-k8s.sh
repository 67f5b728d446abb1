#!/usr/bin/env bash
# Builds the real control plane used by the tests, the demo and the bench, from the Go module
# proxy, into a cache directory outside the git tree keyed by the pinned versions
# (cache = ${FRF_K8S_CACHE:-$HOME/.cache/falco-response-functions/k8s}):
#   $cache/kube-apiserver-<KUBERNETES_VERSION>, $cache/kube-controller-manager-<KUBERNETES_VERSION>,
#   $cache/kube-scheduler-<KUBERNETES_VERSION>, $cache/kubectl-<KUBERNETES_VERSION>
#     (all four from the one k8s.io/kubernetes module, test/k8s/apiserver/go.mod)
#   $cache/etcd-<ETCD_VERSION>      (test/k8s/etcd/go.mod)
#   $cache/kwok-<KWOK_VERSION>      (simulated nodes; test/k8s/kwok/go.mod)
# Versions live in test/k8s/versions.env only (testbed/binaries.ts reads the same file).
# A binary that already exists is not rebuilt. Needs Go >= 1.26 (an older go switches toolchain
# through the module proxy by itself, because the wrapper modules say `go 1.26.0`).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
k8s_dir="$repo_root/test/k8s"
# shellcheck source=../test/k8s/versions.env
source "$k8s_dir/versions.env"
: "${KUBERNETES_VERSION:?missing in test/k8s/versions.env}" "${ETCD_VERSION:?missing in test/k8s/versions.env}"
: "${KWOK_VERSION:?missing in test/k8s/versions.env}"

cache_dir=${FRF_K8S_CACHE:-$HOME/.cache/falco-response-functions/k8s}
etcd_bin="$cache_dir/etcd-$ETCD_VERSION"
kwok_bin="$cache_dir/kwok-$KWOK_VERSION"
# The commands built from k8s.io/kubernetes, each cached as <name>-<KUBERNETES_VERSION>.
k8s_commands=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
k8s_bin() { echo "$cache_dir/$1-$KUBERNETES_VERSION"; }

log() { echo "build-k8s: $*"; }
die() { echo "build-k8s: error: $*" >&2; exit 1; }

find_go() {
  if command -v go >/dev/null 2>&1; then command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then echo /usr/local/go/bin/go
  else die "no Go toolchain found (need go >= 1.26 on PATH or at /usr/local/go/bin/go)"
  fi
}

# The wrapper go.mod files pin the same versions; refuse to build if someone changed one side only.
check_pins() {
  local k8s_minor=${KUBERNETES_VERSION#v1.}
  grep -Eq "^\s*(require\s+)?k8s\.io/kubernetes $KUBERNETES_VERSION\b" "$k8s_dir/apiserver/go.mod" ||
    die "test/k8s/apiserver/go.mod does not require k8s.io/kubernetes $KUBERNETES_VERSION (versions.env)"
  if grep -E '^\s*k8s\.io/[a-z-]+ => ' "$k8s_dir/apiserver/go.mod" | grep -vq " v0\.$k8s_minor\$"; then
    die "test/k8s/apiserver/go.mod has staging replaces not pinned to v0.$k8s_minor"
  fi
  grep -Eq "^\s*(require\s+)?go\.etcd\.io/etcd/server/v3 $ETCD_VERSION\b" "$k8s_dir/etcd/go.mod" ||
    die "test/k8s/etcd/go.mod does not require go.etcd.io/etcd/server/v3 $ETCD_VERSION (versions.env)"
  grep -Eq "^\s*(require\s+)?sigs\.k8s\.io/kwok $KWOK_VERSION\b" "$k8s_dir/kwok/go.mod" ||
    die "test/k8s/kwok/go.mod does not require sigs.k8s.io/kwok $KWOK_VERSION (versions.env)"
  local cmd
  for cmd in "${k8s_commands[@]}"; do
    grep -Eq "^\s*(tool\s+)?k8s\.io/kubernetes/cmd/$cmd\s*$" "$k8s_dir/apiserver/go.mod" ||
      die "test/k8s/apiserver/go.mod has no tool line for k8s.io/kubernetes/cmd/$cmd"
  done
}

# Whatever is mid-flight when the script ends (error, Ctrl+C) is cleaned up here.
ticker_pid=""
partial_out=""
cleanup() {
  [[ -n "$ticker_pid" ]] && kill "$ticker_pid" 2>/dev/null
  [[ -n "$partial_out" ]] && rm -f "$partial_out"
  return 0
}
trap cleanup EXIT

# Go prints nothing while compiling; a heartbeat shows the build is alive.
build_with_heartbeat() {
  local name=$1 module_dir=$2 pkg=$3 out=$4 ldflags=$5
  local started=$SECONDS
  partial_out="$out.partial.$$"
  log "building $name into $out"
  ( while sleep 30; do log "  ... still building $name ($((SECONDS - started))s)"; done ) &
  ticker_pid=$!
  local status=0
  (cd "$module_dir" && CGO_ENABLED=0 "$GO" build -buildvcs=false -trimpath -ldflags "$ldflags" -o "$partial_out" "$pkg") || status=$?
  kill "$ticker_pid" 2>/dev/null; wait "$ticker_pid" 2>/dev/null || true
  ticker_pid=""
  [[ $status -eq 0 ]] || die "building $name failed (exit $status)"
  mv -f "$partial_out" "$out" # atomic: a half-written binary never looks built
  partial_out=""
  log "built $name in $((SECONDS - started))s ($(du -h "$out" | cut -f1))"
}

build_etcd() {
  build_with_heartbeat "etcd $ETCD_VERSION" "$k8s_dir/etcd" go.etcd.io/etcd/server/v3 "$etcd_bin" "-s -w"
}

build_kwok() {
  # kwok's own version string is a constant of the module (pkg/consts), no ldflag needed.
  build_with_heartbeat "kwok $KWOK_VERSION" "$k8s_dir/kwok" sigs.k8s.io/kwok/cmd/kwok "$kwok_bin" "-s -w"
}

# One of kube-apiserver, kube-controller-manager, kube-scheduler, kubectl.
build_k8s_command() {
  local cmd=$1
  local v=${KUBERNETES_VERSION#v} # 1.36.3
  local major=${v%%.*} minor
  minor=${v#*.}; minor=${minor%%.*}
  # Without gitVersion the binary reports v0.0.0 and clients may refuse or warn.
  local pkg=k8s.io/component-base/version
  local ldflags="-s -w -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  # kubectl reports its client version from client-go's copy of the same variables.
  [[ $cmd == kubectl ]] && ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION"
  build_with_heartbeat "$cmd $KUBERNETES_VERSION" "$k8s_dir/apiserver" \
    "k8s.io/kubernetes/cmd/$cmd" "$(k8s_bin "$cmd")" "$ldflags"
}

all_paths() {
  local cmd
  for cmd in "${k8s_commands[@]}"; do k8s_bin "$cmd"; done
  echo "$etcd_bin"
  echo "$kwok_bin"
}

all_built() {
  local path
  while read -r path; do [[ -x "$path" ]] || return 1; done < <(all_paths)
}

main() {
  if all_built; then
    log "up to date in $cache_dir"
    return
  fi
  GO=$(find_go)
  check_pins
  mkdir -p "$cache_dir"
  # Two concurrent runs (e.g. two terminals) would build twice; the second waits for the first.
  exec 9>"$cache_dir/.build.lock"
  command -v flock >/dev/null 2>&1 && flock 9
  local started=$SECONDS
  log "using $("$GO" version); the first build takes ~10 min on 2 cores (Go's build cache makes later ones fast)"
  [[ -x "$etcd_bin" ]] || build_etcd
  local cmd
  for cmd in "${k8s_commands[@]}"; do
    [[ -x "$(k8s_bin "$cmd")" ]] || build_k8s_command "$cmd"
  done
  [[ -x "$kwok_bin" ]] || build_kwok
  log "done in $((SECONDS - started))s"
  all_paths | sed 's/^/build-k8s:   /' 
}

main "$@"
