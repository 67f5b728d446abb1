// The RBAC manifests are generated from the rules each function declares: the committed files
// must be exactly what the code generates now (and so must the other generated copies), each
// identity must hold exactly the rules the integration tests prove (packaging/rbac.ts), and
// each path's files must stand alone: their own namespace, their own ClusterRole names.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from '../../../packaging/generated-files.ts';
import { generatedManifests } from '../../../packaging/rbac-manifests.ts';
import {
  ARGO_NAMESPACE,
  clusterRoleName,
  KNATIVE_NAMESPACE,
  OPENFAAS_CE_CLUSTER_ROLE,
  OPENFAAS_FUNCTION_NAMESPACE,
  RBAC_PATH_LABEL,
  serviceAccountName,
  type RbacPath,
} from '../../../packaging/names.ts';
import {
  evidenceNamespacedRules,
  FUNCTION_SPECS,
  namespacedRulesFor,
  permissionSet,
  rulesFor,
  SHIPPED_EVIDENCE,
  unionNamespacedRules,
  unionRules,
} from '../../../packaging/rbac.ts';
import { knativeServiceOf, readYamlDocuments, repoRoot, type Manifest } from '../../../testbed/packaging/manifests.ts';

const byKind = (docs: Manifest[], kind: string) => docs.filter((doc) => doc.kind === kind);
const named = (docs: Manifest[], kind: string, name: string) => {
  const found = docs.find((doc) => doc.kind === kind && doc.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};

describe('generated RBAC manifests', () => {
  it.each(Object.keys(generatedFiles()))('%s is what `make manifests` generates now (run it after changing a source)', (path) => {
    expect(readFileSync(join(repoRoot, path), 'utf8')).toBe(generatedFiles()[path]);
  });

  it('every generated file says how to regenerate it: `make manifests` (Node 24 from node_modules), not a bare node command', () => {
    for (const [path, text] of Object.entries(generatedFiles())) {
      // JSON has no comments: the dashboard is checked for being current instead (above).
      if (path.endsWith('.json')) continue;
      expect(text, path).toContain('run `make manifests`');
      expect(text, path).not.toContain('node scripts/generate-manifests.ts');
    }
  });

  const perFunctionFiles: Array<[string, string, RbacPath, boolean]> = [
    ['knative/10-rbac.yaml', KNATIVE_NAMESPACE, 'knative', true],
    ['openfaas/rbac-pro.yaml', OPENFAAS_FUNCTION_NAMESPACE, 'openfaas', true],
    ['examples/argo/function-rbac.yaml', ARGO_NAMESPACE, 'argo', false],
  ];

  it.each(perFunctionFiles)(
    '%s: each function has its own ServiceAccount (in %s) bound to a ClusterRole of exactly its rules, named for the path',
    (file, namespace, path, createsNamespace) => {
      const docs = readYamlDocuments(file);
      // The evidence namespace; per function: ServiceAccount, ClusterRole, ClusterRoleBinding, Role, RoleBinding, and
      // Role and RoleBinding in the evidence namespace; then the budget's Leases.
      expect(docs).toHaveLength(1 + 7 * FUNCTION_SPECS.length + (FUNCTION_SPECS.length + 1) + (createsNamespace ? 1 : 0));
      for (const spec of FUNCTION_SPECS) {
        const account = named(docs, 'ServiceAccount', serviceAccountName(spec.name));
        expect(account.metadata.namespace).toBe(namespace);
        const role = named(docs, 'ClusterRole', clusterRoleName(spec.name, path));
        expect(role.metadata.name).toBe(`falco-response-${path}-${spec.name}`);
        expect(permissionSet(role.rules)).toEqual(permissionSet(rulesFor(spec)));
        const bindings = byKind(docs, 'ClusterRoleBinding').filter((binding) => binding.roleRef.name === role.metadata.name);
        expect(bindings).toHaveLength(1);
        expect(bindings[0]!.subjects).toEqual([{ kind: 'ServiceAccount', name: account.metadata.name, namespace }]);
        // In its own namespace only: get and update of the budget's Leases, by name.
        const namespaced = docs.find(
          (doc) => doc.kind === 'Role' && doc.metadata.name === clusterRoleName(spec.name, path) && doc.metadata.namespace === namespace,
        )!;
        expect(namespaced).toBeDefined();
        expect(permissionSet(namespaced.rules)).toEqual(permissionSet(namespacedRulesFor(spec)));
        expect(permissionSet(namespaced.rules)).toEqual(
          ['get', 'patch']
            .flatMap((verb) => [
              `coordination.k8s.io/leases:${verb}@falco-response-budget`,
              `coordination.k8s.io/leases:${verb}@falco-response-budget-${spec.name}`,
            ])
            .sort(),
        );
        const bound = byKind(docs, 'RoleBinding').filter((binding) => binding.metadata.name === clusterRoleName(spec.name, path));
        expect(bound.map((binding) => binding.metadata.namespace).sort()).toEqual([namespace, SHIPPED_EVIDENCE.namespace].sort());
        for (const binding of bound) expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account.metadata.name, namespace }]);
        // In the evidence namespace: create Secrets, and nothing else (never read one back).
        const evidence = docs.find(
          (doc) =>
            doc.kind === 'Role' &&
            doc.metadata.name === clusterRoleName(spec.name, path) &&
            doc.metadata.namespace === SHIPPED_EVIDENCE.namespace,
        )!;
        expect(permissionSet(evidence.rules)).toEqual(['/secrets:create']);
        expect(permissionSet(evidence.rules)).toEqual(permissionSet(evidenceNamespacedRules()));
        // Cluster-wide, evidence capture lists Events and reads logs, and no Secret.
        expect(permissionSet(role.rules)).toEqual(expect.arrayContaining(['/events:list', '/pods/log:get']));
        expect(permissionSet(role.rules).filter((p) => p.includes('secrets'))).toEqual([]);
      }
      expect(named(docs, 'Namespace', SHIPPED_EVIDENCE.namespace).metadata.labels[RBAC_PATH_LABEL]).toBeUndefined();
      expect(byKind(docs, 'Lease').map((lease) => `${lease.metadata.namespace}/${lease.metadata.name}`)).toEqual(
        ['falco-response-budget', ...FUNCTION_SPECS.map((spec) => `falco-response-budget-${spec.name}`)].map(
          (name) => `${namespace}/${name}`,
        ),
      );
    },
  );

  it('functions get different permissions: delete-pod cannot patch, isolate-pod cannot delete, scale-to-zero cannot touch pods', () => {
    const docs = readYamlDocuments('knative/10-rbac.yaml');
    const permissions = (fn: string) => permissionSet(named(docs, 'ClusterRole', `falco-response-knative-${fn}`).rules);
    expect(permissions('delete-pod')).toContain('/pods:delete');
    expect(permissions('delete-pod')).not.toContain('/pods:patch');
    expect(permissions('isolate-pod')).toContain('networking.k8s.io/networkpolicies:create');
    expect(permissions('isolate-pod')).not.toContain('/pods:delete');
    expect(permissions('scale-to-zero')).toContain('apps/deployments/scale:update');
    expect(permissions('scale-to-zero').filter((p) => p.startsWith('/pods:'))).toEqual(['/pods:get']);
  });

  it('openfaas/rbac-ce.yaml binds the union to openfaas-fn:default and says so', () => {
    const text = readFileSync(join(repoRoot, 'openfaas/rbac-ce.yaml'), 'utf8');
    const docs = readYamlDocuments('openfaas/rbac-ce.yaml');
    expect(docs.map((doc) => doc.kind)).toEqual([
      'Namespace',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'Role',
      'RoleBinding',
      'Lease',
      'Lease',
      'Lease',
      'Lease',
    ]);
    const roleIn = (namespace: string) => docs.find((doc) => doc.kind === 'Role' && doc.metadata.namespace === namespace)!;
    expect(permissionSet(roleIn(OPENFAAS_FUNCTION_NAMESPACE).rules)).toEqual(permissionSet(unionNamespacedRules(FUNCTION_SPECS)));
    expect(permissionSet(roleIn(SHIPPED_EVIDENCE.namespace).rules)).toEqual(['/secrets:create']);
    const role = named(docs, 'ClusterRole', OPENFAAS_CE_CLUSTER_ROLE);
    expect(permissionSet(role.rules)).toEqual(permissionSet(unionRules(FUNCTION_SPECS)));
    for (const spec of FUNCTION_SPECS) expect(permissionSet(role.rules)).toEqual(expect.arrayContaining(permissionSet(rulesFor(spec))));
    expect(named(docs, 'ClusterRoleBinding', OPENFAAS_CE_CLUSTER_ROLE).subjects).toEqual([
      { kind: 'ServiceAccount', name: 'default', namespace: OPENFAAS_FUNCTION_NAMESPACE },
    ]);
    expect(text).toMatch(/UNION/);
    expect(text).toMatch(/ANY other function deployed to openfaas-fn/);
  });

  it('no rule uses a wildcard', () => {
    for (const file of Object.keys(generatedManifests())) {
      for (const role of byKind(readYamlDocuments(file), 'ClusterRole')) {
        for (const rule of role.rules)
          for (const value of [...rule.apiGroups, ...rule.resources, ...rule.verbs])
            expect(value, `${file} ${role.metadata.name}`).not.toBe('*');
      }
    }
  });

  it.each(FUNCTION_SPECS.map((spec) => spec.name))('the Knative Service %s runs as its generated ServiceAccount', (fn) => {
    const service = knativeServiceOf(fn);
    expect(service.metadata.namespace).toBe(KNATIVE_NAMESPACE);
    expect(service.spec.template.spec.serviceAccountName).toBe(serviceAccountName(fn));
  });
});

