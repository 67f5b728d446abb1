// KubeClient finds a workload kind's client-node method by name (<verb>Namespaced<Kind>[Scale]
// on the kind's API group client): every name it can compose exists in the pinned client-node.
import * as k8s from '@kubernetes/client-node';
import { expect, it } from 'vitest';
import { WORKLOAD_API_GROUP } from '../../shared/k8s/kube-client.ts';

const clients = { apps: k8s.AppsV1Api, core: k8s.CoreV1Api, batch: k8s.BatchV1Api };
const scalable = ['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController'];

it('every workload method KubeClient composes exists on the API client of its kind', () => {
  const missing: string[] = [];
  for (const [kind, group] of Object.entries(WORKLOAD_API_GROUP)) {
    const methods = [
      `readNamespaced${kind}`,
      ...(scalable.includes(kind) ? [`readNamespaced${kind}Scale`, `replaceNamespaced${kind}Scale`, `patchNamespaced${kind}`] : []),
    ];
    for (const method of methods)
      if (typeof (clients[group].prototype as unknown as Record<string, unknown>)[method] !== 'function')
        missing.push(`${group}.${method}`);
  }
  expect(missing).toEqual([]);
  expect(Object.keys(WORKLOAD_API_GROUP)).toHaveLength(7);
});

it('every workload list method KubeClient composes (listWorkloads: the CLI status) exists', () => {
  const missing = scalable.flatMap((kind) => {
    const api = clients[WORKLOAD_API_GROUP[kind as keyof typeof WORKLOAD_API_GROUP]].prototype as unknown as Record<string, unknown>;
    return [`listNamespaced${kind}`, `list${kind}ForAllNamespaces`].filter((method) => typeof api[method] !== 'function');
  });
  expect(missing).toEqual([]);
});
