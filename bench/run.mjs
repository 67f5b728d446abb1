#!/usr/bin/env node
// The benchmark (`npm run bench`, `make bench`): see bench/RESULTS.md for what it measures.
//   node bench/run.mjs [--quick] [--no-write] [--cold-rounds N] [--load-rounds N] [--load-seconds S] [--pods N]
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
  },
});
const pick = (name, full, quick) => Number(values[name] ?? (values.quick ? quick : full));

const { runBench } = await import('./suite.ts');
await runBench({
  coldRounds: pick('cold-rounds', 5, 2),
  loadRounds: pick('load-rounds', 3, 1),
  loadSeconds: pick('load-seconds', 2, 1),
  connections: pick('connections', 10, 10),
  pods: pick('pods', 200, 30),
  // A quick run is a smoke test: its numbers do not replace the recorded ones.
  write: !values['no-write'] && !values.quick,
});
