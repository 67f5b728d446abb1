// Writes the generated files (packaging/generated-files.ts): the RBAC manifests from the
// functions' declared rules and the falco chart values that embed other files. With --check,
// writes nothing and exits 1 if a committed file differs (CI, or before a commit).
//
//   make manifests                           (Node 24: the project's own, from node_modules)
//   node scripts/generate-manifests.ts [--check]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { generatedFiles } from '../packaging/generated-files.ts';

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
for (const [relativePath, text] of Object.entries(generatedFiles())) {
  const path = join(repoRoot, relativePath);
  const current = readOrEmpty(path);
  if (current === text) {
    console.log(`up to date  ${relativePath}`);
    continue;
  }
  if (check) {
    stale++;
    console.error(`STALE       ${relativePath} (run: make manifests)`);
    continue;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  console.log(`wrote       ${relativePath}`);
}
process.exitCode = stale > 0 ? 1 : 0;
