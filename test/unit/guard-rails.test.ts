import type { V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseAlertRequest } from '../../shared/alert/parse-request.ts';
import { EnvReader } from '../../shared/config/env-reader.ts';
import { readPipelineSettings } from '../../shared/respond/pipeline-settings.ts';
import { DELETE_POD_SETTINGS } from '../../functions/delete-pod/settings.ts';
import { findMismatch } from '../../shared/guards/alert-match.ts';
import { BlastRadiusLimit } from '../../shared/guards/blast-radius.ts';
import { optOutReason, runsContainer } from '../../shared/guards/pod-checks.ts';
import { RecentDecisions } from '../../shared/respond/recent-decisions.ts';
import { compileRulePattern } from '../../shared/guards/rule-pattern.ts';
import { podTargetOf, protectionOf } from '../../shared/guards/target.ts';
import { selectorMatches } from '../../shared/k8s/label-selector.ts';
import { skipped } from '../../shared/respond/decision.ts';
import { policiesUndoingQuarantine, quarantinePolicyName } from '../../functions/isolate-pod/quarantine.ts';
import { gitOpsManager } from '../../functions/scale-to-zero/gitops.ts';
import { falcoAlert, freshAlert } from '../../testbed/alerts/fixtures.ts';

const alertOf = (overrides: Record<string, any> = {}, fields: Record<string, any> = {}) => {
  const base = freshAlert(falcoAlert('terminal-shell-tekton'), overrides);
  base.output_fields = { ...base.output_fields, ...fields };
  return parseAlertRequest({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(base) }).alert;
};
const guards = (env: Record<string, string> = {}) => {
  const reader = new EnvReader({ POD_NAMESPACE: 'falco-response', ...env });
  const config = readPipelineSettings(reader);
  reader.throwIfProblems();
  return config;
};

describe('matching rules, priority, tags and source', () => {
  it('matches every rule by default at notice and above', () => {
    expect(findMismatch(alertOf(), guards())).toBeUndefined();
    expect(findMismatch(alertOf({ priority: 'Informational' }), guards())?.reason).toBe('priority-below-minimum');
  });

  it.each([
    ['Terminal shell in container', true],
    ['Terminal shell*', true],
    ['/^terminal shell/i', true],
    ['Terminal shell', false],
    ['*in container*', true],
  ])('RULES=%s selects the rule: %s', (rules, selected) => {
    expect(findMismatch(alertOf(), guards({ RULES: rules }))?.reason).toBe(selected ? undefined : 'rule-not-selected');
  });

  it('accepts a JSON array of rules for names containing commas', () => {
    expect(
      findMismatch(alertOf({ rule: 'Read sensitive file, untrusted' }), guards({ RULES: '["Read sensitive file, untrusted"]' })),
    ).toBeUndefined();
  });

  it('compares priorities by severity', () => {
    expect(findMismatch(alertOf({ priority: 'Critical' }), guards({ MIN_PRIORITY: 'warning' }))).toBeUndefined();
    expect(findMismatch(alertOf({ priority: 'Notice' }), guards({ MIN_PRIORITY: 'WARNING' }))?.reason).toBe('priority-below-minimum');
  });

  it('requires every configured tag and a selected source', () => {
    expect(findMismatch(alertOf({ tags: ['container', 'shell'] }), guards({ REQUIRED_TAGS: 'shell,mitre_execution' }))?.reason).toBe(
      'missing-tags',
    );
    expect(
      findMismatch(alertOf({ tags: ['shell', 'mitre_execution'] }), guards({ REQUIRED_TAGS: 'shell,mitre_execution' })),
    ).toBeUndefined();
    expect(findMismatch(alertOf({ source: 'k8s_audit' }), guards({ SOURCES: 'syscall' }))?.reason).toBe('source-not-selected');
  });

  it('rejects bad settings at start-up, naming each variable', () => {
    const reader = new EnvReader({
      MIN_PRIORITY: 'loud',
      RULES: '/(unclosed/',
      MIN_READY_REPLICAS: 'most',
      SKIP_OWNER_KINDS: 'Pets',
      DRY_RUN: 'maybe',
    });
    readPipelineSettings(reader);
    DELETE_POD_SETTINGS.read(reader);
    expect(reader.problems.join('\n')).toMatch(/MIN_PRIORITY.*\n?.*/);
    for (const name of ['MIN_PRIORITY', 'RULES', 'MIN_READY_REPLICAS', 'SKIP_OWNER_KINDS', 'DRY_RUN'])
      expect(reader.problems.join('\n')).toContain(name);
  });
});

