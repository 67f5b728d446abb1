#!/usr/bin/env bash
# Unpacks Debian's promtool (package prometheus) and shellcheck into a cache directory outside
# the git tree, without installing a package or starting a service:
#   ${FRF_K8S_CACHE:-$HOME/.cache/falco-response-functions/k8s}/../debian-tools/<package>-<version>/
# `apt-get download` fetches the .deb as the machine's apt sources resolve it (no root needed),
# `dpkg-deb -x` unpacks it. Prints one line per tool: <name> <path>. Nothing is fetched when
# the unpacked binaries are there.
#   scripts/fetch-debian-tools.sh [promtool|shellcheck]...   (default: both)
set -euo pipefail

k8s_cache=${FRF_K8S_CACHE:-$HOME/.cache/falco-response-functions/k8s}
cache_dir=${FRF_TOOLS_CACHE:-$(dirname "$k8s_cache")/debian-tools}

log() { echo "fetch-debian-tools: $*" >&2; }
die() { log "error: $*"; exit 1; }

# tool -> Debian package and the binary's path inside it.
package_of() { case $1 in promtool) echo prometheus ;; shellcheck) echo shellcheck ;; *) die "unknown tool $1" ;; esac; }
binary_in_package() { case $1 in promtool) echo usr/bin/promtool ;; shellcheck) echo usr/bin/shellcheck ;; esac; }

candidate() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p'; }

fetch() {
  local tool=$1 package version dir
  package=$(package_of "$tool")
  # The candidate version keys the cache: a Debian point release unpacks next to the old one.
  version=$(candidate "$package")
  if [[ -z "$version" || "$version" == "(none)" ]]; then
    # A fresh machine may have no package lists yet: fetch them once (as root, like apt-get download).
    log "no package list for $package yet: apt-get update"
    apt-get update -q >&2 || die "apt-get update failed (root needed); run it, then retry"
    version=$(candidate "$package")
  fi
  [[ -n "$version" && "$version" != "(none)" ]] || die "apt has no candidate for $package"
  dir="$cache_dir/$package-${version//[:+~]/_}"
  local bin
  bin="$dir/$(binary_in_package "$tool")"
  if [[ ! -x "$bin" ]]; then
    local work
    work=$(mktemp -d)
    chmod 755 "$work" # apt-get download drops to user _apt, which must be able to write here
    log "downloading $package $version"
    (cd "$work" && apt-get download -q "$package=$version" >&2)
    mkdir -p "$dir.partial.$$"
    dpkg-deb -x "$work"/*.deb "$dir.partial.$$"
    rm -rf "$work" "$dir"
    mv "$dir.partial.$$" "$dir" # a half-unpacked tree never looks installed
    "$bin" --version >/dev/null 2>&1 || die "$bin does not run on this machine"
  fi
  echo "$tool $bin"
}

mkdir -p "$cache_dir"
tools=("$@")
[[ ${#tools[@]} -gt 0 ]] || tools=(promtool shellcheck)
for tool in "${tools[@]}"; do fetch "$tool"; done
