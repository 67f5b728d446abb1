// Every setting any function reads, each once: the pipeline's, each function's own, the
// evidence capture's, the Kubernetes client's, the runtime's. The configuration table and the chart's values schema
// are made from this list.
import { FUNCTIONS } from '../functions/index.ts';
import { RUNTIME_SETTINGS } from '../shared/config/runtime-config.ts';
import type { Setting } from '../shared/config/setting.ts';
import { EVIDENCE_SETTINGS } from '../shared/forensics/evidence-settings.ts';
import { KUBE_SETTINGS } from '../shared/k8s/kube-settings.ts';
import { PIPELINE_SETTINGS } from '../shared/respond/pipeline-settings.ts';

export function allSettings(): Setting<unknown>[] {
  const own = FUNCTIONS.flatMap((spec) => spec.settings?.declarations ?? []);
  return [
    ...PIPELINE_SETTINGS.declarations,
    ...own,
    ...EVIDENCE_SETTINGS.declarations,
    ...KUBE_SETTINGS.declarations,
    ...RUNTIME_SETTINGS.declarations,
  ];
}
