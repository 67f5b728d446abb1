// The pod an alert names, or why it names none: never guess a target.
import type { FalcoAlert } from '../alert/falco-alert.ts';
import type { RulePattern } from './rule-pattern.ts';

/** Namespaces never acted in: the configured patterns, and the function's own namespace. */
export interface NamespaceProtection {
  protectedNamespaces: RulePattern[];
  ownNamespace: string | undefined;
}

export interface PodTarget {
  namespace: string;
  pod: string;
}

// Kubernetes object names: namespaces are DNS-1123 labels, pods DNS-1123 subdomains.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export type TargetProblem = { reason: 'no-target' | 'invalid-target'; message: string };

export function podTargetOf(alert: FalcoAlert): PodTarget | TargetProblem {
  const { namespace, podName } = alert;
  if (!namespace || !podName) {
    const [nsField, podField] =
      alert.targetSource === 'k8saudit' ? ['ka.target.namespace', 'ka.target.name'] : ['k8s.ns.name', 'k8s.pod.name'];
    const missing = [!namespace && nsField, !podName && podField].filter(Boolean).join(' and ');
    return { reason: 'no-target', message: `the alert does not name a pod (${missing} missing): nothing to act on` };
  }
  if (!DNS_LABEL.test(namespace))
    return { reason: 'invalid-target', message: `k8s.ns.name ${JSON.stringify(namespace)} is not a valid namespace name` };
  if (podName.length > 253 || !DNS_SUBDOMAIN.test(podName))
    return { reason: 'invalid-target', message: `k8s.pod.name ${JSON.stringify(podName)} is not a valid pod name` };
  return { namespace, pod: podName };
}

/**
 * The parts of the alert's target that are valid names, for answers about an alert that is
 * not acted on: what reaches a reply (a CloudEvent header among them) or a log is checked.
 */
export function namedParts(alert: FalcoAlert): { namespace?: string; pod?: string } {
  const namespace = alert.namespace?.toLowerCase();
  return {
    ...(namespace !== undefined && DNS_LABEL.test(namespace) ? { namespace } : {}),
    ...(alert.podName !== undefined && alert.podName.length <= 253 && DNS_SUBDOMAIN.test(alert.podName) ? { pod: alert.podName } : {}),
  };
}

/** The pod as an Event's `regarding` names it. */
export function podRef(target: PodTarget, uid: string | undefined) {
  return { apiVersion: 'v1', kind: 'Pod', name: target.pod, namespace: target.namespace, uid };
}

export function isTargetProblem(value: PodTarget | TargetProblem): value is TargetProblem {
  return 'reason' in value;
}

/** Protected namespaces: the configured list plus the function's own namespace, compared case-insensitively (names are lower case; a differently-cased name in an alert still means the same namespace). */
export function protectionOf(namespace: string, config: NamespaceProtection): string | undefined {
  const name = namespace.toLowerCase();
  // The alert's spelling is not repeated: it may be any text (the check comes before name validation).
  const shown = DNS_LABEL.test(name) ? name : `${JSON.stringify(name.slice(0, 63))}${name.length > 63 ? '…' : ''}`;
  if (config.ownNamespace && name === config.ownNamespace.toLowerCase()) return `namespace ${shown} is where this function runs`;
  const hit = config.protectedNamespaces.find((pattern) => pattern.test(name));
  return hit ? `namespace ${shown} is protected (${hit.source})` : undefined;
}
