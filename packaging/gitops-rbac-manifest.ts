// The extra ClusterRoles scale-to-zero needs for GITOPS_MODE=suspend or commit, generated from
// the rules its spec declares per mode (functions/scale-to-zero/spec.ts gitOpsRbacRules). The
// per-path manifests grant the default (warn); binding one of these to the function's
// ServiceAccount adds exactly what that mode uses.
import { stringify } from 'yaml';
import { gitOpsRbacRules } from '../functions/scale-to-zero/spec.ts';
import { PART_OF } from './names.ts';
import { normalizeRules } from './rbac.ts';

export const GITOPS_RBAC_FILE = 'gitops/scale-to-zero-rbac.yaml';

export const GITOPS_CLUSTER_ROLES = [
  { name: 'falco-response-scale-to-zero-gitops-suspend', setting: 'GITOPS_MODE=suspend', rules: gitOpsRbacRules('suspend', 'suspend') },
  {
    name: 'falco-response-scale-to-zero-gitops-commit',
    setting: 'GITOPS_MODE=commit (GITOPS_FALLBACK=suspend, the default)',
    rules: gitOpsRbacRules('commit', 'suspend'),
  },
  {
    name: 'falco-response-scale-to-zero-gitops-commit-only',
    setting: 'GITOPS_MODE=commit with GITOPS_FALLBACK=none',
    rules: gitOpsRbacRules('commit', 'none'),
  },
] as const;

const HEADER = [
  '# GENERATED from gitOpsRbacRules (functions/scale-to-zero/spec.ts) by packaging/gitops-rbac-manifest.ts.',
  '# Do not edit: change the rules in the code, then run `make manifests`.',
  '#',
  "# What scale-to-zero's GITOPS_MODE adds to its ClusterRole (knative/10-rbac.yaml, openfaas/rbac-pro.yaml",
  "# grant the default, warn). Bind the one of your mode to the function's ServiceAccount, e.g. on Knative:",
  '#   kubectl create clusterrolebinding falco-response-scale-to-zero-gitops \\',
  '#     --clusterrole=falco-response-scale-to-zero-gitops-commit --serviceaccount=falco-response:falco-response-scale-to-zero',
  '# None of them reads Secrets: commit mode takes its Git token from a mounted Secret (GIT_CREDENTIALS_DIR).',
];

export function generatedGitOpsRbac(): Record<string, string> {
  const documents = GITOPS_CLUSTER_ROLES.map(
    ({ name, setting, rules }) =>
      `---\n# ${setting}\n${stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels: { 'app.kubernetes.io/part-of': PART_OF } }, rules: normalizeRules(rules) })}`,
  );
  return { [GITOPS_RBAC_FILE]: `${HEADER.join('\n')}\n${documents.join('')}` };
}
