// The chart's NetworkPolicies are the raw manifests' (knative/30-network-policy.yaml,
// openfaas/network-policy.yaml), field for field, in the release's namespace; off by default.
import { describe, expect, it } from 'vitest';
import { NETWORK_POLICY_SOURCES } from '../../../packaging/chart/network-policy-templates.ts';
import { renderChart, type Platform } from '../../../testbed/packaging/chart.ts';
import { readYamlDocuments } from '../../../testbed/packaging/manifests.ts';

const policies = (platform: Platform, extra: string[] = []) => renderChart(platform, extra).filter((doc) => doc.kind === 'NetworkPolicy');

describe("the chart's NetworkPolicies", () => {
  it.each([
    ['knative', 'knative'],
    ['openfaas-ce', 'openfaas'],
  ] as const)("%s renders exactly %s's", (platform, source) => {
    expect(policies(platform)).toEqual(readYamlDocuments(NETWORK_POLICY_SOURCES[source]));
  });

  it('are off unless networkPolicy.enabled', () => {
    expect(policies('knative', ['--set', 'networkPolicy.enabled=false'])).toEqual([]);
    expect(policies('openfaas-pro')).toEqual([]);
  });
});
