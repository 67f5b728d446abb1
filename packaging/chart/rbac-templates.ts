// The chart's RBAC templates, made from the same objects as knative/10-rbac.yaml and
// openfaas/rbac-{pro,ce}.yaml (packaging/rbac-manifests.ts) minus their Namespace objects
// (Helm installs into --namespace): each function's ServiceAccount, ClusterRole and binding
// wrapped in its platform's and its own `enabled` condition, the namespace left to Helm.
// test/unit/packaging/chart-rbac.test.ts renders the chart and compares every RBAC object
// with the generated manifests. One difference: the rule granting `get` on pods/log (evidence
// capture's, shared/forensics/evidence-rbac.ts) is rendered only while the function's EVIDENCE
// value is `logs` (the default), as the functions read logs only then.
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

// The pods/log rule as toYaml writes it in a ClusterRole (evidenceClusterRules keeps it a rule of its own).
const POD_LOG_RULE = '  - apiGroups: [""]\n    resources: [pods/log]\n    verbs: [get]\n';

/** The chart expression: this function's EVIDENCE value is `logs` (unset means the default, logs). */
const readsLogs = (fn: string) => `(eq (default "logs" (index .Values.functions "${fn}").env.EVIDENCE) "logs")`;

function documents(entries: CommentedObject[], logsCondition?: string): string {
  return entries
    .map(({ comment, object }) => {
      let text = toYaml(object).replaceAll(NAMESPACE, '{{ .Release.Namespace }}');
      if (object.kind === 'ClusterRole' && logsCondition) {
        if (!text.includes(POD_LOG_RULE))
          throw new Error(`ClusterRole ${object.metadata.name}: no pods/log rule of its own to make conditional`);
        text = text.replace(POD_LOG_RULE, `  {{- if ${logsCondition} }}\n${POD_LOG_RULE}  {{- end }}\n`);
      }
      return `---\n${comment ? `#${comment}\n` : ''}${text}`;
    })
    .join('');
}

function perFunctionTemplate(path: RbacPath, condition: string, mirrors: string): string {
  const blocks = FUNCTION_SPECS.map(
    (spec) =>
      `{{- if and ${condition} (index .Values.functions "${spec.name}").enabled }}\n${documents([...perFunctionObjects(spec, NAMESPACE, path), ...budgetLeases(NAMESPACE, path, [spec.name], false)], readsLogs(spec.name))}{{- end }}\n`,
  );
  // The action budget every enabled function shares; each function's own Lease is in its block.
  const leases = `{{- if ${condition} }}\n${documents(budgetLeases(NAMESPACE, path, [], true))}{{- end }}\n`;
  return `${HEADER.join('\n').replace('%FILE%', mirrors)}\n${blocks.join('')}${leases}`;
}

function ceTemplate(): string {
  // The CE role is the union of all three, whichever are enabled: OpenFaaS CE gives every
  // function in openfaas-fn the one identity anyway (values.yaml says so).
  const entries = openfaasCeRbac(false).map(({ comment, object }) => {
    const copy = structuredClone(object) as CommentedObject['object'] & { subjects?: Array<{ namespace: string }> };
    for (const subject of copy.subjects ?? []) subject.namespace = NAMESPACE;
    return { comment, object: copy };
  });
  const condition = '(and (eq .Values.platform "openfaas") (eq .Values.openfaas.edition "ce"))';
  return `${HEADER.join('\n').replace('%FILE%', 'openfaas/rbac-ce.yaml')}\n{{- if ${condition} }}\n{{- include "frf.requireOpenfaasFnNamespace" . }}\n${documents(entries, `(or ${FUNCTION_SPECS.map((spec) => readsLogs(spec.name)).join(' ')})`)}{{- end }}\n`;
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
