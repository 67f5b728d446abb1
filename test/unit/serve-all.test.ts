// `make serve` (npm start): the three functions from their sources on consecutive ports,
// dry-run when no cluster is configured, all stopped together.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { falcoAlert, freshAlert } from '../../testbed/alerts/fixtures.ts';
import { postJson } from '../../testbed/net/http-client.ts';
import { freeConsecutivePorts } from '../../testbed/net/ports.ts';

const root = new URL('../../', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'frf-serve-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('make serve', () => {
  it('serves delete-pod, isolate-pod and scale-to-zero on consecutive ports, as dry-runs without a cluster, and stops all three on SIGINT', async () => {
    const base = await freeConsecutivePorts(3);
    const child = spawn(process.execPath, [join(root, 'scripts/serve-all.mjs')], {
      env: { PATH: process.env.PATH ?? '', HOME: scratch, KUBECONFIG: join(scratch, 'none'), SERVE_BASE_PORT: String(base) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      for (let i = 0; i < 200 && (output.match(/Server listening/g) ?? []).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
      expect(output.match(/Server listening/g), output).toHaveLength(3);
      const names = ['delete-pod', 'isolate-pod', 'scale-to-zero'];
      for (const [index, name] of names.entries()) {
        const answer = await postJson(`http://127.0.0.1:${base + index}`, freshAlert(falcoAlert('terminal-shell-tekton')));
        expect(answer.status).toBe(200);
        expect(JSON.parse(answer.body)).toMatchObject({ function: name, outcome: 'dry-run', reason: 'no-cluster' });
      }
      // Each line says which function wrote it and keeps its JSON whole.
      const decision = output.split('\n').find((line) => line.startsWith('isolate-pod') && line.includes('"msg":"decision:'));
      expect(JSON.parse(decision!.slice(14))).toMatchObject({ function: 'isolate-pod', outcome: 'dry-run' });
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });
});
