// Everything the benchmark runs or weighs, built fresh into .cache/bench: the functions'
// bundles by the project's own script (bundle.mjs, trained with this node), a copy of each
// without its code caches, and the references.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundleLikeFunctions, repoRoot } from './bundle-like-functions.ts';

export interface Builds {
  /** dist/<function>/ as scripts/bundle.mjs writes it (trained caches included). */
  functionDir(fn: string): string;
  /** The same app.cjs, kube.cjs and start.cjs without the caches. */
  noCacheDir(fn: string): string;
  fastifyHello: string;
  /** delete-pod's parser, pipeline, observers and reply in a bare Node handler (fixtures/plain-node-alert-server.ts). */
  plainNodeAlertServer: string;
  /** The four calls delete-pod makes, behind a bare Node server (fixtures/direct-delete-server.ts). */
  directDeleteServer: string;
  /**
   * Bytes of a bundle of only the client-node APIs the functions import (the names in
   * shared/k8s/client-node-apis.ts, which KubeClient shares, so the same for all three).
   */
  clientNodeOnlyBytes: number;
}

export const benchCache = join(repoRoot, '.cache', 'bench');

export async function buildAll(functions: string[]): Promise<Builds> {
  rmSync(benchCache, { recursive: true, force: true });
  const dist = join(benchCache, 'dist');
  const script = (name: string) =>
    execFileSync(process.execPath, [join(repoRoot, 'scripts', name), '--outdir', dist], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  script('bundle.mjs');
  const noCache = join(benchCache, 'dist-no-cache');
  for (const fn of functions) {
    mkdirSync(join(noCache, fn), { recursive: true });
    for (const file of ['app.cjs', 'kube.cjs', 'start.cjs']) copyFileSync(join(dist, fn, file), join(noCache, fn, file));
  }

  const refs = join(benchCache, 'ref');
  await bundleLikeFunctions(join(repoRoot, 'bench', 'fixtures', 'fastify-hello.ts'), join(refs, 'fastify-hello'));
  for (const fixture of ['plain-node-alert-server', 'direct-delete-server'])
    await bundleLikeFunctions(join(repoRoot, 'bench', 'fixtures', `${fixture}.ts`), join(refs, fixture));

  const clientNodeOnlyBytes = await bundleLikeFunctions(
    join(repoRoot, 'shared', 'k8s', 'client-node-apis.ts'),
    join(refs, 'client-node-only'),
  );
  return {
    functionDir: (fn) => join(dist, fn),
    noCacheDir: (fn) => join(noCache, fn),
    fastifyHello: join(refs, 'fastify-hello', 'index.mjs'),
    plainNodeAlertServer: join(refs, 'plain-node-alert-server', 'index.mjs'),
    directDeleteServer: join(refs, 'direct-delete-server', 'index.mjs'),
    clientNodeOnlyBytes,
  };
}
