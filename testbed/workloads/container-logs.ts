// "This pod's container wrote these lines": a kwok Logs object (kwok.x-k8s.io/v1alpha1) points
// the pod's containers at files in the CRI log format a kubelet reads; kwok's server answers the
// kubelet's /containerLogs from them and the API server proxies pods/log there. (A log that
// hangs is a node whose kubelet never answers: stuck-kubelet.ts.)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { eventually } from '../cluster/probes.ts';
import { kubeConfigFor } from '../cluster/credentials.ts';
import type { ClusterCoords } from '../cluster/control-plane.ts';
import type { AdminApis } from './admin-apis.ts';

export interface ContainerLog {
  /** Lines the running instance wrote (stdout). */
  current: string[];
  /** Lines the instance before it wrote (`kubectl logs --previous`). */
  previous?: string[];
}

const LOGS = { group: 'kwok.x-k8s.io', version: 'v1alpha1', plural: 'logs' } as const;

/** Lines as a CRI runtime writes them: `<RFC 3339 nano> stdout F <line>`. */
export function criLogText(lines: string[], at = new Date()): string {
  const time = at.toISOString().replace('Z', '000000Z');
  return lines.map((line) => `${time} stdout F ${line}\n`).join('');
}

function logDir(cluster: ClusterCoords, namespace: string, pod: string): string {
  const dir = join(cluster.dataDir, 'container-logs', namespace, pod);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Gives the pod's containers these logs and returns once the API server serves them (kwok
 * picks Logs objects up through a watch). One call per pod: it creates the pod's Logs object.
 */
export async function writeContainerLogs(
  cluster: ClusterCoords,
  api: AdminApis,
  namespace: string,
  pod: string,
  logs: Record<string, ContainerLog>,
): Promise<Record<string, string>> {
  const dir = logDir(cluster, namespace, pod);
  const files: Record<string, string> = {};
  const entries = Object.entries(logs).map(([container, log]) => {
    const logsFile = join(dir, `${container}.log`);
    const previousLogsFile = join(dir, `${container}.previous.log`);
    writeFileSync(logsFile, criLogText(log.current));
    writeFileSync(previousLogsFile, criLogText(log.previous ?? []));
    files[container] = logsFile;
    return { containers: [container], logsFile, previousLogsFile };
  });
  const custom = kubeConfigFor(cluster, cluster.adminToken).makeApiClient(CustomObjectsApi);
  const body = { apiVersion: `${LOGS.group}/${LOGS.version}`, kind: 'Logs', metadata: { name: pod, namespace }, spec: { logs: entries } };
  await custom.createNamespacedCustomObject({ ...LOGS, namespace, body });
  const [first] = Object.keys(logs);
  await eventually(
    `kwok to serve the logs of ${namespace}/${pod}`,
    async () => {
      await api.core.readNamespacedPodLog({ namespace, name: pod, container: first!, limitBytes: 1 });
      return true;
    },
    30_000,
  );
  return files;
}
