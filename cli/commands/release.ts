// release pod/NAME: takes back the quarantine isolate-pod made, and only that: its
// NetworkPolicy (checked by name, labels and owner), the pod's quarantine label and annotations.
import type { V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import { isIntactQuarantine, MANAGED_BY, QUARANTINE_LABEL, quarantinePolicyName } from '../../functions/isolate-pod/quarantine.ts';
import { writeAtReadVersion } from '../../shared/k8s/conflict.ts';
import { KEYS } from '../../shared/k8s/keys.ts';
import type { KubeClient } from '../../shared/k8s/kube-client.ts';
import { parseObjectRef } from '../args.ts';
import { Refused, UsageError } from '../exit-codes.ts';
import { result as sentence } from '../output.ts';
import type { CommandContext } from './command.ts';

export const RELEASE_HELP = `falco-response release pod/NAME [-n NS] [--dry-run] [--force] [-o table|json|yaml]

Removes the quarantine isolate-pod made: its NetworkPolicy, the pod's label and annotations.
Refuses (exit 3) a NetworkPolicy isolate-pod did not create for this pod, and one changed since
(unless --force). Already released: nothing to do (exit 0). Records an Event Released naming you.`;

const POD_ANNOTATIONS = [KEYS.isolatedAt.key, KEYS.isolatedByRule.key, KEYS.quarantinePolicy.key];

/** Why the policy is not the one isolate-pod made for this pod, if it is not. */
function notOurs(policy: V1NetworkPolicy, pod: V1Pod): string | undefined {
  const uid = pod.metadata!.uid!;
  const labels = policy.metadata?.labels ?? {};
  if (labels['app.kubernetes.io/managed-by'] !== MANAGED_BY) return `it is not labelled app.kubernetes.io/managed-by=${MANAGED_BY}`;
  if (labels[QUARANTINE_LABEL] !== uid) return `its ${QUARANTINE_LABEL} label is not this pod's UID`;
  if (!(policy.metadata?.ownerReferences ?? []).some((ref) => ref.kind === 'Pod' && ref.uid === uid)) return 'it is not owned by this pod';
  return undefined;
}

export async function release(context: CommandContext): Promise<number> {
  const ref = parseObjectRef(context.positionals[0], { pod: 'Pod', pods: 'Pod', po: 'Pod' });
  if (context.positionals.length > 1) throw new UsageError('release takes one pod/NAME');
  const { kube, namespace } = context.connect();
  if (!namespace) throw new UsageError('release acts in one namespace: -A is not allowed');
  const pod = await kube.getPod(namespace, ref.name);
  if (!pod) throw new Refused(`pod ${namespace}/${ref.name} does not exist`);
  const uid = pod.metadata!.uid!;
  const annotations = pod.metadata?.annotations ?? {};
  const policyName = annotations[KEYS.quarantinePolicy.key] ?? quarantinePolicyName(ref.name);
  if (policyName !== quarantinePolicyName(ref.name))
    throw new Refused(`pod ${namespace}/${ref.name} names NetworkPolicy ${policyName}, not the one isolate-pod makes`);
  const label = pod.metadata?.labels?.[QUARANTINE_LABEL];
  if (label !== undefined && label !== uid)
    throw new Refused(`pod ${namespace}/${ref.name} has ${QUARANTINE_LABEL}=${label}, not its own UID: not isolate-pod's`);
  const policy = await kube.getNetworkPolicy(namespace, policyName);
  if (policy) {
    const why = notOurs(policy, pod);
    if (why) throw new Refused(`NetworkPolicy ${namespace}/${policyName} was not created by isolate-pod for this pod: ${why}`);
    if (!isIntactQuarantine(policy, uid) && context.own.force !== true)
      throw new Refused(`NetworkPolicy ${namespace}/${policyName} was changed since isolate-pod made it (use --force to remove it anyway)`);
  }
  const podMarked = label !== undefined || POD_ANNOTATIONS.some((key) => annotations[key] !== undefined);
  const steps = [
    ...(policy ? [`delete NetworkPolicy ${policyName}`] : []),
    ...(podMarked ? ['remove the quarantine label and annotations from the pod'] : []),
  ];
  const result = { pod: `${namespace}/${ref.name}`, dryRun: context.common.dryRun, steps, released: steps.length > 0 };
  if (steps.length > 0 && !context.common.dryRun) {
    if (policy) await kube.deleteNetworkPolicy(namespace, policyName, policy.metadata!.uid!);
    if (podMarked) await unmarkPod(kube, namespace, pod);
    const who = await kube.whoAmI();
    await kube.recordEvent({
      regarding: { apiVersion: 'v1', kind: 'Pod', name: ref.name, namespace, uid },
      reason: 'Released',
      action: 'Release',
      type: 'Normal',
      note: `falco-response release by ${who}: ${steps.join('; ')}`,
    });
  }
  const said =
    steps.length === 0
      ? `pod ${namespace}/${ref.name} is not quarantined: nothing to release`
      : `${context.common.dryRun ? 'would ' : ''}${steps.join('; ')}`;
  context.write(sentence(context.common.output, said, result));
  return 0;
}

async function unmarkPod(kube: KubeClient, namespace: string, read: V1Pod): Promise<void> {
  const removal = { labels: { [QUARANTINE_LABEL]: null }, annotations: Object.fromEntries(POD_ANNOTATIONS.map((key) => [key, null])) };
  await writeAtReadVersion<V1Pod | undefined, V1Pod, 'gone'>({
    read,
    attempts: 5,
    write: (pod) =>
      kube.patchPodMetadataRemoving(namespace, pod!.metadata!.name!, { ...removal, resourceVersion: pod!.metadata!.resourceVersion! }),
    readAgain: () => kube.getPod(namespace, read.metadata!.name!),
    settle: (now) => (!now || now.metadata?.uid !== read.metadata?.uid ? 'gone' : undefined),
  });
}
