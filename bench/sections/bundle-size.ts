// Bundle size per function: every file Node may load (start-up part and the lazily loaded
// client-node part), against a bundle of only the client-node APIs the functions import.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Builds } from '../lib/build.ts';
import { bundleBytes } from '../lib/bundle-like-functions.ts';
import type { BenchFunction } from '../lib/functions.ts';

export interface BundleSize {
  fn: string;
  /** index.mjs and its chunks, as bundle.mjs writes them. */
  bytes: number;
  startupBytes: number | undefined;
  /** app.cjs + kube.cjs + start.cjs of the fast-start form; its V8 caches apart. */
  fastStartBytes: number;
  fastStartCacheBytes: number;
  clientNodeOnlyBytes: number;
}

/** bundle.mjs records which files are read at start-up; undefined if it stops doing so. */
function startupBytesOf(builds: Builds, fn: string): number | undefined {
  try {
    const sizes = JSON.parse(readFileSync(join(dirname(builds.functionDir(fn)), 'bundle-sizes.json'), 'utf8')) as { bundles: Array<{ function: string; startupBytes?: number }> };
    return sizes.bundles.find((b) => b.function === fn)?.startupBytes;
  } catch {
    return undefined;
  }
}

function bytesOf(dir: string, files: string[]): number {
  return files.map((file) => join(dir, file)).filter((path) => existsSync(path)).reduce((sum, path) => sum + statSync(path).size, 0);
}

export function measureBundleSizes(builds: Builds, functions: BenchFunction[]): BundleSize[] {
  return functions.map((fn) => {
    const dir = builds.functionDir(fn.name);
    return {
      fn: fn.name,
      bytes: bundleBytes(dir),
      startupBytes: startupBytesOf(builds, fn.name),
      fastStartBytes: bytesOf(dir, ['app.cjs', 'kube.cjs', 'start.cjs']),
      fastStartCacheBytes: bytesOf(dir, ['app.cjs.v8cache', 'kube.cjs.v8cache']),
      clientNodeOnlyBytes: builds.clientNodeOnlyBytes,
    };
  });
}
