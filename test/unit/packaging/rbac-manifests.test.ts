// The RBAC manifests are generated from the rules each function declares: the committed files
// must be exactly what the code generates now, and each identity must hold exactly the rules
// the integration tests prove (packaging/rbac.ts), nothing more.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedManifests } from '../../../packaging/rbac-manifests.ts';
import { clusterRoleName, KNATIVE_NAMESPACE, OPENFAAS_CE_CLUSTER_ROLE, OPENFAAS_FUNCTION_NAMESPACE, serviceAccountName } from '../../../packaging/names.ts';
import { FUNCTION_SPECS, permissionSet, rulesFor, unionRules } from '../../../packaging/rbac.ts';
import { knativeServiceOf, readYamlDocuments, repoRoot, type Manifest } from '../../../testbed/packaging/manifests.ts';

const byKind = (docs: Manifest[], kind: string) => docs.filter((doc) => doc.kind === kind);
const named = (docs: Manifest[], kind: string, name: string) => {
  const found = docs.find((doc) => doc.kind === kind && doc.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};

describe('generated RBAC manifests', () => {
  it.each(Object.keys(generatedManifests()))('%s is what the declared rules generate (run `node scripts/generate-manifests.ts` after changing them)', (path) => {
    expect(readFileSync(join(repoRoot, path), 'utf8')).toBe(generatedManifests()[path as keyof ReturnType<typeof generatedManifests>]);
  });

  it.each([
    ['knative/10-rbac.yaml', KNATIVE_NAMESPACE],
    ['openfaas/rbac-pro.yaml', OPENFAAS_FUNCTION_NAMESPACE],
  ])('%s: each function has its own ServiceAccount bound to a ClusterRole of exactly its rules', (file, namespace) => {
    const docs = readYamlDocuments(file);
    expect(docs).toHaveLength(3 * FUNCTION_SPECS.length);
    for (const spec of FUNCTION_SPECS) {
      const account = named(docs, 'ServiceAccount', serviceAccountName(spec.name));
      expect(account.metadata.namespace).toBe(namespace);
      const role = named(docs, 'ClusterRole', clusterRoleName(spec.name));
      expect(permissionSet(role.rules)).toEqual(permissionSet(rulesFor(spec)));
      const bindings = byKind(docs, 'ClusterRoleBinding').filter((binding) => binding.roleRef.name === role.metadata.name);
      expect(bindings).toHaveLength(1);
      expect(bindings[0]!.subjects).toEqual([{ kind: 'ServiceAccount', name: account.metadata.name, namespace }]);
    }
  });

  it('functions get different permissions: delete-pod cannot patch, isolate-pod cannot delete, scale-to-zero cannot touch pods', () => {
    const docs = readYamlDocuments('knative/10-rbac.yaml');
    const permissions = (fn: string) => permissionSet(named(docs, 'ClusterRole', `falco-response-${fn}`).rules);
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
    expect(docs.map((doc) => doc.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding']);
    const role = named(docs, 'ClusterRole', OPENFAAS_CE_CLUSTER_ROLE);
    expect(permissionSet(role.rules)).toEqual(permissionSet(unionRules(FUNCTION_SPECS)));
    for (const spec of FUNCTION_SPECS) expect(permissionSet(role.rules)).toEqual(expect.arrayContaining(permissionSet(rulesFor(spec))));
    expect(named(docs, 'ClusterRoleBinding', OPENFAAS_CE_CLUSTER_ROLE).subjects).toEqual([{ kind: 'ServiceAccount', name: 'default', namespace: OPENFAAS_FUNCTION_NAMESPACE }]);
    expect(text).toMatch(/UNION/);
    expect(text).toMatch(/ANY other function deployed to openfaas-fn/);
  });

  it('no rule uses a wildcard', () => {
    for (const file of Object.keys(generatedManifests())) {
      for (const role of byKind(readYamlDocuments(file), 'ClusterRole')) {
        for (const rule of role.rules) for (const value of [...rule.apiGroups, ...rule.resources, ...rule.verbs]) expect(value, `${file} ${role.metadata.name}`).not.toBe('*');
      }
    }
  });

  it.each(FUNCTION_SPECS.map((spec) => spec.name))('the Knative Service %s runs as its generated ServiceAccount', (fn) => {
    const service = knativeServiceOf(fn);
    expect(service.metadata.namespace).toBe(KNATIVE_NAMESPACE);
    expect(service.spec.template.spec.serviceAccountName).toBe(serviceAccountName(fn));
  });
});
