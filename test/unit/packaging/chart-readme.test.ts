// The README's `helm install` commands, as written, render with the real helm: each is run by
// bash with `helm install` turned into `helm template` (no cluster here; the install itself is
// test/integration/packaging/chart-install.test.ts), so a renamed value breaks this test.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYamlDocuments, repoRoot } from '../../../testbed/packaging/manifests.ts';
import { helmPath, run } from '../../../testbed/packaging/tools.ts';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('<!-- helm: start'), readme.indexOf('<!-- helm: end -->'));
const commands = [...section.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((block) => block[1]!.replace(/\\\n\s*/g, '').split('\n'))
  .filter((line) => line.startsWith('helm install '));

describe('README: the helm install commands', () => {
  it('are there for Knative and OpenFaaS', () => {
    expect(commands).toHaveLength(2);
    expect(commands.some((c) => c.includes('platform=openfaas'))).toBe(true);
  });

  it.each(commands.map((command) => [command.includes('platform=openfaas') ? 'openfaas' : 'knative', command] as const))(
    '%s: renders as written',
    (platform, command) => {
      const script = `set -euo pipefail\nhelm() { [ "$1" = install ] && shift; "$HELM" template "$@"; }\nexport REGISTRY=registry.example.com/sec TAG=0.1.0 TOKEN=${'a'.repeat(64)}\n${command}\n`;
      const result = run('bash', ['-c', script], { env: { HELM: helmPath() } });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const kinds = new Set(parseYamlDocuments(result.stdout).map((doc) => doc.kind));
      expect([...kinds].sort()).toEqual(
        platform === 'knative'
          ? [
              'Broker',
              'ClusterRole',
              'ClusterRoleBinding',
              'CronJob',
              'Lease',
              'Namespace',
              'Role',
              'RoleBinding',
              'Secret',
              'Service',
              'ServiceAccount',
              'Trigger',
            ]
          : ['ClusterRole', 'ClusterRoleBinding', 'CronJob', 'Lease', 'Namespace', 'Role', 'RoleBinding', 'Secret', 'ServiceAccount'],
      );
    },
  );
});
