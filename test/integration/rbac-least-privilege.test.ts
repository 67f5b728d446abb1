// Least privilege, proven against the real API server's RBAC: each function's identity is
// granted exactly the rules it declares (plus the shared pipeline's and evidence capture's),
// nothing more; none can read a Secret anywhere, and it may create one only as evidence.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  evidenceNamespacedRules,
  FUNCTION_SPECS,
  namespacedRulesFor,
  permissionSet,
  rulesFor,
  SCALE_TO_ZERO_GITOPS_VARIANTS,
  SHIPPED_EVIDENCE,
} from '../../packaging/rbac.ts';
import { createTestNamespace, serviceAccountToken } from '../../testbed/cluster/accounts.ts';
import type { ClusterCoords } from '../../testbed/cluster/control-plane.ts';
import { useCluster } from '../../testbed/vitest/context.ts';
import { FUNCTION_NAMESPACE, functionToken } from '../../testbed/functions/function-under-test.ts';
import { grantedPermissions, subjectAllowed } from '../../testbed/cluster/rbac-review.ts';

let cluster: ClusterCoords;
let ns: string;
let baseline: Set<string>;

const granted = (token: string) => grantedPermissions(cluster, token, ns);
const allowed = (user: string, verb: string, group: string, resource: string, namespace: string, subresource?: string) =>
  subjectAllowed(
    cluster,
    { user, groups: ['system:serviceaccounts', `system:serviceaccounts:${FUNCTION_NAMESPACE}`, 'system:authenticated'] },
    { verb, group, resource, namespace, subresource },
  );

beforeAll(async () => {
  cluster = useCluster();
  ns = await createTestNamespace(cluster, 'rbac');
  // What every authenticated identity gets (system:basic-user, system:discovery, …): an SA with no bindings.
  baseline = await granted(await serviceAccountToken(cluster, ns, 'nobody'));
});

describe('each function is granted exactly its declared rules', () => {
  it.each(FUNCTION_SPECS.map((spec) => [spec.name, spec]))(
    '%s: SelfSubjectRulesReview beyond the baseline equals the declared rules',
    async (_name, spec) => {
      const permissions = await granted(await functionToken(cluster, spec));
      const beyondBaseline = [...permissions].filter((p) => !baseline.has(p)).sort();
      expect(beyondBaseline).toEqual(permissionSet(rulesFor(spec)).filter((p) => !baseline.has(p)));
    },
  );
});

describe("in its own namespace, a function may also get and update the budget's Leases, by name, and nothing else", () => {
  it.each(FUNCTION_SPECS.map((spec) => [spec.name, spec]))(
    '%s: SelfSubjectRulesReview in falco-response beyond the baseline equals its rules plus its Role',
    async (_name, spec) => {
      const token = await functionToken(cluster, spec);
      const ownBaseline = await grantedPermissions(
        cluster,
        await serviceAccountToken(cluster, FUNCTION_NAMESPACE, 'nobody'),
        FUNCTION_NAMESPACE,
      );
      const permissions = await grantedPermissions(cluster, token, FUNCTION_NAMESPACE);
      const beyond = [...permissions].filter((p) => !ownBaseline.has(p)).sort();
      expect(beyond).toEqual(
        [...new Set([...permissionSet(rulesFor(spec)), ...permissionSet(namespacedRulesFor(spec))])]
          .filter((p) => !ownBaseline.has(p))
          .sort(),
      );
      expect(beyond.filter((p) => p.includes('leases'))).toEqual(
        ['get', 'patch']
          .flatMap((verb) => [
            `coordination.k8s.io/leases:${verb}@falco-response-budget`,
            `coordination.k8s.io/leases:${verb}@falco-response-budget-${spec.name}`,
          ])
          .sort(),
      );
      // Nowhere else: in another namespace no Lease at all.
      expect([...(await granted(token))].filter((p) => p.includes('leases'))).toEqual([]);
    },
  );
});

describe('scale-to-zero is granted exactly the rules of its GITOPS_MODE', () => {
  it.each(SCALE_TO_ZERO_GITOPS_VARIANTS.map((v) => [v.variant, v]))(
    '%s: SelfSubjectRulesReview beyond the baseline equals the declared rules',
    async (_name, { variant, spec }) => {
      const permissions = await granted(await functionToken(cluster, spec, `scale-to-zero-gitops-${variant}`));
      const beyondBaseline = [...permissions].filter((p) => !baseline.has(p)).sort();
      expect(beyondBaseline).toEqual(permissionSet(rulesFor(spec)).filter((p) => !baseline.has(p)));
    },
  );

  it('warn (the default) touches no GitOps object; suspend patches the owners but reads no Git source; commit reads Kustomizations and GitRepositories; none reads Secrets', async () => {
    const who = (variant: string) =>
      `system:serviceaccount:${FUNCTION_NAMESPACE}:${variant === 'warn' ? 'scale-to-zero' : `scale-to-zero-gitops-${variant}`}`;
    await functionToken(cluster, FUNCTION_SPECS[2]!);
    for (const v of SCALE_TO_ZERO_GITOPS_VARIANTS) await functionToken(cluster, v.spec, `scale-to-zero-gitops-${v.variant}`);
    const can = (variant: string, verb: string, group: string, resource: string) =>
      allowed(who(variant), verb, group, resource, 'flux-system');
    expect(await can('warn', 'patch', 'kustomize.toolkit.fluxcd.io', 'kustomizations')).toBe(false);
    expect(await can('warn', 'patch', 'argoproj.io', 'applications')).toBe(false);
    expect(await can('suspend', 'patch', 'kustomize.toolkit.fluxcd.io', 'kustomizations')).toBe(true);
    expect(await can('suspend', 'patch', 'helm.toolkit.fluxcd.io', 'helmreleases')).toBe(true);
    expect(await can('suspend', 'patch', 'argoproj.io', 'applications')).toBe(true);
    expect(await can('suspend', 'get', 'source.toolkit.fluxcd.io', 'gitrepositories')).toBe(false);
    expect(await can('commit', 'get', 'source.toolkit.fluxcd.io', 'gitrepositories')).toBe(true);
    expect(await can('commit', 'patch', 'source.toolkit.fluxcd.io', 'gitrepositories')).toBe(true);
    expect(await can('commit', 'patch', 'argoproj.io', 'applications')).toBe(true); // its fallback suspends
    expect(await can('commit-no-fallback', 'patch', 'argoproj.io', 'applications')).toBe(false);
    for (const variant of ['warn', ...SCALE_TO_ZERO_GITOPS_VARIANTS.map((v) => v.variant)]) {
      expect(await can(variant, 'get', '', 'secrets')).toBe(false);
      expect(await can(variant, 'delete', 'kustomize.toolkit.fluxcd.io', 'kustomizations')).toBe(false);
    }
  });
});

