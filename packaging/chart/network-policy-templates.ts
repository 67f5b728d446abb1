// The chart's NetworkPolicies: the objects of knative/30-network-policy.yaml and
// openfaas/network-policy.yaml as they are, in the release's namespace, behind
// networkPolicy.enabled. test/unit/packaging/chart-network-policy.test.ts compares them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { toYaml, type ManifestObject } from '../rbac-manifests.ts';
import { CHART_DIR } from './rbac-templates.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
const NAMESPACE = '__RELEASE_NAMESPACE__';

export const NETWORK_POLICY_SOURCES = { knative: 'knative/30-network-policy.yaml', openfaas: 'openfaas/network-policy.yaml' } as const;

function template(platform: keyof typeof NETWORK_POLICY_SOURCES): string {
  const source = NETWORK_POLICY_SOURCES[platform];
  const objects = parseAllDocuments(readFileSync(join(repoRoot, source), 'utf8'))
    .map((doc) => doc.toJS() as ManifestObject)
    .filter(Boolean);
  const documents = objects
    .map(
      (object) =>
        `---\n${toYaml({ ...object, metadata: { ...object.metadata, namespace: NAMESPACE } }).replaceAll(NAMESPACE, '{{ .Release.Namespace }}')}`,
    )
    .join('');
  return [
    '{{- /*',
    `GENERATED from ${source} by packaging/chart/network-policy-templates.ts (that file says who`,
    'may connect and why). Do not edit: change the source, then run `make manifests`.',
    '*/}}',
    `{{- if and (eq .Values.platform "${platform}") .Values.networkPolicy.enabled }}`,
    `${documents}{{- end }}`,
    '',
  ].join('\n');
}

export function chartNetworkPolicyTemplates(): Record<string, string> {
  return {
    [`${CHART_DIR}/templates/network-policy-knative.yaml`]: template('knative'),
    [`${CHART_DIR}/templates/network-policy-openfaas.yaml`]: template('openfaas'),
  };
}
