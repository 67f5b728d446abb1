// The NetworkPolicies shipped for the functions' own namespaces: each selects every pod the
// path runs for us (and, on OpenFaaS, nothing else in the shared openfaas-fn), admits ingress
// only from the components that deliver alerts, and each peer names a namespace (never "any").
// The API server validates them in test/integration/packaging/manifests.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { KNATIVE_NAMESPACE, OPENFAAS_FUNCTION_NAMESPACE } from '../../../packaging/names.ts';
import { substituteStackVariables } from '../../../packaging/stack-schema.ts';
import { knativeServices, readYamlDocument, repoRoot, type Manifest } from '../../../testbed/packaging/manifests.ts';

const stack = parse(substituteStackVariables(readFileSync(join(repoRoot, 'stack.yml'), 'utf8'), {}));
const falcosidekick = readYamlDocument('falcosidekick/values-openfaas.yaml').config.openfaas;

/** `matchLabels` and `matchExpressions` (In, NotIn, Exists, DoesNotExist) against a label set. */
function selects(selector: Manifest, labels: Record<string, string>): boolean {
  const matchLabels = Object.entries((selector.matchLabels ?? {}) as Record<string, string>).every(([key, value]) => labels[key] === value);
  const matchExpressions = ((selector.matchExpressions ?? []) as Manifest[]).every(({ key, operator, values }) => {
    if (operator === 'In') return values.includes(labels[key]);
    if (operator === 'NotIn') return !values.includes(labels[key]);
    if (operator === 'Exists') return key in labels;
    return !(key in labels);
  });
  return matchLabels && matchExpressions;
}

/** Who a peer admits, as "<namespace>" or "<namespace>/<pod labels>"; a peer without a namespaceSelector would admit its own namespace or any IP. */
function peers(policy: Manifest): Array<{ namespace: string; pods?: Manifest }> {
  return (policy.spec.ingress as Manifest[]).flatMap((rule) =>
    (rule.from as Manifest[]).map((peer) => {
      expect(Object.keys(peer).sort(), JSON.stringify(peer)).toEqual(expect.arrayContaining(['namespaceSelector']));
      expect(peer.ipBlock).toBeUndefined();
      const namespace = peer.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'];
      expect(namespace, JSON.stringify(peer)).toBeTypeOf('string');
      expect(Object.keys(peer.namespaceSelector)).toEqual(['matchLabels']);
      return { namespace, pods: peer.podSelector };
    }),
  );
}

describe('knative/30-network-policy.yaml', () => {
  const policy = readYamlDocument('knative/30-network-policy.yaml');

  it('restricts ingress (only) of falco-response', () => {
    expect(policy).toMatchObject({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { namespace: KNATIVE_NAMESPACE },
      spec: { policyTypes: ['Ingress'] },
    });
  });

  it('selects the pods of every Knative Service we ship: the three functions and the dead-letter sink', () => {
    const services = knativeServices();
    expect(services.length).toBe(4);
    for (const { service } of services)
      expect(selects(policy.spec.podSelector, service.spec.template.metadata?.labels ?? {}), service.metadata.name).toBe(true);
  });

  it("admits Knative Serving (activator, autoscaler), Knative Eventing (the Broker's deliveries), the networking layer and Falcosidekick, nobody else", () => {
    const admitted = peers(policy);
    expect(admitted.map((peer) => peer.namespace).sort()).toEqual(['falco', 'knative-eventing', 'knative-serving', 'kourier-system']);
    const fromFalco = admitted.find((peer) => peer.namespace === 'falco')!;
    // The falco and falcosidekick charts label Falcosidekick's pods app.kubernetes.io/name=falcosidekick.
    expect(selects(fromFalco.pods!, { 'app.kubernetes.io/name': 'falcosidekick', 'app.kubernetes.io/instance': 'falco' })).toBe(true);
    expect(selects(fromFalco.pods!, { 'app.kubernetes.io/name': 'falco' })).toBe(false);
  });
});

describe('openfaas/network-policy.yaml', () => {
  const policy = readYamlDocument('openfaas/network-policy.yaml');

  it("restricts ingress (only) of the functions' namespace", () => {
    expect(policy).toMatchObject({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { namespace: OPENFAAS_FUNCTION_NAMESPACE },
      spec: { policyTypes: ['Ingress'] },
    });
    for (const fn of Object.values(stack.functions as Record<string, Manifest>)) expect(fn.namespace).toBe(OPENFAAS_FUNCTION_NAMESPACE);
  });

  it('selects each function of stack.yml by its labels, and not another function of openfaas-fn', () => {
    for (const [name, fn] of Object.entries(stack.functions as Record<string, Manifest>))
      expect(selects(policy.spec.podSelector, { ...fn.labels, faas_function: name }), name).toBe(true);
    expect(selects(policy.spec.podSelector, { faas_function: 'someone-elses' })).toBe(false);
  });

  it('admits only the gateway and its queue-worker, in the namespace Falcosidekick calls the gateway in', () => {
    const admitted = peers(policy);
    expect(admitted.map((peer) => peer.namespace)).toEqual([falcosidekick.gatewaynamespace]);
    const pods = admitted[0]!.pods!;
    expect(selects(pods, { app: 'gateway' })).toBe(true);
    expect(selects(pods, { app: 'queue-worker' })).toBe(true);
    expect(selects(pods, { app: 'prometheus' })).toBe(false);
  });
});
