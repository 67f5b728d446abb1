// The checks that keep the code's shape: Biome's recommended lint rules and its formatter
// (biome.jsonc), and the import structure (.dependency-cruiser.cjs: no cycles, functions import
// only shared/, shared/ never imports its users, each room of shared/ only the rooms below it).
// Both run on the whole tree; the rules are also shown to catch what they forbid.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = new URL('../../', import.meta.url).pathname;
const bin = (name: string): string => join(repoRoot, 'node_modules', '.bin', name);
const scratch = mkdtempSync(join(tmpdir(), 'frf-code-checks-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Exit code and output of a command; never throws for a non-zero exit. */
async function runTool(command: string, args: string[], cwd = repoRoot): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, { cwd, maxBuffer: 32 * 1024 * 1024, timeout: 120_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failure.code === 'number' ? failure.code : 1, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

const SOURCE_ROOTS = ['functions', 'shared', 'cli', 'packaging', 'scripts', 'testbed', 'bench', 'test'];
const depcruise = (cwd: string, roots: string[]) => runTool(bin('depcruise'), ['--config', '.dependency-cruiser.cjs', ...roots], cwd);

describe('code checks', () => {
  it('the tree passes Biome: its recommended lint rules with warnings as errors, and the format check', async () => {
    const { code, output } = await runTool(bin('biome'), ['ci', '--error-on-warnings', '--colors=off', '--max-diagnostics=50', '.']);
    expect(code, output).toBe(0);
  });

  it('the import structure holds across the tree: no cycles, functions → shared only, shared never → its users, rooms low → high', async () => {
    const { code, output } = await depcruise(repoRoot, SOURCE_ROOTS);
    expect(code, output).toBe(0);
    expect(output).toMatch(/no dependency violations found/);
  });

  it('each import rule catches what it forbids', async () => {
    const copy = join(scratch, 'repo');
    for (const path of ['functions', 'shared', 'tsconfig.json', '.dependency-cruiser.cjs'])
      cpSync(join(repoRoot, path), join(copy, path), { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules'), join(copy, 'node_modules'));
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(copy, path)), { recursive: true });
      writeFileSync(join(copy, path), text);
    };
    write('packaging/names.ts', 'export const x = 1;\n');
    write('functions/delete-pod/uses-packaging.ts', "export { x } from '../../packaging/names.ts';\n");
    write('functions/delete-pod/uses-another-function.ts', "export { QUARANTINE_LABEL } from '../isolate-pod/quarantine.ts';\n");
    write('shared/k8s/uses-a-higher-room.ts', "export type { Decision } from '../respond/decision.ts';\n");
    write('shared/alert/uses-its-user.ts', "export { x } from '../../packaging/names.ts';\n");
    write('shared/config/cycle-a.ts', "import { b } from './cycle-b.ts';\nexport const a = () => b;\n");
    write('shared/config/cycle-b.ts', "import { a } from './cycle-a.ts';\nexport const b = () => a;\n");
    const { code, output } = await depcruise(copy, ['functions', 'shared', 'packaging']);
    expect(code).not.toBe(0);
    expect(output).toMatch(/error functions-import-only-shared: functions\/delete-pod\/uses-packaging\.ts → packaging\/names\.ts/);
    expect(output).toMatch(
      /error functions-import-only-shared: functions\/delete-pod\/uses-another-function\.ts → functions\/isolate-pod\/quarantine\.ts/,
    );
    expect(output).toMatch(/error shared-rooms-k8s: shared\/k8s\/uses-a-higher-room\.ts → shared\/respond\/decision\.ts/);
    expect(output).toMatch(/error shared-never-imports-its-users: shared\/alert\/uses-its-user\.ts → packaging\/names\.ts/);
    expect(output).toMatch(/error no-circular: shared\/config\/cycle-(a|b)\.ts/);
  });

  it('every inline lint disable names its rule and says why', async () => {
    const { output } = await runTool('git', [
      'grep',
      '-n',
      '-E',
      'biome-ignore|eslint-disable|@ts-ignore|@ts-expect-error',
      '--',
      '*.ts',
      '*.mjs',
      '*.cjs',
      '*.js',
    ]);
    const lines = output.split('\n').filter((line) => line.trim() && !line.startsWith('test/unit/code-checks.test.ts'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line, line).toMatch(/biome-ignore(-start|-end)? lint\/[a-z]+\/[A-Za-z]+: \S.{3,}/);
  });

  it('biome.jsonc keeps the recommended rules on, turning off only what it explains', () => {
    const text = readFileSync(join(repoRoot, 'biome.jsonc'), 'utf8');
    expect(text).toMatch(/"preset": "recommended"/);
    for (const [, rule] of text.matchAll(/"(\w+)": "off"/g)) {
      const before = text
        .slice(0, text.indexOf(`"${rule}": "off"`))
        .split('\n')
        .slice(-4)
        .join('\n');
      expect(before, `${rule} is turned off without a comment above it`).toMatch(/\/\/ \S/);
    }
  });
});
