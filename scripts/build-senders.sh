#!/usr/bin/env bash
# Builds the test senders (real clients that send alerts as Falcosidekick's outputs do) into a
# cache directory outside the git tree, keyed by a hash of their module (go.mod, go.sum and
# sources), so an unchanged sender is never rebuilt:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/falco-response-functions/senders/cloudevents-sender-<hash>
# Progress goes to stderr; the binary's path is the only line on stdout.
#   scripts/build-senders.sh            build if needed, print the path
#   scripts/build-senders.sh --path     print the path only (exit 1 if it is not built)
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
module_dir="$repo_root/test/senders/cloudevents"
cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/falco-response-functions/senders"

log() { echo "build-senders: $*" >&2; }
die() { echo "build-senders: error: $*" >&2; exit 1; }

find_go() {
  if command -v go >/dev/null 2>&1; then command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then echo /usr/local/go/bin/go
  else die "no Go toolchain found (need go >= 1.26 on PATH or at /usr/local/go/bin/go)"
  fi
}

module_hash() {
  # C collation: the glob expands in the same order on every machine.
  (export LC_ALL=C; cd "$module_dir" && cat go.mod go.sum ./*.go) | sha256sum | cut -c1-16
}

bin="$cache_dir/cloudevents-sender-$(module_hash)"

if [[ "${1:-}" == "--path" ]]; then
  [[ -x "$bin" ]] || die "not built: run scripts/build-senders.sh"
  echo "$bin"
  exit 0
fi

if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

GO=$(find_go)
mkdir -p "$cache_dir"
# Two concurrent runs (a test and the demo) would build twice; the second waits for the first.
exec 9>"$cache_dir/.build.lock"
command -v flock >/dev/null 2>&1 && flock 9
if [[ ! -x "$bin" ]]; then
  started=$SECONDS
  log "building the CloudEvents sender (CloudEvents Go SDK) with $("$GO" version | cut -d' ' -f3)"
  partial="$bin.partial.$$"
  trap 'rm -f "$partial"' EXIT
  (cd "$module_dir" && CGO_ENABLED=0 "$GO" build -mod=readonly -buildvcs=false -trimpath -ldflags "-s -w" -o "$partial" .) ||
    die "building the CloudEvents sender failed"
  mv -f "$partial" "$bin" # atomic: a half-written binary never looks built
  log "built $bin in $((SECONDS - started))s"
fi
echo "$bin"
