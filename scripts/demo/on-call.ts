// The demo's last step: what the person on call does next, with the command line as
// `make install-cli` installs it (dist/cli/falco-response.cjs) and the admin's kubeconfig:
// status, then release the quarantine and restore the scaled workload, then status again.
// Each ✓ is printed after the cluster was read back, not from what the command said.
import { join } from 'node:path';
import { quarantinePolicyName } from '../../functions/isolate-pod/quarantine.ts';
import { selectorMatches } from '../../shared/k8s/label-selector.ts';
import type { ClusterCoords } from '../../testbed/cluster/control-plane.ts';
import { repoRoot } from '../../testbed/cluster/binaries.ts';
import { baseEnv, runToExit } from '../../testbed/process/spawn.ts';
import type { AdminApis } from '../../testbed/workloads/admin-apis.ts';
import { waitForPods } from '../../testbed/workloads/controllers.ts';
import { isRunning } from '../../testbed/workloads/pods.ts';
import type { DemoTargets } from './cluster-view.ts';
import type { DemoConsole } from './console.ts';

export const CLI_BUNDLE = join(repoRoot, 'dist', 'cli', 'falco-response.cjs');

interface StatusItem {
  action: string;
  object: string;
  inEffect: boolean;
  state: string;
}

export async function showOnCall(out: DemoConsole, cluster: ClusterCoords, api: AdminApis, targets: DemoTargets): Promise<void> {
  out.heading('The person on call: falco-response status, release, restore (the command line, as the cluster admin)');
  const { namespace, bare, scaled } = targets;
  const cli = async (...args: string[]) => {
    const run = await runToExit(process.execPath, [CLI_BUNDLE, ...args, '--kubeconfig', cluster.kubeconfigPath], { env: baseEnv() });
    if (run.code !== 0) throw new Error(`falco-response ${args.join(' ')} exited ${run.code}: ${run.stderr.trim()}`);
    return run.stdout;
  };
  const status = async () => (JSON.parse(await cli('status', '-n', namespace, '-o', 'json')) as { items: StatusItem[] }).items;

  out.info(`$ falco-response status -n ${namespace}`, 2);
  for (const line of (await cli('status', '-n', namespace)).trimEnd().split('\n')) out.detail(line);
  const before = await status();
  const has = (action: string, object: string, inEffect: boolean) =>
    before.some((i) => i.action === action && i.object === object && i.inEffect === inEffect);
  out.check(
    has('isolated', `pod/${bare.pod}`, true) &&
      has('scaled-to-zero', `deployment/${scaled.name}`, true) &&
      has('deleted', `pod/${targets.deleted.pod}`, false),
    `status lists the three actions: the quarantine and the scale to 0 in effect, the deletion from its evidence Secret`,
    `status did not list the three actions: ${JSON.stringify(before)}`,
  );

  out.info(`$ falco-response release pod/${bare.pod} -n ${namespace}`, 2);
  out.detail(clip(await cli('release', `pod/${bare.pod}`, '-n', namespace)));
  const pod = await api.core.readNamespacedPod({ namespace, name: bare.pod });
  const selecting = (await api.networking.listNamespacedNetworkPolicy({ namespace })).items.filter((p) =>
    selectorMatches(p.spec?.podSelector, pod.metadata?.labels ?? {}),
  );
  out.check(
    isRunning(pod) && selecting.length === 0,
    `Pod ${bare.pod} is Running and no NetworkPolicy selects it any more (${quarantinePolicyName(bare.pod)} deleted, its label removed)`,
    `Pod ${bare.pod}: ${pod.status?.phase}, selected by ${selecting.map((p) => p.metadata?.name).join(', ')}`,
    4,
  );

  out.info(`$ falco-response restore deployment/${scaled.name} -n ${namespace}`, 2);
  out.detail(clip(await cli('restore', `deployment/${scaled.name}`, '-n', namespace)));
  try {
    const pods = await waitForPods(api, namespace, scaled.selector, scaled.replicas, 30_000);
    out.ok(
      `Deployment ${scaled.name} is back at ${scaled.replicas} replicas: ${pods.map((p) => p.metadata!.name).join(', ')} Running (new pods)`,
      4,
    );
  } catch (error) {
    out.fail(`Deployment ${scaled.name} did not come back: ${(error as Error).message}`, 4);
  }

  out.info(`$ falco-response status -n ${namespace}`, 2);
  for (const line of (await cli('status', '-n', namespace)).trimEnd().split('\n')) out.detail(line);
  const after = await status();
  out.check(
    after.length > 0 && after.every((item) => !item.inEffect),
    `nothing done by falco-response is in effect any more (${after.map((i) => `${i.action} ${i.object}`).join(', ')} listed, none in effect)`,
    `still in effect: ${after
      .filter((i) => i.inEffect)
      .map((i) => `${i.action} ${i.object}`)
      .join(', ')}`,
  );
  out.detail('Both recorded an Event naming who ran them (Released, Restored); `falco-response evidence list` shows what was kept.');
}

function clip(text: string): string {
  return text.trim().replace(/\s+/g, ' ');
}
