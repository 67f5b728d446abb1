// @kubernetes/client-node is large: it is imported on the first alert that needs the
// cluster, never on the start-up path.
let module: Promise<typeof import('@kubernetes/client-node')> | undefined;

export function loadClient(): Promise<typeof import('@kubernetes/client-node')> {
  return (module ??= import('@kubernetes/client-node'));
}
