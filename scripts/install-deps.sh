#!/usr/bin/env bash
# `make setup`: the locked dependencies (npm ci), installed by the Node this project runs on.
# The machines ship Node 20; the project's Node 24 is the npm package `node` pinned in
# package.json. npm run by Node 20 would warn (EBADENGINE) about every package that needs 24,
# so Node 24 is fetched first into a cache outside the tree, keyed by its version, and npm ci
# runs on it. Says what it does, so a first run reads as set-up, not as failure.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "setup: $*"; }

version=$(node -p "require('./package.json').devDependencies.node")
[[ -n "$version" ]] || { echo "setup: no pinned \"node\" devDependency in package.json" >&2; exit 1; }

# npm reads its global settings (the machine's CA file, registry) beside the node that runs it:
# keep the machine's when npm runs on another node.
NPM_CONFIG_GLOBALCONFIG="${NPM_CONFIG_GLOBALCONFIG:-$(npm config get globalconfig)}"
export NPM_CONFIG_GLOBALCONFIG

running=$(node --version 2>/dev/null || echo none)
if [[ "$running" != "v$version" ]]; then
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/falco-response-functions/node/$version"
  if [[ ! -x "$cache/node_modules/.bin/node" ]]; then
    log "this machine runs Node $running; fetching Node $version from the npm registry into $cache (once) ..."
    mkdir -p "$cache"
    printf '{"private":true,"dependencies":{"node":"%s"},"allowScripts":{"node":true}}\n' "$version" >"$cache/package.json"
    (cd "$cache" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  export PATH="$cache/node_modules/.bin:$PATH"
fi

log "installing the locked dependencies with Node $(node --version) (npm ci) ..."
npm ci --no-audit --no-fund --loglevel=warn
log "done: node_modules/.bin/node is Node $(node_modules/.bin/node --version); every make target runs on it"
