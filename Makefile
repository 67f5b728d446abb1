# Every target brings its own tools: Node 24 comes from the npm registry into
# node_modules/.bin (the machines ship Node 20), kube-apiserver, etcd, the controller-manager,
# the scheduler, kubectl, kwok and helm are built from the Go module proxy into a cache outside
# the repository, promtool and shellcheck are unpacked from Debian's packages into a cache beside it.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: setup lint format build generate manifests knative-crds bundle cli install-cli test test-unit k8s-binaries check-tools flux-binaries senders serve demo bench bench-scale clean

# npm ci only when the lock file changed since the last install, run on the project's Node 24
# (fetched once into a cache first when the machine's node is another: scripts/install-deps.sh).
node_modules/.installed: package.json package-lock.json
	./scripts/install-deps.sh
	@touch $@

setup: node_modules/.installed

# Biome's lint rules and format check, and the import structure (dependency-cruiser); both
# also run in `make test` (test/unit/code-checks.test.ts).
lint: setup
	npm run lint

# Formats the tree and applies Biome's safe fixes.
format: setup
	npm run format

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

# The command line, one file Node 24 runs: dist/cli/falco-response.cjs, with the names
# falco-response and kubectl-falco_response beside it, and its image's Dockerfile.
cli: setup
	node cli/bundle.mjs

# Both names into $(PREFIX)/bin (default ~/.local/bin, which must be on your PATH): kubectl then
# finds `kubectl falco-response`. A copy, not a link into the checkout.
PREFIX ?= $(HOME)/.local
install-cli: cli
	install -d "$(PREFIX)/bin"
	install -m 0755 dist/cli/falco-response.cjs "$(PREFIX)/bin/falco-response"
	ln -sf falco-response "$(PREFIX)/bin/kubectl-falco_response"
	@echo "installed $(PREFIX)/bin/falco-response and $(PREFIX)/bin/kubectl-falco_response (needs Node 24 as node on the PATH)"

k8s-binaries:
	./scripts/build-k8s.sh

# The real checkers the packaging tests run: helm v3.22.0 (built once, ~4 min on 2 cores),
# promtool and shellcheck (Debian), and the Go modules the chart's CRDs come from.
check-tools:
	./scripts/build-helm.sh >/dev/null
	./scripts/fetch-debian-tools.sh >/dev/null
	./scripts/fetch-crds.sh >/dev/null

# Flux's source-controller and kustomize-controller and the GitOps CRDs, for the GitOps tests.
flux-binaries:
	./scripts/build-flux.sh >/dev/null

# The real clients the end-to-end tests send alerts with (CloudEvents Go SDK), cached by hash.
senders:
	./scripts/build-senders.sh >/dev/null

# The whole suite: unit, integration against a reacting cluster (kube-apiserver, controllers,
# scheduler, kwok nodes, Flux's controllers for the GitOps tests), end to end.
test: setup k8s-binaries check-tools flux-binaries senders
	./scripts/run-tests.sh

# Quick tier: no API server.
test-unit: setup check-tools
	./scripts/run-tests.sh --project unit

# The README's main command: a reacting cluster on loopback, the three bundled functions, and
# real Falco alerts sent as Falcosidekick's outputs send them; prints what the cluster did.
demo: setup k8s-binaries senders
	node scripts/demo.ts

# The three functions serving on localhost against $KUBECONFIG's cluster (dry-run without one).
serve: setup
	npm start

bench: setup k8s-binaries
	npm run bench
	$(MAKE) bench-scale

# The functions on a reacting cluster of realistic size (up to 1,000 kwok nodes, 10,000 pods;
# 20 minutes at most); writes its section of bench/RESULTS.md. Not part of `make test`.
bench-scale: setup k8s-binaries
	node bench/scale.mjs

clean:
	rm -rf dist .cache coverage node_modules/.installed