describe("each path's RBAC stands alone", () => {
  it.each([
    ['knative/10-rbac.yaml', KNATIVE_NAMESPACE],
    ['openfaas/rbac-pro.yaml', OPENFAAS_FUNCTION_NAMESPACE],
  ])('%s creates its namespace %s first, so `kubectl apply -f` of this file alone works on a fresh cluster', (file, namespace) => {
    const docs = readYamlDocuments(file);
    expect(docs[0]).toMatchObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    expect(docs[1]).toMatchObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SHIPPED_EVIDENCE.namespace } });
    expect(new Set(docs.filter((doc) => doc.metadata.namespace !== undefined).map((doc) => doc.metadata.namespace))).toEqual(
      new Set([namespace, SHIPPED_EVIDENCE.namespace]),
    );
  });

  it("no two files define a cluster-wide object of the same name, so deleting one path's RBAC never removes another's", () => {
    const owners = new Map<string, string[]>();
    for (const file of [...Object.keys(generatedManifests()), 'examples/argo/rbac.yaml', 'examples/tekton/rbac.yaml']) {
      for (const doc of readYamlDocuments(file).filter((d) => d.kind === 'ClusterRole' || d.kind === 'ClusterRoleBinding')) {
        const key = `${doc.kind}/${doc.metadata.name}`;
        owners.set(key, [...(owners.get(key) ?? []), file]);
      }
    }
    expect(owners.size).toBeGreaterThan(10);
    expect([...owners].filter(([, files]) => files.length > 1)).toEqual([]);
  });

  it.each(Object.keys(generatedManifests()))(
    '%s: every ClusterRoleBinding refers to a ClusterRole of the same file, and every object carries the path label',
    (file) => {
      const docs = readYamlDocuments(file);
      const roles = new Set(byKind(docs, 'ClusterRole').map((role) => role.metadata.name));
      for (const binding of byKind(docs, 'ClusterRoleBinding')) expect(roles, binding.metadata.name).toContain(binding.roleRef.name);
      // All but the evidence namespace, which every path ships alike and none removes with its RBAC.
      const labels = new Set(
        docs.filter((doc) => doc.metadata.name !== SHIPPED_EVIDENCE.namespace).map((doc) => doc.metadata.labels?.[RBAC_PATH_LABEL]),
      );
      expect(labels.size).toBe(1);
      expect([...labels][0]).toBeTypeOf('string');
    },
  );

  it("the path labels differ between files, so `kubectl delete -l` removes one path's RBAC only", () => {
    const labelOf = (file: string) => readYamlDocuments(file).find((doc) => doc.kind === 'ClusterRole')!.metadata.labels[RBAC_PATH_LABEL];
    const labels = Object.keys(generatedManifests()).map(labelOf);
    expect(new Set(labels).size).toBe(labels.length);
  });
});
