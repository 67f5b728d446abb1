// The permissions evidence capture uses, as a function of its settings: reading logs only when
// EVIDENCE=logs, creating Secrets only in the evidence namespace (a Role there, never a
// ClusterRole), never reading any Secret. The retention CronJob's own role lists and deletes them.
import type { PolicyRule } from '../k8s/policy-rule.ts';
import type { EvidenceSettings } from './evidence-settings.ts';

export interface EvidenceRbac {
  /** ClusterRole rules (the pods are in any namespace). */
  cluster: PolicyRule[];
  /** Role rules in settings.namespace. */
  namespaced: PolicyRule[];
}

export function evidenceRbacRules(settings: Pick<EvidenceSettings, 'mode' | 'namespace'>): EvidenceRbac {
  if (settings.mode === 'off') return { cluster: [], namespaced: [] };
  return {
    cluster: [
      { apiGroups: [''], resources: ['events'], verbs: ['list'] },
      ...(settings.mode === 'logs' ? [{ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }] : []),
    ],
    namespaced: [{ apiGroups: [''], resources: ['secrets'], verbs: ['create'] }],
  };
}

/** The retention CronJob (`evidence prune --older-than`): a Role in the evidence namespace. */
export const EVIDENCE_PRUNE_RULES: readonly PolicyRule[] = [{ apiGroups: [''], resources: ['secrets'], verbs: ['list', 'delete'] }];
