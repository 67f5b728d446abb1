// Every chart file `make manifests` writes: the RBAC templates and values.schema.json.
import { chartRbacTemplates, CHART_DIR } from './rbac-templates.ts';
import { valuesSchema } from './values-schema.ts';

export function generatedChartFiles(): Record<string, string> {
  return {
    ...chartRbacTemplates(),
    [`${CHART_DIR}/values.schema.json`]: `${JSON.stringify(valuesSchema(), null, 2)}\n`,
  };
}
