#!/usr/bin/env bash
# Refreshes the Knative Serving CRD the integration tests validate knative/*.yaml against:
# test/fixtures/knative/serving-crd-service.yaml, copied from the knative.dev/serving Go module
# (its Go packages do not build here, but the module carries its CRDs under
# config/core/300-resources/). The version lives in test/fixtures/knative/VERSION.
#   scripts/fetch-knative-crds.sh [vX.Y.Z]     # default: the version in VERSION
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fixtures="$repo_root/test/fixtures/knative"
version=${1:-$(tr -d '[:space:]' < "$fixtures/VERSION")}

go_bin=$(command -v go || echo /usr/local/go/bin/go)
[[ -x "$go_bin" ]] || { echo "fetch-knative-crds: no Go toolchain (need go on PATH or /usr/local/go/bin/go)" >&2; exit 1; }

# The module proxy serves the module; -json reports where it was unpacked.
module_dir=$("$go_bin" mod download -json "knative.dev/serving@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
[[ -n "$module_dir" && -f "$module_dir/config/core/300-resources/service.yaml" ]] ||
  { echo "fetch-knative-crds: knative.dev/serving@$version has no config/core/300-resources/service.yaml" >&2; exit 1; }

cp "$module_dir/config/core/300-resources/service.yaml" "$fixtures/serving-crd-service.yaml"
chmod 644 "$fixtures/serving-crd-service.yaml"
echo "$version" > "$fixtures/VERSION"
( cd "$fixtures" && sha256sum serving-crd-service.yaml > serving-crd-service.yaml.sha256 )
echo "fetch-knative-crds: test/fixtures/knative/serving-crd-service.yaml from knative.dev/serving@$version"
