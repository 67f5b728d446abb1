// What evidence capture adds to time to remediation: delete-pod as shipped, alert in → answer,
// on a reacting cluster (kwok nodes, whose kubelet endpoint serves each container's log through
// the API server's pods/log, as a kubelet does), with EVIDENCE=logs (the default), facts and
// off, three instances of the same bundle side by side. The three take turns pod by pod (and
// turns going first), so the API server's load is shared alike; each pod's container wrote
// `logLines` lines first, so `logs` reads a real log and stores it in the evidence Secret.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'node:http';
import { createTestNamespace } from '../../testbed/cluster/accounts.ts';
import { startTestCluster } from '../../testbed/cluster/control-plane.ts';
import { kubeConfigFor } from '../../testbed/cluster/credentials.ts';
import { deletePodSpec } from '../../functions/delete-pod/spec.ts';
import { functionToken } from '../../testbed/functions/function-under-test.ts';
import { adminApis } from '../../testbed/workloads/admin-apis.ts';
import { writeContainerLogs } from '../../testbed/workloads/container-logs.ts';
import { createPod } from '../../testbed/workloads/pods.ts';
import { actingAlert, filteredAlert, outcomeOf } from '../lib/alerts.ts';
import { post } from '../lib/http.ts';
import { coldStart, type Launchable } from '../lib/launch.ts';
import { Samples } from '../lib/samples.ts';

export const EVIDENCE_MODES = ['off', 'facts', 'logs'] as const;
export type EvidenceMode = (typeof EVIDENCE_MODES)[number];

export interface EvidencePlan {
  pods: number;
  warmupPods: number;
  /** Lines each pod's container wrote before the alert (about 80 bytes each). */
  logLines: number;
  /** delete-pod as shipped, with this kubeconfig and EVIDENCE mode. */
  deletePod(kubeconfig: string, mode: EvidenceMode): Launchable;
}

// Pods are made this many at a time (each waits for kwok to run it and serve its log).
const BATCH = 8;

/** Keys `evidence:<mode>`, ms per pod; `evidence-capture:<mode>` the capture's own share, from the decision. */
export async function measureEvidence(plan: EvidencePlan, progress: (line: string) => void): Promise<Samples> {
  const samples = new Samples();
  progress('starting a reacting cluster (controllers, scheduler, kwok nodes serving container logs)');
  const cluster = await startTestCluster();
  try {
    const api = adminApis(cluster);
    const namespace = await createTestNamespace(cluster, 'bench-evidence');
    const kubeconfig = join(cluster.dataDir, 'kubeconfig-delete-pod');
    writeFileSync(kubeconfig, kubeConfigFor(cluster, await functionToken(cluster, deletePodSpec)).exportConfig(), { mode: 0o600 });
    const lines = Array.from(
      { length: plan.logLines },
      (_, i) => `${new Date(0).toISOString()} GET /api/items/${i} 200 ${(i * 7919) % 1000} ms user-agent=bench`,
    );
    const functions = Object.fromEntries(
      await Promise.all(
        EVIDENCE_MODES.map(async (mode) => [mode, await coldStart(plan.deletePod(kubeconfig, mode), filteredAlert())] as const),
      ),
    );
    const agents = Object.fromEntries(EVIDENCE_MODES.map((mode) => [mode, new Agent({ keepAlive: true, maxSockets: 1 })]));
    try {
      const total = plan.warmupPods + plan.pods;
      for (let first = 0; first < total; first += BATCH) {
        const rounds = Array.from({ length: Math.min(BATCH, total - first) }, (_, k) => first + k);
        const names = (i: number) =>
          Object.fromEntries(EVIDENCE_MODES.map((mode) => [mode, `ev-${mode}-${i}`])) as Record<EvidenceMode, string>;
        // Every pod of the batch Running with its log served before any alert of the batch is sent.
        await Promise.all(
          rounds.flatMap((i) =>
            Object.values(names(i)).map(async (pod) => {
              await createPod(api, namespace, pod);
              await writeContainerLogs(cluster, api, namespace, pod, { app: { current: lines } });
            }),
          ),
        );
        for (const i of rounds) {
          const order = EVIDENCE_MODES.map((_, k, all) => all[(i + k) % all.length]!);
          const measured: Partial<Record<EvidenceMode, { ms: number; captureMs: number }>> = {};
          for (const mode of order) {
            const fn = functions[mode]!;
            const started = performance.now();
            const answer = await post(fn.port, actingAlert(namespace, names(i)[mode]), {}, agents[mode]);
            const ms = performance.now() - started;
            if (outcomeOf(answer.body) !== 'acted')
              throw new Error(`delete-pod (EVIDENCE=${mode}) did not act: ${answer.body}\n${fn.stderr()}`);
            const record = (
              JSON.parse(answer.body) as { details?: { evidenceRecord?: { result: string; durationMs: number; missing: string[] } } }
            ).details?.evidenceRecord;
            if (mode !== 'off' && record?.result !== 'complete')
              throw new Error(`EVIDENCE=${mode}: the capture was not complete: ${JSON.stringify(record)}`);
            measured[mode] = { ms, captureMs: record?.durationMs ?? 0 };
          }
          if (i >= plan.warmupPods) {
            for (const mode of EVIDENCE_MODES) {
              samples.add(`evidence:${mode}`, measured[mode]!.ms);
              samples.add(`evidence-capture:${mode}`, measured[mode]!.captureMs);
            }
          }
        }
      }
      progress(`evidence capture: ${plan.pods} pods each with EVIDENCE=${EVIDENCE_MODES.join(', ')}`);
    } finally {
      for (const agent of Object.values(agents)) agent.destroy();
      await Promise.all(Object.values(functions).map((fn) => fn.stop()));
    }
  } finally {
    await cluster.stop();
  }
  return samples;
}
