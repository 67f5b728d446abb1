// Builds the function bundles with the real bundle script into a fresh directory outside the
// repository, as `make bundle` does into dist/.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './manifests.ts';

export interface BundleSizes {
  bundles: Array<{ function: string; bytes: number; startupBytes: number; lazyBytes: number; files: Array<{ file: string; bytes: number; loaded: string }> }>;
}

export interface BuiltBundles {
  outDir: string;
  output: string;
  sizes: BundleSizes;
  /** Files of one function's build context (its folder), sorted. */
  filesOf(fn: string): string[];
  /** All JavaScript of one function's bundle, concatenated. */
  codeOf(fn: string): string;
  remove(): void;
}

export function buildBundles(prefix = 'frf-bundles-'): BuiltBundles {
  const outDir = mkdtempSync(join(tmpdir(), prefix));
  const run = spawnSync(process.execPath, [join(repoRoot, 'scripts/bundle.mjs'), '--outdir', outDir], { cwd: repoRoot, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`scripts/bundle.mjs failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  const filesOf = (fn: string) => readdirSync(join(outDir, fn)).sort();
  return {
    outDir,
    output: run.stdout,
    sizes: JSON.parse(readFileSync(join(outDir, 'bundle-sizes.json'), 'utf8')) as BundleSizes,
    filesOf,
    codeOf: (fn) => filesOf(fn).filter((file) => file.endsWith('.mjs')).map((file) => readFileSync(join(outDir, fn, file), 'utf8')).join('\n'),
    remove: () => rmSync(outDir, { recursive: true, force: true }),
  };
}
