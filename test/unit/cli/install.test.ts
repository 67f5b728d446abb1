// `make install-cli` puts the bundled command line on a PATH under both its names, and
// package.json's `bin` names the same file: `falco-response` and `kubectl-falco_response`
// (kubectl runs any kubectl-<name> it finds on the PATH as `kubectl <name>`).
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../testbed/packaging/manifests.ts';

const prefix = mkdtempSync(join(tmpdir(), 'frf-install-cli-'));
afterAll(() => rmSync(prefix, { recursive: true, force: true }));

describe('make install-cli', () => {
  it('installs falco-response and kubectl-falco_response into PREFIX/bin; both answer --help with exit 0', () => {
    // Node 24 first on the PATH, as the Makefile puts it for its own commands.
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` };
    execFileSync('make', ['-s', 'install-cli', `PREFIX=${prefix}`], { cwd: repoRoot, env, stdio: 'pipe' });
    const bin = join(prefix, 'bin');
    expect(lstatSync(join(bin, 'falco-response')).isFile()).toBe(true);
    expect(lstatSync(join(bin, 'falco-response')).mode & 0o111).toBe(0o111);
    expect(readlinkSync(join(bin, 'kubectl-falco_response'))).toBe('falco-response');
    for (const name of ['falco-response', 'kubectl-falco_response']) {
      const help = execFileSync(join(bin, name), ['--help'], { env, encoding: 'utf8' });
      expect(help).toContain('falco-response: what the Falco response functions did');
      expect(help).toMatch(/Exit codes: 0 done, 1 error .*, 2 usage, 3 refused/);
    }
  }, 60_000);

  it('package.json names the same bundle under both names', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ 'falco-response': 'dist/cli/falco-response.cjs', 'kubectl-falco_response': 'dist/cli/falco-response.cjs' });
  });
});
