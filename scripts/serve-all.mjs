#!/usr/bin/env node
// `make serve` / `npm start`: every registered function (functions/index.ts) serving on
// localhost from its sources, against the cluster in $KUBECONFIG (or ~/.kube/config), as
// dry-runs when there is none, on consecutive ports in name order:
//   delete-pod    http://127.0.0.1:8081     (SERVE_BASE_PORT moves them all)
//   isolate-pod   http://127.0.0.1:8082
//   scale-to-zero http://127.0.0.1:8083
// Every other setting is read by the functions themselves (README, Configuration), so
// DRY_RUN=true make serve works as documented. Ctrl-C stops all three, draining in flight.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { FUNCTION_NAMES as FUNCTIONS } from '../functions/index.ts';

const repoRoot = join(import.meta.dirname, '..');
const nameWidth = Math.max(...FUNCTIONS.map((name) => name.length));
const basePort = Number(process.env.SERVE_BASE_PORT ?? 8081);
if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65535 - FUNCTIONS.length) {
  console.error(`serve: SERVE_BASE_PORT must be a port number, got ${JSON.stringify(process.env.SERVE_BASE_PORT)}`);
  process.exit(1);
}

const children = FUNCTIONS.map((name, index) => {
  const child = spawn(process.execPath, [join(repoRoot, 'functions', name, 'index.ts')], {
    env: {
      HOST: '127.0.0.1',
      // One lock file per process would collide on /tmp/.lock: no exec probe runs locally.
      LOCK_FILE: '',
      ...process.env,
      PORT: String(basePort + index),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Each log line keeps its JSON intact; the prefix says which function wrote it.
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.on('data', (chunk) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`${name.padEnd(nameWidth)} ${line}\n`);
    });
  }
  return { name, child, exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))) };
});

let stopping = false;
function stopAll(signal) {
  stopping = true;
  for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}
process.on('SIGINT', () => stopAll('SIGTERM'));
process.on('SIGTERM', () => stopAll('SIGTERM'));

// One function failing to start (bad configuration, port taken) stops the others: a
// partial set serving would look like a working one.
const results = await Promise.all(
  children.map(async ({ name, exited }) => {
    const result = await exited;
    if (!stopping) {
      console.error(`serve: ${name} exited (${result.signal ?? `code ${result.code}`}); stopping the others`);
      stopAll('SIGTERM');
    }
    return result;
  }),
);
process.exitCode = results.every((r) => r.code === 0 || r.signal === 'SIGTERM') && stopping ? 0 : 1;
