// Bundles the command line into one file Node 24 runs: dist/cli/falco-response.cjs, with a
// kubectl-falco_response beside it (a symlink: kubectl finds plugins by that name on the PATH),
// and packaging/cli/Dockerfile, so dist/cli/ is the build context of the command line's image.
import { chmodSync, copyFileSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'cli');
const outfile = join(outDir, 'falco-response.cjs');
mkdirSync(outDir, { recursive: true });
await build({
  entryPoints: [join(root, 'cli', 'cli.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  banner: { js: '#!/usr/bin/env node' },
  minify: true,
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
for (const name of ['falco-response', 'kubectl-falco_response']) {
  rmSync(join(outDir, name), { force: true });
  symlinkSync('falco-response.cjs', join(outDir, name));
}
copyFileSync(join(root, 'packaging', 'cli', 'Dockerfile'), join(outDir, 'Dockerfile'));
console.log(`bundled ${outfile}`);
