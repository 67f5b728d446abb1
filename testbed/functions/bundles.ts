// The functions as their images run them: `node dist/<name>/start.cjs` (Node 24, $PORT), the
// entry point scripts/bundle.mjs writes next to the bundle (app.cjs, kube.cjs) and its trained
// code caches. Bundles are rebuilt here when missing or older than any source they are made
// from (start.cjs and train.cjs included), so a test never runs stale code.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FUNCTION_NAMES, type FunctionName } from '../../functions/index.ts';

export const repoRoot = resolve(import.meta.dirname, '..', '..');

export { FUNCTION_NAMES, type FunctionName } from '../../functions/index.ts';

/** What the image starts (scripts/bundle.mjs: functions/<name>/spec.ts → dist/<name>/app.cjs, started by dist/<name>/start.cjs). */
export function bundlePath(name: FunctionName): string {
  return join(repoRoot, 'dist', name, 'start.cjs');
}

// What a bundle is made from: the functions, shared code, the bundler with the entry point and
// training run it copies (scripts/fast-start/), the Dockerfile it copies, the locked dependencies.
const SOURCE_DIRS = ['functions', 'shared', 'scripts/fast-start'];
const SOURCE_FILES = ['scripts/bundle.mjs', 'packaging/Dockerfile', 'package-lock.json'];

function newestMtimeMs(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file changes its directory's mtime
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  return newest;
}

export function bundlesAreFresh(): boolean {
  const sourcesChanged = Math.max(
    ...SOURCE_DIRS.map((dir) => newestMtimeMs(join(repoRoot, dir))),
    ...SOURCE_FILES.filter((file) => existsSync(join(repoRoot, file))).map((file) => statSync(join(repoRoot, file)).mtimeMs),
  );
  return FUNCTION_NAMES.every((name) => existsSync(bundlePath(name)) && statSync(bundlePath(name)).mtimeMs >= sourcesChanged);
}

/** Builds the bundles with the project's bundler unless they are up to date; returns whether it built. */
export function ensureBundles(log: (line: string) => void = () => {}): boolean {
  if (bundlesAreFresh()) return false;
  log('bundling the functions (node scripts/bundle.mjs) ...');
  execFileSync(process.execPath, [join(repoRoot, 'scripts', 'bundle.mjs')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  if (!bundlesAreFresh())
    throw new Error(`scripts/bundle.mjs ran but ${FUNCTION_NAMES.map(bundlePath).join(', ')} are still missing or stale`);
  return true;
}
