// Rendering the chart with the real helm, for the chart tests.
import { join } from 'node:path';
import { helmPath, run, type ToolRun } from './tools.ts';
import { parseYamlDocuments, repoRoot, type Manifest } from './manifests.ts';

export const CHART = join(repoRoot, 'charts/falco-response-functions');

/** The platforms the chart installs, each with its CI values file and the namespace it goes into. */
export const PLATFORMS = {
  knative: { values: 'ci/knative-values.yaml', namespace: 'falco-response' },
  'openfaas-ce': { values: 'ci/openfaas-ce-values.yaml', namespace: 'openfaas-fn' },
  'openfaas-pro': { values: 'ci/openfaas-pro-values.yaml', namespace: 'openfaas-fn' },
} as const;
export type Platform = keyof typeof PLATFORMS;

/** `helm template` with a platform's values plus more flags; the helm run as is. */
export function helmTemplate(platform: Platform, extra: string[] = [], namespace: string = PLATFORMS[platform].namespace): ToolRun {
  return run(helmPath(), ['template', 'frf', CHART, '--namespace', namespace, '-f', join(CHART, PLATFORMS[platform].values), ...extra]);
}

/** The rendered objects; fails with helm's own message when it refuses. */
export function renderChart(platform: Platform, extra: string[] = []): Manifest[] {
  const result = helmTemplate(platform, extra);
  if (result.status !== 0) throw new Error(`helm template ${platform} failed: ${result.stderr}`);
  return parseYamlDocuments(result.stdout, `helm template ${platform}`);
}

export const RBAC_KINDS = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);
