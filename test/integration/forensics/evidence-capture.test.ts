// Evidence capture against the reacting cluster, as an identity with only the rules capture
// declares: the logs come through the API server's pods/log from kwok (testbed/workloads/container-logs.ts).
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { alertFromValue } from '../../../shared/alert/parse-request.ts';
import { resolveControllingOwner } from '../../../shared/guards/owner.ts';
import { EvidenceCapture } from '../../../shared/forensics/capture.ts';
import { EVIDENCE_DATA_LIMIT, evidenceContentOf } from '../../../shared/forensics/evidence-record.ts';
import type { EvidenceSettings } from '../../../shared/forensics/evidence-settings.ts';
import { pruneEvidence } from '../../../shared/forensics/evidence-store.ts';
import type { KubeClient } from '../../../shared/k8s/kube-client.ts';
import { alertFor } from '../../../testbed/alerts/alerts.ts';
import { createTestNamespace } from '../../../testbed/cluster/accounts.ts';
import type { ClusterCoords } from '../../../testbed/cluster/control-plane.ts';
import { evidenceCaptureClient, kubeClientFor } from '../../../testbed/forensics/evidence-bed.ts';
import { useCluster } from '../../../testbed/vitest/context.ts';
import { adminApis, type AdminApis } from '../../../testbed/workloads/admin-apis.ts';
import { writeContainerLogs } from '../../../testbed/workloads/container-logs.ts';
import { createPod, podSpec, waitForPodRunning } from '../../../testbed/workloads/pods.ts';
import { startStuckKubeletNode } from '../../../testbed/workloads/stuck-kubelet.ts';

let cluster: ClusterCoords;
let api: AdminApis;
beforeAll(() => {
  cluster = useCluster();
  api = adminApis(cluster);
});

const settings = (namespace: string, more: Partial<EvidenceSettings> = {}): EvidenceSettings => ({
  mode: 'logs',
  namespace,
  logBytes: 64 * 1024,
  timeoutMs: 2000,
  maxConcurrent: 4,
  ...more,
});

async function captureFor(kube: KubeClient, capture: EvidenceCapture, namespace: string, pod: string) {
  const read = (await kube.getPod(namespace, pod))!;
  const alert = alertFromValue(alertFor(namespace, pod));
  return capture.capture({ kube, pod: read, owner: await resolveControllingOwner(read, kube), alert, fn: 'delete-pod' });
}

async function storedContent(namespace: string, name: string) {
  const secret = await api.core.readNamespacedSecret({ namespace, name });
  return { secret, content: evidenceContentOf(secret) };
}

