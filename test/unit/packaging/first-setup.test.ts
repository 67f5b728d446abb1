// `make setup` on a machine whose own node is not the project's Node 24 (Node 20 here): it says
// what it does, fetches Node 24 first and runs npm ci on it, so npm prints no EBADENGINE
// warning for the packages that need 24 (a newcomer would read twenty of them as a failure).
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = new URL('../../../', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'frf-setup-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The machine's own node: the first on PATH that is not this project's. */
function machineNodeDir(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(':').filter((dir) => dir && !dir.includes('node_modules'));
  for (const dir of dirs) {
    try {
      execFileSync(join(dir, 'node'), ['--version']);
      return dir;
    } catch {
      // no node here
    }
  }
  return undefined;
}

describe('the first make setup', () => {
  it('runs npm ci on the pinned Node 24, saying so, without a single EBADENGINE warning', async () => {
    for (const file of ['package.json', 'package-lock.json', 'scripts/install-deps.sh']) {
      mkdirSync(join(scratch, 'scripts'), { recursive: true });
      copyFileSync(join(repoRoot, file), join(scratch, file));
    }
    const nodeDir = machineNodeDir();
    const path = [nodeDir, '/usr/local/bin', '/usr/bin', '/bin'].filter(Boolean).join(':');
    const { stdout, stderr } = await promisify(execFile)('bash', [join(scratch, 'scripts/install-deps.sh')], {
      cwd: scratch,
      env: {
        PATH: path,
        HOME: process.env.HOME ?? scratch,
        ...(process.env.XDG_CACHE_HOME && { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME }),
      },
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const output = stdout + stderr;
    expect(output).not.toContain('EBADENGINE');
    expect(output).toMatch(/setup: installing the locked dependencies with Node v24\.\d+\.\d+ \(npm ci\)/);
    expect(output).toMatch(/setup: done: node_modules\/\.bin\/node is Node v24\./);
    expect(execFileSync(join(scratch, 'node_modules/.bin/node'), ['--version'], { encoding: 'utf8' })).toMatch(/^v24\./);
  }, 200_000);
});
