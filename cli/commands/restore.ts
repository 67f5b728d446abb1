// restore KIND/NAME: puts a workload scale-to-zero scaled back to its recorded count, undoing
// its GitOps step (shared/gitops/restore.ts does it all); refuses a workload it did not scale.
import { restoreScaledWorkload } from '../../shared/gitops/restore.ts';
import { PREVIOUS_REPLICAS_ANNOTATION } from '../../shared/gitops/records.ts';
import { KEYS } from '../../shared/k8s/keys.ts';
import type { KubeClient, ScalableKind } from '../../shared/k8s/kube-client.ts';
import { parseObjectRef } from '../args.ts';
import { Refused, UsageError } from '../exit-codes.ts';
import { result as sentence } from '../output.ts';
import type { CommandContext } from './command.ts';

export const RESTORE_HELP = `falco-response restore deployment|statefulset|replicaset|replicationcontroller/NAME [-n NS]
    [--replicas N] [--force] [--dry-run] [-o table|json|yaml]

Scales the workload back to the count scale-to-zero recorded (or --replicas N), resumes or
reverts its GitOps owner, and removes the record. Refuses (exit 3) a workload with no record
(unless --replicas N is given) and one no longer at 0 (unless --force). Records an Event Restored.`;

const KINDS: Record<string, ScalableKind> = {
  deployment: 'Deployment',
  deployments: 'Deployment',
  deploy: 'Deployment',
  statefulset: 'StatefulSet',
  statefulsets: 'StatefulSet',
  sts: 'StatefulSet',
  replicaset: 'ReplicaSet',
  replicasets: 'ReplicaSet',
  rs: 'ReplicaSet',
  replicationcontroller: 'ReplicationController',
  replicationcontrollers: 'ReplicationController',
  rc: 'ReplicationController',
};

function replicasFlag(value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,6}$/.test(value))
    throw new UsageError(`--replicas must be a count, got ${JSON.stringify(value)}`);
  return Number(value);
}

async function scaleTo(kube: KubeClient, kind: ScalableKind, namespace: string, name: string, replicas: number): Promise<void> {
  const scale = await kube.readScale(kind, namespace, name);
  await kube.replaceScale(kind, namespace, name, {
    metadata: { name, namespace, resourceVersion: scale.metadata!.resourceVersion! },
    spec: { replicas },
  });
}

export async function restore(context: CommandContext): Promise<number> {
  const { kind, name } = parseObjectRef(context.positionals[0], KINDS);
  if (context.positionals.length > 1) throw new UsageError('restore takes one KIND/NAME');
  const asked = replicasFlag(context.own.replicas);
  const { kube, namespace } = context.connect();
  if (!namespace) throw new UsageError('restore acts in one namespace: -A is not allowed');
  const workload = await kube.getWorkload(kind, namespace, name);
  if (!workload) throw new Refused(`${kind} ${namespace}/${name} does not exist`);
  const recorded = workload.metadata?.annotations?.[PREVIOUS_REPLICAS_ANNOTATION];
  const current = Number(workload.spec?.replicas ?? 0);
  const id = `${kind} ${namespace}/${name}`;
  // restore removes the record but leaves when and why it was scaled: a second restore is a no-op.
  if (recorded === undefined && asked === undefined && workload.metadata?.annotations?.[KEYS.scaledToZeroAt.key] && current > 0) {
    const message = `${id} was restored already (at ${current} replicas): nothing to do`;
    context.write(sentence(context.common.output, message, { workload: id, replicas: current, dryRun: context.common.dryRun, message }));
    return 0;
  }
  if (recorded === undefined && asked === undefined)
    throw new Refused(
      `${id} has no ${PREVIOUS_REPLICAS_ANNOTATION} record: scale-to-zero did not scale it (give --replicas N to scale it anyway)`,
    );
  if (current !== 0 && context.own.force !== true)
    throw new Refused(`${id} is at ${current} replicas, not 0 (use --force to restore anyway)`);
  const target = asked ?? Number(recorded);
  const plan =
    recorded !== undefined
      ? `restore ${id} to ${target} replicas, undo its GitOps step and remove the record`
      : `scale ${id} to ${target} replicas`;
  let message = `would ${plan}`;
  if (!context.common.dryRun) {
    if (recorded !== undefined) message = (await restoreScaledWorkload({ kube, kind, namespace, name })).message;
    if (asked !== undefined && (recorded === undefined || asked !== Number(recorded))) {
      await scaleTo(kube, kind, namespace, name, asked);
      message = `${recorded !== undefined ? `${message}; then ` : ''}scaled ${id} to ${asked} replicas`;
    }
    const who = await kube.whoAmI();
    await kube.recordEvent({
      regarding: {
        apiVersion: workload.apiVersion ?? (kind === 'ReplicationController' ? 'v1' : 'apps/v1'),
        kind,
        name,
        namespace,
        uid: workload.metadata?.uid,
      },
      reason: 'Restored',
      action: 'Restore',
      type: 'Normal',
      note: `falco-response restore by ${who}: ${message}`,
    });
  }
  context.write(sentence(context.common.output, message, { workload: id, replicas: target, dryRun: context.common.dryRun, message }));
  return 0;
}
