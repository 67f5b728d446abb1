// Builds the references (fastify hello-world, the client-node APIs alone) as one minified
// esbuild bundle each, with the options of the functions' bundles (platform, target, minify,
// keepNames, no legal comments); ESM with its chunks rather than CommonJS, as the hello-world
// awaits at top level. scripts/bundle.mjs runs on import and exports none: kept in step by hand.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

export const repoRoot = join(import.meta.dirname, '..', '..');

const banner =
  "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);";

/** Bundles `entry` into `outDir/index.mjs` (+ chunks); returns the total bytes written. */
export async function bundleLikeFunctions(entry: string, outDir: string): Promise<number> {
  const outdir = resolve(repoRoot, outDir);
  await build({
    absWorkingDir: repoRoot,
    entryPoints: { index: entry },
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    keepNames: true,
    legalComments: 'none',
    banner: { js: banner },
    logLevel: 'warning',
  });
  return bundleBytes(outdir);
}

/** Bytes of every .mjs file in a bundle folder (what Node may read), not the Dockerfile. */
export function bundleBytes(dir: string): number {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.mjs'))
    .reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
}