describe('spot checks', () => {
  const identity = (name: string) => `system:serviceaccount:${FUNCTION_NAMESPACE}:${name}`;
  beforeAll(async () => {
    for (const spec of FUNCTION_SPECS) await functionToken(cluster, spec);
  });

  it('delete-pod can delete pods but cannot patch deployments or read secrets', async () => {
    expect(await allowed(identity('delete-pod'), 'delete', '', 'pods', ns)).toBe(true);
    expect(await allowed(identity('delete-pod'), 'patch', 'apps', 'deployments', ns)).toBe(false);
    expect(await allowed(identity('delete-pod'), 'get', '', 'secrets', ns)).toBe(false);
    expect(await allowed(identity('delete-pod'), 'list', '', 'secrets', ns)).toBe(false);
  });

  it('isolate-pod cannot delete pods (or anything)', async () => {
    for (const [group, resource] of [
      ['', 'pods'],
      ['networking.k8s.io', 'networkpolicies'],
      ['apps', 'deployments'],
      ['', 'namespaces'],
    ] as const) {
      expect(await allowed(identity('isolate-pod'), 'delete', group, resource, ns)).toBe(false);
    }
    expect(await allowed(identity('isolate-pod'), 'create', 'networking.k8s.io', 'networkpolicies', ns)).toBe(true);
  });

  it('scale-to-zero cannot delete anything, and can only scale', async () => {
    for (const [group, resource] of [
      ['', 'pods'],
      ['apps', 'deployments'],
      ['apps', 'statefulsets'],
      ['apps', 'replicasets'],
      ['', 'replicationcontrollers'],
    ] as const) {
      expect(await allowed(identity('scale-to-zero'), 'delete', group, resource, ns)).toBe(false);
    }
    expect(await allowed(identity('scale-to-zero'), 'update', 'apps', 'deployments', ns, 'scale')).toBe(true);
    expect(await allowed(identity('scale-to-zero'), 'update', 'apps', 'deployments', ns)).toBe(false);
  });

  it('no function can get, list or watch a Secret in any namespace or cluster-wide; it may create one in the evidence namespace only', async () => {
    const evidence = SHIPPED_EVIDENCE.namespace;
    for (const spec of FUNCTION_SPECS) {
      for (const namespace of [ns, FUNCTION_NAMESPACE, evidence, 'kube-system', '']) {
        for (const verb of ['get', 'list', 'watch', 'update', 'patch', 'delete']) {
          expect(
            await allowed(identity(spec.name), verb, '', 'secrets', namespace),
            `${spec.name} ${verb} secrets in ${namespace || '(all)'}`,
          ).toBe(false);
        }
      }
      expect(await allowed(identity(spec.name), 'create', '', 'secrets', evidence)).toBe(true);
      for (const namespace of [ns, FUNCTION_NAMESPACE, 'kube-system', ''])
        expect(await allowed(identity(spec.name), 'create', '', 'secrets', namespace)).toBe(false);
      // Evidence capture's reads: the pod's Events and its containers' logs.
      expect(await allowed(identity(spec.name), 'list', '', 'events', ns)).toBe(true);
      expect(await allowed(identity(spec.name), 'get', '', 'pods', ns, 'log')).toBe(true);
    }
  });

  it('in the evidence namespace a function is granted its cluster-wide rules plus create on Secrets, and nothing else', async () => {
    const evidence = SHIPPED_EVIDENCE.namespace;
    const evidenceBaseline = await grantedPermissions(cluster, await serviceAccountToken(cluster, FUNCTION_NAMESPACE, 'nobody'), evidence);
    for (const spec of FUNCTION_SPECS) {
      const permissions = await grantedPermissions(cluster, await functionToken(cluster, spec), evidence);
      const beyond = [...permissions].filter((p) => !evidenceBaseline.has(p)).sort();
      expect(beyond).toEqual(
        [...new Set([...permissionSet(rulesFor(spec)), ...permissionSet(evidenceNamespacedRules())])]
          .filter((p) => !evidenceBaseline.has(p))
          .sort(),
      );
      expect(beyond.filter((p) => p.includes('secrets'))).toEqual(['/secrets:create']);
    }
  });

  it('no function can read secrets, exec into pods or touch RBAC', async () => {
    for (const spec of FUNCTION_SPECS) {
      expect(await allowed(identity(spec.name), 'get', '', 'secrets', ns)).toBe(false);
      expect(await allowed(identity(spec.name), 'create', '', 'pods', ns, 'exec')).toBe(false);
      expect(await allowed(identity(spec.name), 'create', 'rbac.authorization.k8s.io', 'rolebindings', ns)).toBe(false);
    }
  });
});
