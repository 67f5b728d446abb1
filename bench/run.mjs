#!/usr/bin/env node
// The benchmark (`npm run bench`, `make bench`): see bench/RESULTS.md for what it measures.
//   node bench/run.mjs [--quick] [--no-write] [--cold-rounds N] [--load-rounds N] [--load-seconds S] [--pods N] [--evidence-pods N]
//   node bench/run.mjs --only evidence [--evidence-pods N]   what evidence capture adds to time to
//                                                          remediation, alone (printed, nothing written)
// Needs Node 24 (it runs the TypeScript modules next to it directly) and the kube-apiserver
// and etcd binaries of `make k8s-binaries`.
import { parseArgs } from 'node:util';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(`bench: Node ${process.version}; needs Node 24 (export PATH=$PWD/node_modules/.bin:$PATH)`);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    'cold-rounds': { type: 'string' },
    'load-rounds': { type: 'string' },
    'load-seconds': { type: 'string' },
    connections: { type: 'string' },
    pods: { type: 'string' },
    'evidence-pods': { type: 'string' },
    only: { type: 'string' },
  },
});
const pick = (name, full, quick) => Number(values[name] ?? (values.quick ? quick : full));

const { runBench, runEvidenceOnly } = await import('./suite.ts');
if (values.only !== undefined && values.only !== 'evidence') {
  console.error(`bench: --only takes "evidence", not ${JSON.stringify(values.only)}`);
  process.exit(2);
}
if (values.only === 'evidence') {
  await runEvidenceOnly({ evidencePods: pick('evidence-pods', 60, 10) });
  process.exit(0);
}
await runBench({
  coldRounds: pick('cold-rounds', 5, 2),
  loadRounds: pick('load-rounds', 3, 1),
  loadSeconds: pick('load-seconds', 10, 1),
  connections: pick('connections', 50, 50),
  pods: pick('pods', 200, 30),
  evidencePods: pick('evidence-pods', 60, 10),
  // A quick run is a smoke test: its numbers do not replace the recorded ones.
  write: !values['no-write'] && !values.quick,
});
