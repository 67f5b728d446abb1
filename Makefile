# Every target brings its own tools: Node 24 comes from the npm registry into
# node_modules/.bin (the machines ship Node 20), kube-apiserver and etcd are built
# from the Go module proxy into a cache outside the repository.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: setup build generate manifests knative-crds bundle test test-unit k8s-binaries flux-binaries senders serve demo bench clean

# npm ci only when the lock file changed since the last install.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

setup: node_modules/.installed

build: setup
	npm run build

generate: setup
	npm run generate

# RBAC manifests (knative/, openfaas/) from the rules each function declares.
manifests: setup
	npm run generate:manifests

# Only to refresh the committed Knative Service CRD (test/fixtures/knative/).
knative-crds:
	./scripts/fetch-knative-crds.sh

bundle: setup
	npm run bundle

k8s-binaries:
	./scripts/build-k8s.sh

# Flux's source-controller and kustomize-controller and the GitOps CRDs, for the GitOps tests.
flux-binaries:
	./scripts/build-flux.sh >/dev/null

# The real clients the end-to-end tests send alerts with (CloudEvents Go SDK), cached by hash.
senders:
	./scripts/build-senders.sh >/dev/null

# The whole suite: unit, integration against a real kube-apiserver, end to end.
test: setup k8s-binaries flux-binaries senders
	./scripts/run-tests.sh

# Quick tier: no API server.
test-unit: setup
	./scripts/run-tests.sh --project unit

# The README's main command: a real kube-apiserver + etcd, the three bundled functions, and
# real Falco alerts sent as Falcosidekick's outputs send them; prints what changed.
demo: setup k8s-binaries senders
	node scripts/demo.ts

# The three functions serving on localhost against $KUBECONFIG's cluster (dry-run without one).
serve: setup
	npm start

bench: setup k8s-binaries
	npm run bench

clean:
	rm -rf dist .cache coverage node_modules/.installed
