// The bundles `make bundle` produces: one self-contained program per function, holding its own
// handler and shared/ but nothing of the other functions, that starts from a directory holding
// nothing else and answers a real alert, exactly as the image runs it.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_ENTRYPOINT, ONE_SHOT_ARGS, entrypointIn } from '../../../packaging/start-command.ts';
import { FUNCTION_SPECS } from '../../../packaging/rbac.ts';
import { buildBundles, type BuiltBundles } from '../../packaging/bundles.ts';
import { freePort, runToCompletion, startProcess, waitUntilReady } from '../../packaging/processes.ts';
import { falcoAlert, freshAlert } from '../../support/fixtures.ts';

// Strings that only one function's code contains: its summary (read from its spec) and a
// literal from deep inside its action.
const MARKERS: Record<string, string[]> = {
  'delete-pod': ['delete-pod deleted this pod'],
  'isolate-pod': ['falco-quarantine-'],
  'scale-to-zero': ['previous-replicas'],
};
for (const spec of FUNCTION_SPECS) MARKERS[spec.name]!.push(spec.summary);

let bundles: BuiltBundles;
const scratch = mkdtempSync(join(tmpdir(), 'frf-bundle-run-'));
beforeAll(() => {
  bundles = buildBundles();
}, 60_000);
afterAll(() => {
  bundles?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

/**
 * Every module the bundle would load at run time that is not one of its own files: static and
 * dynamic imports and require() calls, as esbuild's parser finds them (strings that merely look
 * like module names, such as ajv's code templates, are not calls and do not count).
 */
async function externalModulesOf(dir: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(dir, 'index.mjs')],
    absWorkingDir: dir,
    bundle: true,
    write: false,
    outdir: join(dir, 'analysis'),
    platform: 'node',
    format: 'esm',
    splitting: true,
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
  });
  const externals = Object.values(result.metafile.inputs).flatMap((input) => input.imports.filter((edge) => edge.external).map((edge) => edge.path));
  return [...new Set(externals)].sort();
}

describe('bundles', () => {
  it('builds one folder per function and reports each size', () => {
    expect(bundles.sizes.bundles.map((b) => b.function)).toEqual(FUNCTION_SPECS.map((spec) => spec.name));
    for (const entry of bundles.sizes.bundles) {
      expect(bundles.filesOf(entry.function)).toContain('index.mjs');
      expect(entry.bytes).toBe(entry.files.reduce((sum, file) => sum + file.bytes, 0));
      expect(entry.startupBytes + entry.lazyBytes).toBe(entry.bytes);
      // The table printed by `npm run bundle` names every function with its size.
      expect(bundles.output).toMatch(new RegExp(`^${entry.function}\\s+\\d+\\s+${entry.bytes}\\s`, 'm'));
    }
    console.log(`bundle sizes: ${bundles.sizes.bundles.map((b) => `${b.function} ${(b.bytes / 1024).toFixed(0)} KiB (${(b.startupBytes / 1024).toFixed(0)} KiB read at start-up)`).join(', ')}`);
  });

  it('keeps the Kubernetes client out of start-up: it sits in a chunk loaded on first use', () => {
    for (const entry of bundles.sizes.bundles) {
      const lazy = entry.files.filter((file) => file.loaded === 'on first use');
      expect(lazy.length, entry.function).toBeGreaterThan(0);
      const startupCode = entry.files.filter((file) => file.loaded === 'at start-up').map((file) => readFileSync(join(bundles.outDir, file.file), 'utf8')).join('\n');
      // Model classes only @kubernetes/client-node defines (shared/ names them in types only).
      for (const clientNodeOnly of ['ObjectSerializer', 'V1PodSpec']) {
        expect(startupCode.includes(clientNodeOnly), `${entry.function} start-up code holds ${clientNodeOnly}`).toBe(false);
        expect(bundles.codeOf(entry.function).includes(clientNodeOnly), `${entry.function} lacks ${clientNodeOnly}`).toBe(true);
      }
    }
  });

  it.each(FUNCTION_SPECS.map((spec) => spec.name))('%s contains its own handler and none of the other functions', (fn) => {
    const code = bundles.codeOf(fn);
    for (const [other, markers] of Object.entries(MARKERS)) {
      for (const marker of markers) {
        // includes() rather than toContain(): a failure must not print megabytes of bundle.
        expect(code.includes(marker), other === fn ? `${fn} lacks its own "${marker}"` : `${fn} contains ${other}'s "${marker}"`).toBe(other === fn);
      }
    }
  });

  it.each(FUNCTION_SPECS.map((spec) => spec.name))('%s loads nothing but Node built-ins and its own files at run time', async (fn) => {
    const externals = await externalModulesOf(join(bundles.outDir, fn));
    expect(externals.length).toBeGreaterThan(0); // node:fs and friends: the analysis sees imports at all
    expect(externals.filter((specifier) => !isBuiltin(specifier))).toEqual([]);
  });
});

describe('each bundle, copied alone into an empty directory, runs as its image does', () => {
  /** A directory standing in for the image's /app: only the bundle's files, nothing else. */
  function appDirWithOnly(fn: string): string {
    const dir = mkdtempSync(join(scratch, `${fn}-`));
    for (const file of bundles.filesOf(fn).filter((name) => name.endsWith('.mjs'))) copyFileSync(join(bundles.outDir, fn, file), join(dir, file));
    return dir;
  }

  // No cluster credentials at all: the function runs offline and every decision is a dry-run.
  const offlineEnv = (dir: string) => ({ KUBECONFIG: join(dir, 'no-such-kubeconfig'), LOCK_FILE: '', HOME: dir, LOG_LEVEL: 'info' });

  it.each(FUNCTION_SPECS.map((spec) => spec.name))('%s: ready on $PORT, answers a real alert, exits 0 on SIGTERM', async (fn) => {
    const dir = appDirWithOnly(fn);
    const port = await freePort();
    const { command, args } = entrypointIn(dir);
    expect([IMAGE_ENTRYPOINT[0], ...args.map((arg) => arg.replace(dir, '/app'))]).toEqual(IMAGE_ENTRYPOINT);
    const proc = startProcess(command, args, { cwd: dir, env: { ...offlineEnv(dir), PORT: String(port), HOST: '127.0.0.1' } });
    try {
      await waitUntilReady(proc, `http://127.0.0.1:${port}/readyz`);
      const alert = freshAlert(falcoAlert('terminal-shell-tekton'));
      const response = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alert) });
      const decision = await response.json();
      expect(response.status).toBe(200);
      expect(decision).toMatchObject({ function: fn, outcome: 'dry-run', target: { namespace: 'falcoresponse', pod: 'alpine' } });
    } finally {
      const code = await proc.stop('SIGTERM');
      expect(code, proc.output()).toBe(0);
    }
  });

  it.each(FUNCTION_SPECS.map((spec) => spec.name))('%s: one-shot mode (the image with args --once) decides on $BODY and exits 0', async (fn) => {
    const dir = appDirWithOnly(fn);
    const { command, args } = entrypointIn(dir);
    const alert = freshAlert(falcoAlert('terminal-shell-tekton'));
    const run = await runToCompletion(command, [...args, ...ONE_SHOT_ARGS], { cwd: dir, env: { ...offlineEnv(dir), BODY: JSON.stringify(alert) } });
    expect(run.code, run.stderr).toBe(0);
    const decision = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(decision).toMatchObject({ function: fn, outcome: 'dry-run' });
  });
});
