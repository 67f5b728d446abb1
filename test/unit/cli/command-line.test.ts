// The command line without a cluster: parsing, --help on every command, and the exit codes
// documented in --help (0 done, 1 error, 2 usage, 3 refused).
import { describe, expect, it } from 'vitest';
import { parseCommand, parseObjectRef } from '../../../cli/args.ts';
import { parseDuration } from '../../../cli/commands/evidence.ts';
import { main } from '../../../cli/main.ts';
import { age, render } from '../../../cli/output.ts';
import { OPERATOR_CLUSTER_RULES } from '../../../cli/operator-rbac.ts';

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('falco-response command line', () => {
  it('--help on every command exits 0 and documents the exit codes', async () => {
    for (const argv of [['--help'], ['status', '--help'], ['release', '-h'], ['restore', '--help'], ['evidence', '--help']]) {
      const { code, out } = await run(...argv);
      expect(code).toBe(0);
      expect(out).toMatch(/Exit codes: 0 done, 1 error .*, 2 usage, 3 refused/);
    }
  });

  it('usage errors exit 2: no command, an unknown command or flag, a bad output, a bad object or duration', async () => {
    for (const argv of [
      [],
      ['frobnicate'],
      ['status', '--bogus'],
      ['status', '-o', 'xml'],
      ['release', 'deployment/web'],
      ['restore', 'pod/x'],
      ['evidence'],
      ['evidence', 'prune'],
      ['evidence', 'prune', '--older-than', '7 days'],
    ]) {
      expect((await run(...argv)).code, argv.join(' ')).toBe(2);
    }
  });

  it('an unreachable cluster or a missing kubeconfig is an error: exit 1', async () => {
    expect((await run('status', '--kubeconfig', '/nonexistent/kubeconfig')).code).toBe(1);
  });

  it('parses kubectl-style flags and KIND/NAME', () => {
    const parsed = parseCommand(['-n', 'web', '-o', 'json', '--dry-run', 'pod/x'], {});
    expect(parsed.common).toMatchObject({ namespace: 'web', output: 'json', dryRun: true, allNamespaces: false });
    expect(parsed.positionals).toEqual(['pod/x']);
    expect(parseObjectRef('Deploy/web-1', { deploy: 'Deployment' })).toEqual({ kind: 'Deployment', name: 'web-1' });
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('90s')).toBe(90_000);
  });

  it('renders the same rows as a table, JSON and YAML', () => {
    const table = {
      columns: [['NAME', (r: { name: string }) => r.name]] as Array<[string, (r: { name: string }) => string]>,
      rows: [{ name: 'a' }],
      empty: 'none',
    };
    expect(render('table', table)).toBe('NAME\na\n');
    expect(JSON.parse(render('json', table))).toEqual([{ name: 'a' }]);
    expect(render('yaml', table)).toBe('- name: a\n');
    expect(render('table', { ...table, rows: [] })).toBe('none\n');
    expect(age(new Date(Date.now() - 3 * 3600_000).toISOString())).toBe('3h');
  });

  it('the operator role never reads Secrets cluster-wide', () => {
    expect(OPERATOR_CLUSTER_RULES.filter((rule) => rule.resources.includes('secrets'))).toEqual([]);
  });
});
