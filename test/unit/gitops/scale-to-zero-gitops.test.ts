// The pieces of scale-to-zero's GitOps modes that need no cluster: settings checked at
// start-up, owners read from Flux's and Argo CD's labels, the YAML edit and its revert, and
// the generated per-mode ClusterRoles matching what each mode's spec declares.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scaleToZeroSpec } from '../../../functions/scale-to-zero/spec.ts';
import { GITOPS_CLUSTER_ROLES, generatedGitOpsRbac, GITOPS_RBAC_FILE } from '../../../packaging/gitops-rbac-manifest.ts';
import { permissionSet, rulesFor, SCALE_TO_ZERO_GITOPS_VARIANTS } from '../../../packaging/rbac.ts';
import { ConfigError } from '../../../shared/config/env-reader.ts';
import { readFunctionConfig } from '../../../shared/function-config.ts';
import { gitOpsOwnerOf } from '../../../shared/gitops/owner.ts';
import { editReplicas, revertReplicas } from '../../../shared/gitops/replicas-edit.ts';
import { parseYamlDocuments } from '../../../testbed/packaging/manifests.ts';

const configure = (env: Record<string, string>) => readFunctionConfig({ KUBECONFIG: '/nonexistent', ...env }, false, scaleToZeroSpec);

describe('GITOPS_* settings', () => {
  it('commit mode refuses to start without a readable credentials folder, naming the variable', () => {
    expect(() => configure({ GITOPS_MODE: 'commit' })).toThrow(/GITOPS_MODE=commit needs GIT_CREDENTIALS_DIR/);
    const empty = mkdtempSync(join(tmpdir(), 'creds-'));
    expect(() => configure({ GITOPS_MODE: 'commit', GIT_CREDENTIALS_DIR: empty })).toThrow(/GIT_CREDENTIALS_DIR=.*no Git credentials/);
    writeFileSync(join(empty, 'password'), 'token\n');
    expect(configure({ GITOPS_MODE: 'commit', GIT_CREDENTIALS_DIR: empty }).spec?.rbacRules).toEqual(
      SCALE_TO_ZERO_GITOPS_VARIANTS.find((v) => v.variant === 'commit')!.spec.rbacRules,
    );
  });

  it('bad values are reported together at start-up', () => {
    try {
      configure({ GITOPS_MODE: 'revert', GITOPS_FALLBACK: 'warn', GIT_AUTHOR_EMAIL: 'nobody', GITOPS_ARGOCD_NAMESPACE: 'Argo CD' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.map((p) => p.split('=')[0])).toEqual([
        'GITOPS_MODE',
        'GITOPS_FALLBACK',
        'GIT_AUTHOR_EMAIL',
        'GITOPS_ARGOCD_NAMESPACE',
      ]);
    }
  });
});

describe('the GitOps owner of a workload', () => {
  it('reads Flux Kustomization and HelmRelease labels, and Argo CD tracking by annotation or label', () => {
    expect(
      gitOpsOwnerOf({
        metadata: {
          namespace: 'shop',
          labels: { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' },
        },
      }),
    ).toEqual({ tool: 'flux', kind: 'Kustomization', namespace: 'flux-system', name: 'apps' });
    expect(
      gitOpsOwnerOf({
        metadata: { namespace: 'shop', labels: { 'helm.toolkit.fluxcd.io/name': 'web', 'helm.toolkit.fluxcd.io/namespace': 'shop' } },
      }),
    ).toEqual({ tool: 'flux', kind: 'HelmRelease', namespace: 'shop', name: 'web' });
    expect(
      gitOpsOwnerOf({ metadata: { annotations: { 'argocd.argoproj.io/tracking-id': 'team-a_shop:apps/Deployment:shop/web' } } }),
    ).toEqual({ tool: 'argocd', kind: 'Application', namespace: 'team-a', name: 'shop' });
    expect(gitOpsOwnerOf({ metadata: { labels: { 'argocd.argoproj.io/instance': 'shop' } } }, 'gitops')).toEqual({
      tool: 'argocd',
      kind: 'Application',
      namespace: 'gitops',
      name: 'shop',
    });
    expect(gitOpsOwnerOf({ metadata: { labels: { app: 'web' } } })).toBeUndefined();
  });
});

describe('the replicas edit', () => {
  it('without a kustomization.yaml, sets spec.replicas in the manifest itself, keeping comments and the other documents; the revert puts the count back', () => {
    const root = mkdtempSync(join(tmpdir(), 'repo-'));
    mkdirSync(join(root, 'apps'));
    const original =
      '# the service\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\n# the deployment\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3 # normal load\n';
    writeFileSync(join(root, 'apps/web.yaml'), original);
    const target = { root, path: './apps', kind: 'Deployment', namespace: 'shop', name: 'web' };
    const { edit, text } = editReplicas(target, 0);
    expect(edit).toEqual({ file: 'apps/web.yaml', how: 'manifest', previous: 3 });
    expect(text).toBe(original.replace('replicas: 3', 'replicas: 0'));
    writeFileSync(join(root, edit.file), text);
    expect(revertReplicas(root, edit, target)).toBe(original);
  });

  it('changes an existing replicas entry of the kustomization, and the revert restores its count', () => {
    const root = mkdtempSync(join(tmpdir(), 'repo-'));
    mkdirSync(join(root, 'web'));
    const original = 'resources:\n  - deployment.yaml\nreplicas:\n  - name: api\n    count: 2\n  - name: web\n    count: 5 # peak\n';
    writeFileSync(join(root, 'web/kustomization.yaml'), original);
    const target = { root, path: 'web', kind: 'Deployment', namespace: 'shop', name: 'web' };
    const { edit, text } = editReplicas(target, 0);
    expect(edit).toEqual({ file: 'web/kustomization.yaml', how: 'kustomization-replicas', previous: 5 });
    expect(text).toBe(original.replace('count: 5', 'count: 0'));
    writeFileSync(join(root, edit.file), text);
    expect(revertReplicas(root, edit, target)).toBe(original);
  });
});

describe('the generated GitOps ClusterRoles', () => {
  it("add to the default role exactly what each mode's spec declares", () => {
    const roles = parseYamlDocuments(generatedGitOpsRbac()[GITOPS_RBAC_FILE]!);
    const base = rulesFor(scaleToZeroSpec);
    for (const [index, variant] of SCALE_TO_ZERO_GITOPS_VARIANTS.entries()) {
      const role = roles.find((r) => r.metadata.name === GITOPS_CLUSTER_ROLES[index]!.name)!;
      expect(permissionSet([...base, ...role.rules])).toEqual(permissionSet(rulesFor(variant.spec)));
    }
  });
});
