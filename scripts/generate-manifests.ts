// Writes the RBAC manifests generated from the functions' declared rules (see
// packaging/rbac-manifests.ts). With --check, writes nothing and exits 1 if a committed file
// differs from what the code declares (CI, or before a commit).
//
//   node scripts/generate-manifests.ts [--check]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { generatedManifests } from '../packaging/rbac-manifests.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const check = process.argv.includes('--check');

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

let stale = 0;
for (const [relativePath, text] of Object.entries(generatedManifests())) {
  const path = join(repoRoot, relativePath);
  const current = readOrEmpty(path);
  if (current === text) {
    console.log(`up to date  ${relativePath}`);
    continue;
  }
  if (check) {
    stale++;
    console.error(`STALE       ${relativePath} (run: node scripts/generate-manifests.ts)`);
    continue;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  console.log(`wrote       ${relativePath}`);
}
process.exitCode = stale > 0 ? 1 : 0;
