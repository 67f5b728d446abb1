// The bundles `make bundle` produces: one self-contained program per function (app.cjs, the
// Kubernetes client in kube.cjs, the start.cjs entry point and their trained code caches),
// holding its own handler and shared/ but nothing of the other functions, that starts from a
// directory holding nothing else and answers a real alert, exactly as the image runs it.
import { mkdtempSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_ENTRYPOINT, ONE_SHOT_ARGS, entrypointIn } from '../../../packaging/start-command.ts';
import { FUNCTION_SPECS } from '../../../packaging/rbac.ts';
import { buildBundles, CODE_FILES, type BuiltBundles } from '../../../testbed/packaging/bundles.ts';
import { freePort, runToCompletion, startProcess, waitUntilReady } from '../../../testbed/process/container-process.ts';
import { falcoAlert, freshAlert } from '../../../testbed/alerts/fixtures.ts';

// Strings that only one function's code contains: its summary (read from its spec) and a
// literal from deep inside its action.
const MARKERS: Record<string, string[]> = {
  'delete-pod': ['delete-pod deleted this pod'],
  'isolate-pod': ['falco-quarantine-'],
  'scale-to-zero': ['falco-response scale-to-zero: '],
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
 * Every module the bundle would load at run time that is not one of its own files: imports and
 * require() calls of start.cjs, app.cjs and kube.cjs, as esbuild's parser finds them (strings
 * that merely look like module names, such as ajv's code templates, are not calls and do not count).
 */
async function externalModulesOf(dir: string): Promise<string[]> {
  const result = await build({
    entryPoints: ['start.cjs', ...CODE_FILES].map((file) => join(dir, file)),
    absWorkingDir: dir,
    bundle: true,
    write: false,
    outdir: join(dir, 'analysis'),
    platform: 'node',
    format: 'cjs',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
  });
  const externals = Object.values(result.metafile.inputs).flatMap((input) =>
    input.imports.filter((edge) => edge.external).map((edge) => edge.path),
  );
  return [...new Set(externals)].sort();
}

describe('bundles', () => {
  it('builds one folder per function, exactly what its image needs, trained, and reports each size', () => {
    expect(bundles.sizes.bundles.map((b) => b.function)).toEqual(FUNCTION_SPECS.map((spec) => spec.name));
    expect(bundles.sizes.trained).toBe(true);
    for (const entry of bundles.sizes.bundles) {
      expect(bundles.filesOf(entry.function)).toEqual([
        'Dockerfile',
        'app.cjs',
        'app.cjs.v8cache',
        'kube.cjs',
        'kube.cjs.v8cache',
        'start.cjs',
        'train.cjs',
      ]);
      const code = entry.files.filter((file) => file.kind === 'code');
      expect(code.map((file) => file.file).sort()).toEqual(['app.cjs', 'kube.cjs', 'start.cjs'].map((file) => `${entry.function}/${file}`));
      expect(entry.bytes).toBe(code.reduce((sum, file) => sum + file.bytes, 0));
      expect(entry.startupBytes + entry.lazyBytes).toBe(entry.bytes);
      expect(entry.cacheBytes).toBe(entry.files.filter((file) => file.kind === 'cache').reduce((sum, file) => sum + file.bytes, 0));
      expect(entry.cacheBytes).toBeGreaterThan(0);
      // The table printed by `npm run bundle` names every function with its size.
      expect(bundles.output).toMatch(new RegExp(`^${entry.function}\\s+\\d+\\s+${entry.bytes}\\s`, 'm'));
    }
    const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
    console.log(
      `bundle sizes: ${bundles.sizes.bundles.map((b) => `${b.function} ${kib(b.bytes)} (${kib(b.startupBytes)} read at start-up, + ${kib(b.cacheBytes)} code caches)`).join(', ')}`,
    );
  });

  it('keeps the Kubernetes client out of start-up: it sits in kube.cjs, loaded on first use', () => {
    for (const entry of bundles.sizes.bundles) {
      const lazy = entry.files.filter((file) => file.loaded === 'on first use' && file.kind === 'code').map((file) => file.file);
      expect(lazy, entry.function).toEqual([`${entry.function}/kube.cjs`]);
      const startupCode = entry.files
        .filter((file) => file.loaded === 'at start-up' && file.kind === 'code')
        .map((file) => bundles.fileOf(entry.function, file.file.split('/')[1]!))
        .join('\n');
      expect(
        startupCode.includes("require('./kube.cjs')") || startupCode.includes('require("./kube.cjs")'),
        `${entry.function} app.cjs does not require ./kube.cjs`,
      ).toBe(true);
      // Model classes only @kubernetes/client-node defines (shared/ names them in types only).
      for (const clientNodeOnly of ['ObjectSerializer', 'V1PodSpec']) {
        expect(startupCode.includes(clientNodeOnly), `${entry.function} start-up code holds ${clientNodeOnly}`).toBe(false);
        expect(
          bundles.fileOf(entry.function, 'kube.cjs').includes(clientNodeOnly),
          `${entry.function} kube.cjs lacks ${clientNodeOnly}`,
        ).toBe(true);
      }
    }
  });

  it.each(FUNCTION_SPECS.map((spec) => spec.name))(
    '%s contains its own handler and none of the other functions (app.cjs and kube.cjs alike)',
    (fn) => {
      const own = bundles.fileOf(fn, 'app.cjs');
      for (const marker of MARKERS[fn]!) expect(own.includes(marker), `${fn} app.cjs lacks its own "${marker}"`).toBe(true);
      for (const file of CODE_FILES) {
        const code = bundles.fileOf(fn, file);
        for (const [other, markers] of Object.entries(MARKERS)) {
          if (other === fn) continue;
          // includes() rather than toContain(): a failure must not print megabytes of bundle.
          for (const marker of markers) expect(code.includes(marker), `${fn} ${file} contains ${other}'s "${marker}"`).toBe(false);
        }
      }
    },
  );

  it.each(FUNCTION_SPECS.map((spec) => spec.name))('%s loads nothing but Node built-ins and its own files at run time', async (fn) => {
    const externals = await externalModulesOf(join(bundles.outDir, fn));
    expect(externals.length).toBeGreaterThan(0); // node:fs and friends: the analysis sees imports at all
    expect(externals.filter((specifier) => !isBuiltin(specifier))).toEqual([]);
  });
});

describe('each bundle, copied alone into an empty directory, runs as its image does', () => {
  /** A directory standing in for the image's /app: only the bundle's files (and trained caches), nothing else. */
  function appDirWithOnly(fn: string): string {
    const dir = mkdtempSync(join(scratch, `${fn}-`));
    expect(bundles.copyAppTo(fn, dir)).toContain('start.cjs');
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
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alert),
      });
      const decision = await response.json();
      expect(response.status).toBe(200);
      expect(decision).toMatchObject({ function: fn, outcome: 'dry-run', target: { namespace: 'falcoresponse', pod: 'alpine' } });
    } finally {
      const code = await proc.stop('SIGTERM');
      expect(code, proc.output()).toBe(0);
    }
  });

  it.each(FUNCTION_SPECS.map((spec) => spec.name))(
    '%s: one-shot mode (the image with args --once) decides on $BODY and exits 0',
    async (fn) => {
      const dir = appDirWithOnly(fn);
      const { command, args } = entrypointIn(dir);
      const alert = freshAlert(falcoAlert('terminal-shell-tekton'));
      const run = await runToCompletion(command, [...args, ...ONE_SHOT_ARGS], {
        cwd: dir,
        env: { ...offlineEnv(dir), BODY: JSON.stringify(alert) },
      });
      expect(run.code, run.stderr).toBe(0);
      const decision = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
      expect(decision).toMatchObject({ function: fn, outcome: 'dry-run' });
    },
  );
});
