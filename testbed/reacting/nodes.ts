// Simulated nodes: Node objects kwok manages (its annotation), which it turns Ready and keeps
// alive through their Leases. No taints, so pods schedule without tolerations.
import type { CoreV1Api } from '@kubernetes/client-node';

export const NODE_PREFIX = 'kwok-node';

export function nodeName(index: number): string {
  return `${NODE_PREFIX}-${index}`;
}

/** Creates nodes kwok-node-<from>..<from+count-1>, `parallel` at a time; returns their names. */
export async function createNodes(core: CoreV1Api, count: number, from = 0, parallel = 20): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => nodeName(from + i));
  for (let i = 0; i < names.length; i += parallel) {
    await Promise.all(
      names.slice(i, i + parallel).map((name) =>
        core.createNode({
          body: {
            metadata: {
              name,
              annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
              labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', type: 'kwok' },
            },
            spec: {},
          },
        }),
      ),
    );
  }
  return names;
}

export async function nodeIsReady(core: CoreV1Api, name: string): Promise<boolean> {
  const node = await core.readNode({ name });
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
