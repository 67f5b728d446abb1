// @kubernetes/client-node is large: it is imported on the first alert that needs the
// cluster, never on the start-up path, and only the APIs listed in client-node-apis.ts.
let module: Promise<typeof import('@kubernetes/client-node')> | undefined;

export function loadClient(): Promise<typeof import('@kubernetes/client-node')> {
  // Typed as the whole package so KubeClient and kube-config keep their signatures; at run
  // time only what client-node-apis.ts re-exports is there.
  module ??= import('./client-node-apis.ts') as Promise<typeof import('@kubernetes/client-node')>;
  return module;
}