describe('the target: both namespace and pod, valid names, not protected', () => {
  it.each([
    [{ 'k8s.ns.name': null }, 'no-target'],
    [{ 'k8s.pod.name': undefined }, 'no-target'],
    [{ 'k8s.pod.name': '<NA>' }, 'no-target'],
    [{ 'k8s.pod.name': 'Bad_Name' }, 'invalid-target'],
    [{ 'k8s.ns.name': 'x'.repeat(64) }, 'invalid-target'],
  ])('%j → %s', (fields, reason) => {
    const target = podTargetOf(alertOf({}, fields));
    expect('reason' in target && target.reason).toBe(reason);
  });

  it("protects the default namespaces, the function's own, and patterns", () => {
    const config = guards({ PROTECTED_NAMESPACES: 'kube-*,prod-db' });
    expect(protectionOf('kube-system', config)).toBeDefined();
    expect(protectionOf('KUBE-SYSTEM', config)).toBeDefined();
    expect(protectionOf('prod-db', config)).toBeDefined();
    expect(protectionOf('falco-response', config)).toMatch(/where this function runs/);
    expect(protectionOf('default', config)).toBeUndefined();
    for (const ns of [
      'kube-system',
      'kube-public',
      'kube-node-lease',
      'falco',
      'openfaas',
      'openfaas-fn',
      'knative-serving',
      'knative-eventing',
    ]) {
      expect(protectionOf(ns, guards())).toBeDefined();
    }
  });
});

const pod = (meta: Partial<V1Pod['metadata']> = {}, containerIDs: string[] = []): V1Pod => ({
  metadata: { name: 'alpine', namespace: 'falcoresponse', uid: 'u1', ...meta },
  status: {
    containerStatuses: containerIDs.map((id, i) => ({
      name: `c${i}`,
      containerID: id,
      image: 'alpine',
      imageID: 'sha',
      ready: true,
      restartCount: 0,
    })),
  },
});

describe('checks on the pod', () => {
  it("finds the alert's container by prefix, across runtimes and ephemeral containers", () => {
    expect(runsContainer(pod({}, ['containerd://6ac7d190134e0123456789abcdef']), '6ac7d190134e')).toBe(true);
    expect(runsContainer(pod({}, ['docker://6AC7D190134E0123']), '6ac7d190134e')).toBe(true);
    expect(runsContainer(pod({}, ['containerd://ffff']), '6ac7d190134e')).toBe(false);
    expect(runsContainer(pod({}, []), '6ac7d190134e')).toBe(true);
    expect(
      runsContainer(
        {
          ...pod(),
          status: {
            ephemeralContainerStatuses: [
              { name: 'debugger', containerID: 'cri-o://6ac7d190134eaa', image: 'busybox', imageID: '', ready: false, restartCount: 0 },
            ],
          },
        },
        '6ac7d190134e',
      ),
    ).toBe(true);
  });

  it('honours the opt-out label or annotation on the pod or its namespace, and ignore-until', () => {
    expect(optOutReason(pod({ labels: { 'falco-response.dev/ignore': 'true' } }), undefined)).toMatch(/label/);
    expect(optOutReason(pod({ annotations: { 'falco-response.dev/ignore': 'yes' } }), undefined)).toMatch(/annotation/);
    expect(optOutReason(pod({ labels: { 'falco-response.dev/ignore': 'false' } }), undefined)).toBeUndefined();
    expect(optOutReason(pod(), { metadata: { name: 'falcoresponse', labels: { 'falco-response.dev/ignore': 'true' } } })).toMatch(
      /namespace/,
    );
    const later = new Date(Date.now() + 3600_000).toISOString();
    const earlier = new Date(Date.now() - 3600_000).toISOString();
    expect(optOutReason(pod({ annotations: { 'falco-response.dev/ignore-until': later } }), undefined)).toMatch(/ignored until/);
    expect(optOutReason(pod({ annotations: { 'falco-response.dev/ignore-until': earlier } }), undefined)).toBeUndefined();
  });
});

