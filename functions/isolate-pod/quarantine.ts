// The quarantine NetworkPolicy and how to tell whether other policies undo it.
import { createHash } from 'node:crypto';
import type { V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import type { FalcoAlert } from '../../shared/alert/falco-alert.ts';
import { KEYS, ruleAnnotation } from '../../shared/k8s/keys.ts';
import { selectorMatches } from '../../shared/k8s/label-selector.ts';

/** Label that selects exactly one pod: its value is the pod's UID. */
export const QUARANTINE_LABEL = KEYS.quarantine.key;
export const MANAGED_BY = 'falco-response-functions';

/** Deterministic, so two instances racing on one pod collide on the name (409) instead of making two. */
export function quarantinePolicyName(podName: string): string {
  const name = `falco-quarantine-${podName}`;
  if (name.length <= 253) return name;
  const hash = createHash('sha256').update(podName).digest('hex').slice(0, 10);
  return `${name.slice(0, 242)}-${hash}`;
}

export function quarantinePolicy(pod: V1Pod, alert: FalcoAlert, now: Date): V1NetworkPolicy {
  const name = pod.metadata!.name!;
  const uid = pod.metadata!.uid!;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: quarantinePolicyName(name),
      namespace: pod.metadata!.namespace!,
      labels: { 'app.kubernetes.io/managed-by': MANAGED_BY, [QUARANTINE_LABEL]: uid },
      annotations: {
        [KEYS.policyRule.key]: ruleAnnotation(alert.rule),
        [KEYS.policyAlertTime.key]: alert.timeText,
        [KEYS.isolatedAt.key]: now.toISOString(),
        [KEYS.policyPod.key]: name,
      },
      // Owned by the pod: deleting the pod removes its quarantine with it.
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name, uid, controller: false, blockOwnerDeletion: false }],
    },
    spec: {
      podSelector: { matchLabels: { [QUARANTINE_LABEL]: uid } },
      // Both types and no rules: all ingress and all egress are denied.
      policyTypes: ['Ingress', 'Egress'],
    },
  };
}

/** Whether an existing policy is our quarantine for this pod, unchanged. */
export function isIntactQuarantine(policy: V1NetworkPolicy, uid: string): boolean {
  const spec = policy.spec;
  return (
    spec?.podSelector?.matchLabels?.[QUARANTINE_LABEL] === uid &&
    Object.keys(spec.podSelector.matchLabels ?? {}).length === 1 &&
    (spec.podSelector.matchExpressions ?? []).length === 0 &&
    (spec.policyTypes ?? []).includes('Ingress') &&
    (spec.policyTypes ?? []).includes('Egress') &&
    (spec.ingress ?? []).length === 0 &&
    (spec.egress ?? []).length === 0
  );
}

/**
 * NetworkPolicies only add allowances: any other policy that selects the pod and allows
 * ingress or egress punches a hole in the quarantine. Names each such policy.
 */
export function policiesUndoingQuarantine(policies: V1NetworkPolicy[], podLabels: Record<string, string>, ourName: string): string[] {
  const holes: string[] = [];
  for (const policy of policies) {
    if (policy.metadata?.name === ourName || !selectorMatches(policy.spec?.podSelector, podLabels)) continue;
    const types = policy.spec?.policyTypes ?? (policy.spec?.egress ? ['Ingress', 'Egress'] : ['Ingress']);
    const allows: string[] = [];
    if (types.includes('Ingress') && (policy.spec?.ingress ?? []).length > 0) allows.push('ingress');
    if (types.includes('Egress') && (policy.spec?.egress ?? []).length > 0) allows.push('egress');
    if (allows.length > 0) holes.push(`NetworkPolicy ${policy.metadata?.name} also selects the pod and allows ${allows.join(' and ')}`);
  }
  return holes;
}