describe('evidence capture', () => {
  it('keeps the pod as read, its owners, the alert, its Events and the lines its container wrote', async () => {
    const ns = await createTestNamespace(cluster, 'evidence');
    const store = await createTestNamespace(cluster, 'evidence-store');
    const kube = await evidenceCaptureClient(cluster, { mode: 'logs', namespace: store });
    const pod = await createPod(api, ns, 'victim');
    await writeContainerLogs(cluster, api, ns, 'victim', { app: { current: ['GET /healthz', 'sh -c cat /etc/shadow'] } });
    const result = await captureFor(kube, new EvidenceCapture(settings(store)), ns, 'victim');
    expect(result).toMatchObject({
      mode: 'logs',
      stored: { namespace: store, name: `delete-pod-${pod.metadata!.uid}`, existed: false },
      missing: [],
      cut: [],
    });
    const { secret, content } = await storedContent(store, result.stored!.name);
    expect(secret.type).toBe('falco-response.dev/evidence');
    expect(secret.immutable).toBe(true);
    expect(secret.metadata!.labels).toMatchObject({
      'falco-response.dev/evidence-pod-namespace': ns,
      'falco-response.dev/evidence-pod-name': 'victim',
      'falco-response.dev/evidence-pod-uid': pod.metadata!.uid,
      'falco-response.dev/evidence-function': 'delete-pod',
    });
    expect(content.pod.metadata).toMatchObject({ name: 'victim', uid: pod.metadata!.uid });
    expect(content.pod.metadata!.managedFields).toBeUndefined();
    expect(content.owner).toEqual({ kind: 'Standalone', chain: ['Pod/victim'] });
    expect(content.alert).toMatchObject({
      rule: 'Terminal shell in container',
      output_fields: expect.objectContaining({ 'k8s.pod.name': 'victim' }),
    });
    expect(content.events.map((e) => e.reason)).toContain('Scheduled');
    expect(content.logs).toEqual([{ container: 'app', instance: 'current', text: 'GET /healthz\nsh -c cat /etc/shadow\n' }]);
    // A second capture of the same action finds the first.
    expect((await captureFor(kube, new EvidenceCapture(settings(store)), ns, 'victim')).stored).toMatchObject({ existed: true });
  });

  it('EVIDENCE=facts reads no log, with an identity that may not read any', async () => {
    const ns = await createTestNamespace(cluster, 'evidence-facts');
    const store = await createTestNamespace(cluster, 'evidence-store');
    const kube = await evidenceCaptureClient(cluster, { mode: 'facts', namespace: store });
    await createPod(api, ns, 'victim');
    const result = await captureFor(kube, new EvidenceCapture(settings(store, { mode: 'facts' })), ns, 'victim');
    expect(result).toMatchObject({ mode: 'facts', missing: [] });
    expect((await storedContent(store, result.stored!.name)).content.logs).toEqual([]);
  });

  it('a log endpoint that hangs: the capture returns within EVIDENCE_TIMEOUT_MS and says the log is missing', async () => {
    const ns = await createTestNamespace(cluster, 'evidence-hang');
    const store = await createTestNamespace(cluster, 'evidence-store');
    const kube = await evidenceCaptureClient(cluster, { mode: 'logs', namespace: store });
    const stuck = await startStuckKubeletNode(api);
    try {
      await createPod(api, ns, 'stuck', { nodeName: stuck.node });
      const started = Date.now();
      const result = await captureFor(kube, new EvidenceCapture(settings(store, { timeoutMs: 1000 })), ns, 'stuck');
      expect(Date.now() - started).toBeLessThan(1000 + 1000); // the reads before it (pod, owner) included
      expect(result.durationMs).toBeLessThanOrEqual(1100);
      expect(result.missing).toEqual(['log app (current): timed out (EVIDENCE_TIMEOUT_MS)']);
      const { content } = await storedContent(store, result.stored!.name);
      expect(content.summary.missing).toEqual(result.missing);
      expect(content.pod.metadata!.name).toBe('stuck');
    } finally {
      await stuck.close();
    }
  });

  it('oversized logs are cut from the front to stay under the 1 MiB limit, and the evidence says so', async () => {
    const ns = await createTestNamespace(cluster, 'evidence-big');
    const store = await createTestNamespace(cluster, 'evidence-store');
    const kube = await evidenceCaptureClient(cluster, { mode: 'logs', namespace: store });
    const containers = ['a', 'b', 'c'];
    await api.core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'noisy' }, spec: { ...podSpec(), containers: containers.map((name) => ({ name, image: 'alpine:3.20' })) } },
    });
    await waitForPodRunning(api, ns, 'noisy');
    // Random base64: gzip saves about a quarter, so 3 × 512 KiB kept still exceeds 1 MiB.
    const lines = (container: string) => [
      ...Array.from({ length: 6000 }, () => randomBytes(72).toString('base64')),
      `last line of ${container}`,
    ];
    await writeContainerLogs(cluster, api, ns, 'noisy', Object.fromEntries(containers.map((c) => [c, { current: lines(c) }])));
    const result = await captureFor(kube, new EvidenceCapture(settings(store, { logBytes: 512 * 1024, timeoutMs: 5000 })), ns, 'noisy');
    expect(result.missing).toEqual([]);
    const { secret, content } = await storedContent(store, result.stored!.name);
    const dataBytes = Object.values(secret.data!).reduce((sum, value) => sum + Buffer.from(value, 'base64').length, 0);
    expect(dataBytes).toBeLessThanOrEqual(EVIDENCE_DATA_LIMIT);
    expect(content.logs.map((log) => log.container)).toEqual(containers);
    for (const log of content.logs) {
      expect(log.text.endsWith(`last line of ${log.container}\n`)).toBe(true);
      expect(log.text.length).toBeLessThan(6000 * 97);
      expect(log.text.startsWith('\n')).toBe(false);
    }
    expect(result.cut).toEqual(
      containers.map((c) =>
        expect.stringMatching(new RegExp(`^log ${c} \\(current\\): kept the last \\d+ bytes to stay under the API server's 1 MiB$`)),
      ),
    );
  });

  it('prune removes exactly the evidence older than asked, nothing else in the namespace', async () => {
    const ns = await createTestNamespace(cluster, 'evidence-prune');
    const store = await createTestNamespace(cluster, 'evidence-store');
    const kube = await evidenceCaptureClient(cluster, { mode: 'facts', namespace: store });
    const capture = new EvidenceCapture(settings(store, { mode: 'facts' }));
    await Promise.all(['old-1', 'old-2', 'new-1'].map((name) => createPod(api, ns, name)));
    const old = await Promise.all(['old-1', 'old-2'].map((name) => captureFor(kube, capture, ns, name)));
    await api.core.createNamespacedSecret({ namespace: store, body: { metadata: { name: 'not-evidence' }, stringData: { a: 'b' } } });
    await new Promise((done) => setTimeout(done, 3000));
    const fresh = await captureFor(kube, capture, ns, 'new-1');
    const admin = kubeClientFor(cluster, cluster.adminToken);
    expect(await pruneEvidence(admin, store, 1500, { dryRun: true })).toEqual({ deleted: old.map((r) => r.stored!.name).sort(), kept: 1 });
    const names = async () => (await api.core.listNamespacedSecret({ namespace: store })).items.map((s) => s.metadata!.name).sort();
    expect(await names()).toEqual([...old.map((r) => r.stored!.name), fresh.stored!.name, 'not-evidence'].sort());
    expect(await pruneEvidence(admin, store, 1500)).toEqual({ deleted: old.map((r) => r.stored!.name).sort(), kept: 1 });
    expect(await names()).toEqual([fresh.stored!.name, 'not-evidence'].sort());
    expect(await pruneEvidence(admin, store, 1500)).toEqual({ deleted: [], kept: 1 });
  });
});