describe('blast-radius limit', () => {
  it('allows N actions per window, then refuses until the window passes; released slots count again', () => {
    const limit = new BlastRadiusLimit(2, 60);
    expect(limit.tryReserve(0)).toBe(true);
    expect(limit.tryReserve(1000)).toBe(true);
    expect(limit.tryReserve(2000)).toBe(false);
    limit.release(1000);
    expect(limit.tryReserve(3000)).toBe(true);
    expect(limit.secondsUntilFree(3000)).toBe(57);
    expect(limit.tryReserve(60_001)).toBe(true);
  });
});

describe('recent decisions (dedupe)', () => {
  it('remembers for the window, is bounded in size, and runs concurrent work once', async () => {
    const recent = new RecentDecisions(10, 3);
    recent.remember('a', skipped('already-gone', ''), 0);
    expect(recent.recall('a', 9_999)).toBeDefined();
    expect(recent.recall('a', 10_000)).toBeUndefined();
    for (const key of ['1', '2', '3', '4']) recent.remember(key, skipped('x', ''), 0);
    expect(recent.size).toBe(3);
    expect(recent.recall('1', 0)).toBeUndefined();
    let runs = 0;
    const work = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 20));
      return skipped('done', '');
    };
    const results = await Promise.all(Array.from({ length: 50 }, () => recent.once('k', work)));
    expect(runs).toBe(1);
    expect(results.filter((r) => !r.shared)).toHaveLength(1);
  });
});

describe('label selectors and quarantine holes', () => {
  it('evaluates matchLabels and matchExpressions', () => {
    const labels = { app: 'web', tier: 'front' };
    expect(selectorMatches({}, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { app: 'web' } }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'db', operator: 'DoesNotExist' }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'db', operator: 'Exists' }] }, labels)).toBe(false);
  });

  it('names other policies that select the pod and allow traffic', () => {
    const policies: V1NetworkPolicy[] = [
      { metadata: { name: 'allow-web' }, spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{}] } },
      { metadata: { name: 'deny-db' }, spec: { podSelector: { matchLabels: { app: 'db' } }, ingress: [{}] } },
      { metadata: { name: 'default-deny' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
      { metadata: { name: 'egress-all' }, spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{}] } },
    ];
    const holes = policiesUndoingQuarantine(policies, { app: 'web' }, 'falco-quarantine-x');
    expect(holes).toEqual([expect.stringContaining('allow-web'), expect.stringContaining('egress-all')]);
  });

  it('keeps policy names within 253 characters and unique per pod', () => {
    const long = 'p'.repeat(253);
    expect(quarantinePolicyName(long).length).toBeLessThanOrEqual(253);
    expect(quarantinePolicyName(long)).not.toBe(quarantinePolicyName(`${'p'.repeat(252)}q`));
  });
});

describe('GitOps detection', () => {
  it('recognises Flux and Argo CD labels and the Argo tracking annotation', () => {
    expect(
      gitOpsManager({
        metadata: { labels: { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' } },
      }),
    ).toMatch(/Flux.*Kustomization apps/);
    expect(gitOpsManager({ metadata: { labels: { 'helm.toolkit.fluxcd.io/name': 'web' } } })).toMatch(/HelmRelease web/);
    expect(gitOpsManager({ metadata: { labels: { 'argocd.argoproj.io/instance': 'shop' } } })).toMatch(/Argo CD.*shop/);
    expect(gitOpsManager({ metadata: { annotations: { 'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:ns/web' } } })).toMatch(
      /shop/,
    );
    expect(gitOpsManager({ metadata: { labels: { app: 'web' } } })).toBeUndefined();
  });
});

it('compiles rule patterns: exact, glob, regex', () => {
  expect(compileRulePattern('a*c').test('abbc')).toBe(true);
  expect(compileRulePattern('a.c').test('abc')).toBe(false);
});
