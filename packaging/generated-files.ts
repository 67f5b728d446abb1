// Every file `make manifests` writes, by path relative to the repository root: stack.yml and
// knative/20-<name>.yaml of each registered function (packaging/function-manifests.ts), the RBAC of
// each path (packaging/rbac-manifests.ts), the falco chart values that embed copies of
// other files (packaging/falco-chart-values.ts) and the dead-letter sink with its script
// (packaging/dead-letters-manifest.ts), the Helm chart's RBAC templates and values schema
// (packaging/chart/), the observability pack (packaging/observability/), scale-to-zero's GitOps roles (packaging/gitops-rbac-manifest.ts)
// the operator's roles and the evidence retention CronJob (packaging/operations-manifests.ts)
// and docs/configuration.md's tables (packaging/configuration-table.ts). One list, so the writer, its --check and the
// unit test that keeps the committed copies current cannot miss one.
import { join } from 'node:path';
import { generatedChartFiles } from './chart/chart-files.ts';
import { configurationPage } from './configuration-table.ts';
import { generatedDeadLetterSink } from './dead-letters-manifest.ts';
import { generatedFalcoChartValues } from './falco-chart-values.ts';
import { generatedFunctionManifests } from './function-manifests.ts';
import { generatedGitOpsRbac } from './gitops-rbac-manifest.ts';
import { generatedObservabilityFiles } from './observability/files.ts';
import { generatedOperationsManifests } from './operations-manifests.ts';
import { generatedManifests } from './rbac-manifests.ts';

export function generatedFiles(): Record<string, string> {
  return {
    ...generatedFunctionManifests(),
    ...generatedManifests(),
    ...generatedOperationsManifests(),
    ...generatedFalcoChartValues(),
    ...generatedDeadLetterSink(),
    ...generatedChartFiles(),
    ...generatedObservabilityFiles(),
    ...generatedGitOpsRbac(),
    ...configurationPage(join(import.meta.dirname, '..')),
  };
}
