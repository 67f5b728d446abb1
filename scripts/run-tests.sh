#!/usr/bin/env bash
# Runs the vitest suites given (default: all) and ends with the line CI reads,
# "N passed, N failed", counted from vitest's JSON results rather than its console summary.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export PATH="$PWD/node_modules/.bin:$PATH"
results=.cache/test-results.json
mkdir -p .cache
rm -f "$results"
vitest run "$@"
status=$?
node scripts/test-summary.mjs "$results" || status=1
exit $status
