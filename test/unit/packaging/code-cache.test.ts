// start.cjs really starts the function through the V8 code caches train.cjs wrote (that is what
// makes it start in about half the time), and a cache is only ever a hint: missing, corrupted
// or made for other code, the function compiles as usual, starts and answers. (A cache damaged
// inside, header intact, crashes V8 if handed to it: start.cjs checks each one's CRC-32 first.)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_NODE_FLAGS, ONE_SHOT_ARGS, entrypointIn } from '../../../packaging/start-command.ts';
import { buildBundles, type BuiltBundles } from '../../../testbed/packaging/bundles.ts';
import { freePort, runToCompletion, startProcess, waitUntilReady } from '../../../testbed/process/container-process.ts';
import { falcoAlert, freshAlert } from '../../../testbed/alerts/fixtures.ts';

let bundles: BuiltBundles;
const scratch = mkdtempSync(join(tmpdir(), 'frf-code-cache-'));
beforeAll(() => {
  bundles = buildBundles('frf-code-cache-bundles-');
}, 120_000);
afterAll(() => {
  bundles?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

const FN = 'delete-pod';

/** A stand-in for the image's /app holding the trained bundle, then changed by `prepare`. */
function appDir(prepare: (dir: string) => void = () => {}): string {
  const dir = mkdtempSync(join(scratch, 'app-'));
  bundles.copyAppTo(FN, dir);
  prepare(dir);
  return dir;
}

/** What start.cjs reports about each cache with FAST_START_DEBUG=1: file → accepted | rejected | corrupt | missing. */
function cacheReport(stderr: string): Record<string, string> {
  return Object.fromEntries([...stderr.matchAll(/^fast-start: (\S+) cache (\S+)/gm)].map((match) => [match[1], match[2]]));
}

/** One-shot run (the image with args --once) on a real alert: offline, so a dry-run decision. */
async function runOnce(dir: string, env: Record<string, string> = {}) {
  const { command, args } = entrypointIn(dir);
  const alert = freshAlert(falcoAlert('terminal-shell-tekton'));
  const run = await runToCompletion(command, [...args, ...ONE_SHOT_ARGS], {
    cwd: dir,
    env: {
      KUBECONFIG: join(dir, 'no-such-kubeconfig'),
      LOCK_FILE: '',
      HOME: dir,
      FAST_START_DEBUG: '1',
      BODY: JSON.stringify(alert),
      ...env,
    },
  });
  expect(run.code, run.stderr).toBe(0);
  const decision = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
  expect(decision).toMatchObject({ function: FN, outcome: 'dry-run', target: { namespace: 'falcoresponse', pod: 'alpine' } });
  return cacheReport(run.stderr);
}

/** A kubeconfig whose API server refuses connections: the function loads kube.cjs to act, then fails to reach it. */
async function unreachableKubeconfig(dir: string): Promise<string> {
  const port = await freePort();
  const path = join(dir, 'kubeconfig');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{ name: c, cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]`,
      'users: [{ name: u, user: { token: t } }]',
      'contexts: [{ name: x, context: { cluster: c, user: u } }]',
      'current-context: x',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return path;
}

/**
 * Whether `file`'s trained cache fits it in a node started with `flags` (V8 checks its flags
 * too), and, so the check can fail, whether it is rejected for other code.
 */
function cacheFitUnder(flags: readonly string[], file: string): { fits: boolean; otherCodeRejected: boolean } {
  const check = `
    const { readFileSync } = require('node:fs'); const Module = require('node:module'); const vm = require('node:vm');
    const file = process.argv[1]; const source = Module.wrap(readFileSync(file, 'utf8'));
    const cachedData = readFileSync(file + '.v8cache').subarray(4);
    const fits = !new vm.Script(source, { filename: file, cachedData }).cachedDataRejected;
    const otherCodeRejected = new vm.Script(source + ';', { cachedData }).cachedDataRejected;
    process.stdout.write(JSON.stringify({ fits, otherCodeRejected }));`;
  return JSON.parse(execFileSync(process.execPath, [...flags, '-e', check, file], { encoding: 'utf8' }));
}

describe('start.cjs and the trained code caches', () => {
  it("the caches fit the code they were trained on, with this node and the image's node flags (checked by V8 itself, not by start.cjs)", () => {
    for (const file of ['app.cjs', 'kube.cjs']) {
      const cache = readFileSync(join(bundles.outDir, FN, `${file}.v8cache`));
      // start.cjs's header: the CRC-32 of the V8 data that follows.
      expect(cache.readUInt32LE(0)).toBe(crc32(cache.subarray(4)));
      const path = join(bundles.outDir, FN, file);
      expect(cacheFitUnder(IMAGE_NODE_FLAGS, path), `${file}.v8cache rejected`).toEqual({ fits: true, otherCodeRejected: true });
    }
  });

  it('starts the function from the trained cache of app.cjs', async () => {
    expect(await runOnce(appDir())).toEqual({ 'app.cjs': 'accepted' });
  });

  it('loads kube.cjs from its trained cache on the first alert that needs the cluster', async () => {
    const dir = appDir();
    const { command, args } = entrypointIn(dir);
    const alert = freshAlert(falcoAlert('terminal-shell-tekton'));
    const run = await runToCompletion(command, [...args, ...ONE_SHOT_ARGS], {
      cwd: dir,
      env: {
        KUBECONFIG: await unreachableKubeconfig(dir),
        POD_NAMESPACE: 'falco-response',
        LOCK_FILE: '',
        HOME: dir,
        FAST_START_DEBUG: '1',
        BODY: JSON.stringify(alert),
        KUBE_RETRIES: '1',
        KUBE_TIMEOUT_MS: '1000',
      },
    });
    expect(cacheReport(run.stderr), run.stderr).toEqual({ 'app.cjs': 'accepted', 'kube.cjs': 'accepted' });
    // It tried the cluster (and could not reach it): an answer all the same, not a crash.
    const decision = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(decision).toMatchObject({ function: FN, reason: 'api-unavailable' });
  });

  it('without caches, compiles as usual and still answers', async () => {
    const dir = appDir((d) => {
      rmSync(join(d, 'app.cjs.v8cache'));
      rmSync(join(d, 'kube.cjs.v8cache'));
    });
    expect(await runOnce(dir)).toEqual({ 'app.cjs': 'missing' });
  });

  it('with a cache damaged inside (header intact), never hands it to V8: compiles as usual and still answers', async () => {
    const dir = appDir((d) => {
      const cache = readFileSync(join(d, 'app.cjs.v8cache'));
      for (let i = 4096; i < cache.length; i += 4099) cache[i] = cache[i]! ^ 0xff;
      writeFileSync(join(d, 'app.cjs.v8cache'), cache);
    });
    expect(await runOnce(dir)).toEqual({ 'app.cjs': 'corrupt' });
  });

  it('with a cache that is not one at all, compiles as usual and still answers', async () => {
    const dir = appDir((d) => writeFileSync(join(d, 'app.cjs.v8cache'), 'not a code cache'));
    expect(await runOnce(dir)).toEqual({ 'app.cjs': 'corrupt' });
  });

  it('with a cache of other code (another function), V8 rejects it: compiles as usual and still answers', async () => {
    const dir = appDir((d) =>
      writeFileSync(join(d, 'app.cjs.v8cache'), readFileSync(join(bundles.outDir, 'isolate-pod', 'app.cjs.v8cache'))),
    );
    expect(await runOnce(dir)).toEqual({ 'app.cjs': 'rejected' });
  });

  it('with a truncated cache, serves over HTTP as usual', async () => {
    // Truncated, then given a valid checksum: what V8 itself must turn down.
    const dir = appDir((d) => {
      const data = readFileSync(join(d, 'app.cjs.v8cache')).subarray(4, 100);
      const header = Buffer.alloc(4);
      header.writeUInt32LE(crc32(data));
      writeFileSync(join(d, 'app.cjs.v8cache'), Buffer.concat([header, data]));
    });
    const port = await freePort();
    const { command, args } = entrypointIn(dir);
    const proc = startProcess(command, args, {
      cwd: dir,
      env: {
        KUBECONFIG: join(dir, 'no-such-kubeconfig'),
        LOCK_FILE: '',
        HOME: dir,
        FAST_START_DEBUG: '1',
        PORT: String(port),
        HOST: '127.0.0.1',
      },
    });
    try {
      await waitUntilReady(proc, `http://127.0.0.1:${port}/readyz`);
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(freshAlert(falcoAlert('terminal-shell-tekton'))),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ function: FN, outcome: 'dry-run' });
      expect(cacheReport(proc.output())).toEqual({ 'app.cjs': 'rejected' });
    } finally {
      expect(await proc.stop('SIGTERM'), proc.output()).toBe(0);
    }
  });
});
