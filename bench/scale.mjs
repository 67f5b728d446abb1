#!/usr/bin/env node
// `make bench-scale` (and the last part of `make bench`): the functions on a reacting cluster
// of realistic size. See bench/sections/scale.ts.
//   node bench/scale.mjs [--nodes 1000] [--pods 10000] [--namespaces 100] [--minutes 20] [--qps 300] [--no-write]
import { join } from 'node:path';
import { parseArgs } from 'node:util';

if (Number(process.versions.node.split('.')[0]) < 24) {
  console.error(`bench-scale: Node ${process.version}; needs Node 24 (export PATH=$PWD/node_modules/.bin:$PATH)`);
  process.exit(1);
}
const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000' },
    pods: { type: 'string', default: '10000' },
    namespaces: { type: 'string', default: '100' },
    minutes: { type: 'string', default: '20' },
    qps: { type: 'string', default: '300' },
    'no-write': { type: 'boolean', default: false },
  },
});
const { runScaleBench } = await import('./sections/scale.ts');
await runScaleBench({
  nodes: Number(values.nodes),
  pods: Number(values.pods),
  namespaces: Number(values.namespaces),
  minutes: Number(values.minutes),
  qps: Number(values.qps),
  resultsPath: values['no-write'] ? undefined : join(import.meta.dirname, 'RESULTS.md'),
});
