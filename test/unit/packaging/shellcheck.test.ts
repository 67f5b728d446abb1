// Every shell script in the repository (*.sh and files with a bash or sh shebang, .ci/run
// included) passes Debian's shellcheck (scripts/fetch-debian-tools.sh) with the repository's
// .shellcheckrc, and no finding is silenced without a comment giving the reason.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../testbed/packaging/manifests.ts';
import { debianToolPath, run } from '../../../testbed/packaging/tools.ts';

const shellcheck = debianToolPath('shellcheck');

function shellScripts(): string[] {
  // Tracked and new (not ignored) files: a script added but not yet committed is checked too.
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: repoRoot, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);
  return files.filter((file) => {
    if (file.endsWith('.sh')) return true;
    try {
      return /^#!\s*(\/usr\/bin\/env\s+)?(\/bin\/|\/usr\/bin\/)?(ba)?sh\b/.test(readFileSync(join(repoRoot, file), 'utf8').slice(0, 100));
    } catch {
      return false; // deleted in the work tree
    }
  });
}

const scripts = shellScripts();
const scratch = mkdtempSync(join(tmpdir(), 'frf-shellcheck-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('shellcheck', () => {
  it('finds the scripts make test runs: .ci/run, scripts/*.sh', () => {
    expect(scripts).toEqual(
      expect.arrayContaining([
        '.ci/run',
        'scripts/run-tests.sh',
        'scripts/build-k8s.sh',
        'scripts/build-helm.sh',
        'scripts/fetch-debian-tools.sh',
      ]),
    );
  });

  it('reports nothing in any of them', () => {
    const result = run(shellcheck, scripts);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('would report a cd without a guard (the check is real)', () => {
    const file = join(scratch, 'unguarded.sh');
    writeFileSync(file, '#!/usr/bin/env bash\ncd "$1"\nrm -rf build\n');
    const result = run(shellcheck, [file]);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain('SC2164');
  });

  it('every disable directive gives its reason in a comment', () => {
    const unexplained = scripts.flatMap((file) => {
      const lines = readFileSync(join(repoRoot, file), 'utf8').split('\n');
      return lines.flatMap((line, index) => {
        if (!/#\s*shellcheck\s+disable=/.test(line)) return [];
        const sameLine = /disable=[\w,]+\s+#\s*\S/.test(line);
        const lineAbove = /^\s*#(?!\s*shellcheck)\s*\S/.test(lines[index - 1] ?? '');
        return sameLine || lineAbove ? [] : [`${file}:${index + 1}: ${line.trim()}`];
      });
    });
    expect(unexplained).toEqual([]);
  });
});
