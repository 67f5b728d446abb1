// The chart's RBAC templates, made from the same objects as knative/10-rbac.yaml and
// openfaas/rbac-{pro,ce}.yaml (packaging/rbac-manifests.ts) minus their Namespace objects
// (Helm installs into --namespace): each function's ServiceAccount, ClusterRole and binding
// wrapped in its platform's and its own `enabled` condition, the namespace left to Helm.
// test/unit/packaging/chart-rbac.test.ts renders the chart and compares every RBAC object
// with the generated manifests.
import { FUNCTION_SPECS } from '../rbac.ts';
import { budgetLeases, openfaasCeRbac, perFunctionObjects, toYaml, type CommentedObject } from '../rbac-manifests.ts';
import type { RbacPath } from '../names.ts';

export const CHART_DIR = 'charts/falco-response-functions';
// A placeholder no manifest holds, replaced by the template expression after YAML rendering.
const NAMESPACE = '__RELEASE_NAMESPACE__';

const HEADER = [
  '{{- /*',
  "GENERATED from each function's rbacRules (functions/<name>/spec.ts) plus SHARED_RBAC_RULES",
  '(shared/respond/shared-rbac.ts) by packaging/chart/rbac-templates.ts: the same objects as',
  '%FILE%. Do not edit: change the rules in the code, then run `make manifests`.',
  '*/}}',
];

function documents(entries: CommentedObject[]): string {
  return entries
    .map(
      ({ comment, object }) => `---\n${comment ? `#${comment}\n` : ''}${toYaml(object).replaceAll(NAMESPACE, '{{ .Release.Namespace }}')}`,
    )
    .join('');
}

function perFunctionTemplate(path: RbacPath, condition: string, mirrors: string): string {
  const blocks = FUNCTION_SPECS.map(
    (spec) =>
      `{{- if and ${condition} (index .Values.functions "${spec.name}").enabled }}\n${documents([...perFunctionObjects(spec, NAMESPACE, path), ...budgetLeases(NAMESPACE, path, [spec.name], false)])}{{- end }}\n`,
  );
  // The action budget every enabled function shares; each function's own Lease is in its block.
  const leases = `{{- if ${condition} }}\n${documents(budgetLeases(NAMESPACE, path, [], true))}{{- end }}\n`;
  return `${HEADER.join('\n').replace('%FILE%', mirrors)}\n${blocks.join('')}${leases}`;
}

function ceTemplate(): string {
  // The CE role is the union of all three, whichever are enabled: OpenFaaS CE gives every
  // function in openfaas-fn the one identity anyway (values.yaml says so).
  const entries = openfaasCeRbac().map(({ comment, object }) => {
    const copy = structuredClone(object) as CommentedObject['object'] & { subjects?: Array<{ namespace: string }> };
    for (const subject of copy.subjects ?? []) subject.namespace = NAMESPACE;
    return { comment, object: copy };
  });
  const condition = '(and (eq .Values.platform "openfaas") (eq .Values.openfaas.edition "ce"))';
  return `${HEADER.join('\n').replace('%FILE%', 'openfaas/rbac-ce.yaml')}\n{{- if ${condition} }}\n{{- include "frf.requireOpenfaasFnNamespace" . }}\n${documents(entries)}{{- end }}\n`;
}

export function chartRbacTemplates(): Record<string, string> {
  return {
    [`${CHART_DIR}/templates/rbac-knative.yaml`]: perFunctionTemplate('knative', '(eq .Values.platform "knative")', 'knative/10-rbac.yaml'),
    [`${CHART_DIR}/templates/rbac-openfaas-pro.yaml`]: perFunctionTemplate(
      'openfaas',
      '(and (eq .Values.platform "openfaas") (eq .Values.openfaas.edition "pro"))',
      'openfaas/rbac-pro.yaml',
    ),
    [`${CHART_DIR}/templates/rbac-openfaas-ce.yaml`]: ceTemplate(),
  };
}
