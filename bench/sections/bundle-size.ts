// Bundle size per function as shipped: every file of code Node may load (app.cjs and
// start.cjs at start-up, kube.cjs on first use; the V8 caches apart), against a bundle of only
// the client-node APIs the functions import.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Builds } from '../lib/build.ts';
import type { BenchFunction } from '../lib/functions.ts';

export interface BundleSize {
  fn: string;
  /** app.cjs + kube.cjs + start.cjs, as bundle.mjs writes them. */
  bytes: number;
  startupBytes: number | undefined;
  /** app.cjs.v8cache + kube.cjs.v8cache, trained with this node. */
  cacheBytes: number;
  clientNodeOnlyBytes: number;
}

/** bundle.mjs records which files are read at start-up; undefined if it stops doing so. */
function startupBytesOf(builds: Builds, fn: string): number | undefined {
  try {
    const sizes = JSON.parse(readFileSync(join(dirname(builds.functionDir(fn)), 'bundle-sizes.json'), 'utf8')) as {
      bundles: Array<{ function: string; startupBytes?: number }>;
    };
    return sizes.bundles.find((b) => b.function === fn)?.startupBytes;
  } catch {
    return undefined;
  }
}

function bytesOf(dir: string, files: string[]): number {
  return files
    .map((file) => join(dir, file))
    .filter((path) => existsSync(path))
    .reduce((sum, path) => sum + statSync(path).size, 0);
}

export function measureBundleSizes(builds: Builds, functions: BenchFunction[]): BundleSize[] {
  return functions.map((fn) => {
    const dir = builds.functionDir(fn.name);
    return {
      fn: fn.name,
      bytes: bytesOf(dir, ['app.cjs', 'kube.cjs', 'start.cjs']),
      startupBytes: startupBytesOf(builds, fn.name),
      cacheBytes: bytesOf(dir, ['app.cjs.v8cache', 'kube.cjs.v8cache']),
      clientNodeOnlyBytes: builds.clientNodeOnlyBytes,
    };
  });
}
