// Every chart file `make manifests` writes: the RBAC, evidence and NetworkPolicy templates and values.schema.json.
import { chartEvidenceTemplate } from './evidence-templates.ts';
import { chartNetworkPolicyTemplates } from './network-policy-templates.ts';
import { chartRbacTemplates, CHART_DIR } from './rbac-templates.ts';
import { valuesSchema } from './values-schema.ts';

export function generatedChartFiles(): Record<string, string> {
  return {
    ...chartRbacTemplates(),
    ...chartEvidenceTemplate(),
    ...chartNetworkPolicyTemplates(),
    [`${CHART_DIR}/values.schema.json`]: `${JSON.stringify(valuesSchema(), null, 2)}\n`,
  };
}
