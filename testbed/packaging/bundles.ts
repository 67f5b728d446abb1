// Builds the function bundles with the real bundle script into a fresh directory outside the
// repository, as `make bundle` does into dist/ (trained code caches included).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './manifests.ts';

export interface BundleSizes {
  trained: boolean;
  bundles: Array<{
    function: string;
    bytes: number;
    startupBytes: number;
    lazyBytes: number;
    cacheBytes: number;
    files: Array<{ file: string; kind: 'code' | 'cache' | 'build'; bytes: number; loaded: string }>;
  }>;
}

/** The bundle's code, each file of it on its own: the function (app.cjs) and the Kubernetes client it loads on first use (kube.cjs). */
export const CODE_FILES = ['app.cjs', 'kube.cjs'] as const;

export interface BuiltBundles {
  outDir: string;
  output: string;
  sizes: BundleSizes;
  /** Files of one function's build context (its folder), sorted. */
  filesOf(fn: string): string[];
  /** One file of one function's bundle, as text. */
  fileOf(fn: string, file: string): string;
  /** All JavaScript of one function's bundle, concatenated. */
  codeOf(fn: string): string;
  /** Copies what the image's /app holds (every file of the folder but the Dockerfile: the .cjs files and their trained caches) into `dir`. */
  copyAppTo(fn: string, dir: string): string[];
  remove(): void;
}

export function buildBundles(prefix = 'frf-bundles-'): BuiltBundles {
  const outDir = mkdtempSync(join(tmpdir(), prefix));
  const run = spawnSync(process.execPath, [join(repoRoot, 'scripts/bundle.mjs'), '--outdir', outDir], { cwd: repoRoot, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`scripts/bundle.mjs failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  const filesOf = (fn: string) => readdirSync(join(outDir, fn)).sort();
  const fileOf = (fn: string, file: string) => readFileSync(join(outDir, fn, file), 'utf8');
  return {
    outDir,
    output: run.stdout,
    sizes: JSON.parse(readFileSync(join(outDir, 'bundle-sizes.json'), 'utf8')) as BundleSizes,
    filesOf,
    fileOf,
    codeOf: (fn) =>
      filesOf(fn)
        .filter((file) => file.endsWith('.cjs'))
        .map((file) => fileOf(fn, file))
        .join('\n'),
    copyAppTo: (fn, dir) => {
      const files = filesOf(fn).filter((file) => file !== 'Dockerfile');
      for (const file of files) copyFileSync(join(outDir, fn, file), join(dir, file));
      return files;
    },
    remove: () => rmSync(outDir, { recursive: true, force: true }),
  };
}
