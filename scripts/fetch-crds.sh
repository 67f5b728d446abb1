#!/usr/bin/env bash
# Prints the CustomResourceDefinitions the chart's objects need, one "<file name> <path>" a
# line, read from their projects' Go modules (downloaded through the Go module proxy into Go's
# module cache, which keeps them; versions in test/tools/versions.env):
#   knative.dev/eventing                        config/core/resources/{broker,trigger}.yaml
#   github.com/prometheus-operator/prometheus-operator
#                                               example/prometheus-operator-crd/monitoring.coreos.com_{servicemonitors,podmonitors,prometheusrules}.yaml
# The Knative Serving Service CRD is committed (test/fixtures/knative/, scripts/fetch-knative-crds.sh).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../test/tools/versions.env
source "$repo_root/test/tools/versions.env"
: "${KNATIVE_EVENTING_VERSION:?missing in test/tools/versions.env}" "${PROMETHEUS_OPERATOR_VERSION:?missing in test/tools/versions.env}"

go_bin=$(command -v go || echo /usr/local/go/bin/go)
[[ -x "$go_bin" ]] || { echo "fetch-crds: no Go toolchain (need go on PATH or /usr/local/go/bin/go)" >&2; exit 1; }

module_dir() {
  # Outside any module, so no go.mod is read or written; -json reports where it was unpacked.
  (cd / && GOFLAGS=-mod=mod "$go_bin" mod download -json "$1@$2") | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}

print() {
  local dir=$1 file=$2
  [[ -f "$dir/$file" ]] || { echo "fetch-crds: $dir has no $file" >&2; exit 1; }
  echo "$(basename "$file") $dir/$file"
}

eventing=$(module_dir knative.dev/eventing "$KNATIVE_EVENTING_VERSION")
print "$eventing" config/core/resources/broker.yaml
print "$eventing" config/core/resources/trigger.yaml
operator=$(module_dir github.com/prometheus-operator/prometheus-operator "$PROMETHEUS_OPERATOR_VERSION")
for kind in servicemonitors podmonitors prometheusrules; do
  print "$operator" "example/prometheus-operator-crd/monitoring.coreos.com_$kind.yaml"
done
