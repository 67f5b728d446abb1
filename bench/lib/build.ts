// Everything the benchmark runs or weighs, built fresh into .cache/bench: the functions'
// bundles by the project's own scripts (bundle.mjs, and build-fast-start.mjs next to them,
// trained with this node), and the references built the same way as the bundles.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundleLikeFunctions, repoRoot } from './bundle-like-functions.ts';

export interface Builds {
  /** dist/<function>/ as scripts/bundle.mjs writes it. */
  functionDir(fn: string): string;
  fastifyHello: string;
  /**
   * Bytes of a bundle of only the client-node APIs the functions import (the names in
   * shared/k8s/client-node-apis.ts, which KubeClient shares, so the same for all three).
   */
  clientNodeOnlyBytes: number;
}

export const benchCache = join(repoRoot, '.cache', 'bench');

export async function buildAll(): Promise<Builds> {
  rmSync(benchCache, { recursive: true, force: true });
  const dist = join(benchCache, 'dist');
  const script = (name: string) => execFileSync(process.execPath, [join(repoRoot, 'scripts', name), '--outdir', dist], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  script('bundle.mjs');
  // After bundle.mjs, which empties each function's folder first.
  script('build-fast-start.mjs');

  const refs = join(benchCache, 'ref');
  await bundleLikeFunctions(join(repoRoot, 'bench', 'fixtures', 'fastify-hello.ts'), join(refs, 'fastify-hello'));

  const clientNodeOnlyBytes = await bundleLikeFunctions(join(repoRoot, 'shared', 'k8s', 'client-node-apis.ts'), join(refs, 'client-node-only'));
  return {
    functionDir: (fn) => join(dist, fn),
    fastifyHello: join(refs, 'fastify-hello', 'index.mjs'),
    clientNodeOnlyBytes,
  };
}

