// The user's cluster, as kubectl finds it: --kubeconfig or $KUBECONFIG or ~/.kube/config, the
// --context (default the current one) and the namespace (-n, else the context's, else default).
import * as k8s from '@kubernetes/client-node';
import { KubeClient } from '../shared/k8s/kube-client.ts';
import type { CommonFlags } from './args.ts';

export interface Connection {
  kube: KubeClient;
  /** The namespace a command acts in (undefined with -A). */
  namespace: string | undefined;
}

export function connect(flags: CommonFlags): Connection {
  const config = new k8s.KubeConfig();
  if (flags.kubeconfig) config.loadFromFile(flags.kubeconfig);
  else config.loadFromDefault();
  if (flags.context) config.setCurrentContext(flags.context);
  if (!config.getCurrentCluster()) throw new Error('no cluster configured: set --kubeconfig, $KUBECONFIG or ~/.kube/config');
  const contextNamespace = config.getContextObject(config.getCurrentContext())?.namespace;
  const retry = { attempts: 3, baseDelayMs: 200, maxDelayMs: 2000 };
  const kube = new KubeClient(k8s, config, {
    timeoutMs: 15_000,
    retry,
    controller: 'falco-response.dev/cli',
    instance: 'falco-response-cli',
  });
  return { kube, namespace: flags.allNamespaces ? undefined : (flags.namespace ?? contextNamespace ?? 'default') };
}
