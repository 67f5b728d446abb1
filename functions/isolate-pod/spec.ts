// isolate-pod: cuts the pod off the network without killing it, so it can be examined.
// A deny-all NetworkPolicy selects a label unique to the pod; the pod gets that label and
// annotations saying why and when.
import { podRef } from '../../shared/guards/target.ts';
import { writeAtReadVersion } from '../../shared/k8s/conflict.ts';
import { KEYS, ruleAnnotation } from '../../shared/k8s/keys.ts';
import { acted, skipped } from '../../shared/respond/decision.ts';
import type { PlanContext, ResponseFunctionSpec } from '../../shared/respond/function-spec.ts';
import { isIntactQuarantine, policiesUndoingQuarantine, QUARANTINE_LABEL, quarantinePolicy, quarantinePolicyName } from './quarantine.ts';

/**
 * The quarantine is the pod's own (its label holds the pod's UID, the policy is owned by the
 * pod): if the pod is deleted, the garbage collector removes the policy, and the pod its
 * controller creates in its place is NOT quarantined. Said in the answer and the Event.
 */
function replacementNote(owner: PlanContext['owner']): string | undefined {
  if (owner.kind === 'Standalone') return undefined;
  return `if this pod is deleted, the pod its ${owner.kind}${owner.name ? ` ${owner.name}` : ''} creates in its place is not quarantined`;
}

async function plan({ pod, target, alert, owner, kube }: PlanContext) {
  if (pod.metadata?.deletionTimestamp)
    return skipped('already-terminating', `pod ${target.namespace}/${target.pod} is being deleted: nothing to isolate`, { target });
  const uid = pod.metadata!.uid!;
  const policyName = quarantinePolicyName(target.pod);
  const labelled = pod.metadata?.labels?.[QUARANTINE_LABEL] === uid;
  const existing = await kube.getNetworkPolicy(target.namespace, policyName);
  if (labelled && existing && isIntactQuarantine(existing, uid)) {
    return skipped('already-isolated', `pod ${target.namespace}/${target.pod} is already isolated by NetworkPolicy ${policyName}`, {
      target,
      details: { networkPolicy: policyName },
    });
  }
  return {
    reason: 'isolate',
    message: `isolate pod ${target.namespace}/${target.pod}: label ${QUARANTINE_LABEL}=${uid} and deny-all NetworkPolicy ${policyName}`,
    target,
    details: { networkPolicy: policyName, selector: { [QUARANTINE_LABEL]: uid } },
    async execute() {
      const now = new Date();
      const desired = quarantinePolicy(pod, alert, now);
      let policyChanged = false;
      if (!existing) {
        policyChanged = (await kube.createNetworkPolicy(target.namespace, desired)) === 'created';
      }
      const current = policyChanged ? undefined : (existing ?? (await kube.getNetworkPolicy(target.namespace, policyName)));
      if (current && !isIntactQuarantine(current, uid)) {
        // Someone edited our policy (or an older pod of that name left it): put the deny-all back.
        await kube.replaceNetworkPolicy(target.namespace, {
          ...desired,
          metadata: { ...desired.metadata, resourceVersion: current.metadata?.resourceVersion },
        });
        policyChanged = true;
      }
      let labelChanged = false;
      if (!labelled) {
        // Only the pod as read: one instance labels it; a racing one gets 409, and learns from
        // the pod as it is now whether that one labelled it (or the pod was replaced).
        const labelling = await writeAtReadVersion({
          read: pod,
          attempts: 1,
          write: async (read) => {
            await kube.patchPodMetadata(target.namespace, target.pod, {
              labels: { [QUARANTINE_LABEL]: uid },
              annotations: {
                [KEYS.isolatedAt.key]: now.toISOString(),
                [KEYS.isolatedByRule.key]: ruleAnnotation(alert.rule),
                [KEYS.quarantinePolicy.key]: policyName,
              },
              resourceVersion: read?.metadata?.resourceVersion,
            });
            return 'labelled' as const;
          },
          readAgain: () => kube.getPod(target.namespace, target.pod),
          settle: (current) =>
            current?.metadata?.uid !== uid
              ? 'replaced'
              : current.metadata?.labels?.[QUARANTINE_LABEL] === uid
                ? 'labelled-meanwhile'
                : undefined,
        });
        if (labelling === 'replaced')
          return {
            decision: skipped('target-replaced', `pod ${target.namespace}/${target.pod} was replaced while being isolated`, { target }),
          };
        labelChanged = labelling === 'labelled';
      }
      const podLabels = { ...pod.metadata?.labels, [QUARANTINE_LABEL]: uid };
      const holes = policiesUndoingQuarantine((await kube.listNetworkPolicies(target.namespace)).items, podLabels, policyName);
      const warnings = holes.length > 0 ? [`quarantine incomplete: ${holes.join('; ')}`] : [];
      const replacement = replacementNote(owner);
      const details = {
        networkPolicy: policyName,
        selector: { [QUARANTINE_LABEL]: uid },
        policyCreated: policyChanged,
        podLabelled: labelChanged,
        replacementQuarantined: false,
      };
      if (!policyChanged && !labelChanged) {
        return {
          decision: skipped(
            'already-isolated',
            `pod ${target.namespace}/${target.pod} was isolated meanwhile (NetworkPolicy ${policyName})`,
            { target, warnings, details },
          ),
        };
      }
      return {
        decision: acted(
          'isolated',
          `isolated pod ${target.namespace}/${target.pod} with NetworkPolicy ${policyName}${replacement ? `; ${replacement}` : ''}`,
          { target, warnings, details },
        ),
        event: {
          regarding: podRef(target, uid),
          reason: holes.length > 0 ? 'IsolatedIncompletely' : 'Isolated',
          action: 'Isolate',
          type: holes.length > 0 ? ('Warning' as const) : ('Normal' as const),
          note: `falco-response isolate-pod: all ingress and egress denied by NetworkPolicy ${policyName}.${holes.length > 0 ? ` INCOMPLETE: ${holes.join('; ')}.` : ''}${replacement ? ` Note: ${replacement}.` : ''}`,
        },
      };
    },
  };
}

export const isolatePodSpec: ResponseFunctionSpec<'isolate-pod'> = {
  name: 'isolate-pod',
  summary: 'Quarantines the pod a Falco alert names: deny-all NetworkPolicy plus a label, without killing it.',
  deployment: {
    rules: 'Redirect STDOUT/STDIN to Network Connection in Container',
    minPriority: 'notice',
    openFaasCaller: 'webhook-with-token',
  },
  actionEvent: { reason: 'Isolated', action: 'Isolate' },
  rbacRules: [
    { apiGroups: [''], resources: ['pods'], verbs: ['patch'] },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['create', 'get', 'list', 'update'] },
  ],
  plan,
};
