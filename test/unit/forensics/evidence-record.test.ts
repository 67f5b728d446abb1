// The evidence Secret's format without a cluster: label values, cutting a log's front at a
// line and never inside a character, the 1 MiB fit, and reading back what was written.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  EVIDENCE_DATA_LIMIT,
  evidenceContentOf,
  evidenceRecordOf,
  evidenceSecret,
  labelValue,
} from '../../../shared/forensics/evidence-record.ts';
import { evidenceRbacRules } from '../../../shared/forensics/evidence-rbac.ts';
import { lastBytes } from '../../../shared/forensics/log-tail.ts';

const summary = {
  function: 'delete-pod',
  pod: { namespace: 'web', name: 'a'.repeat(80), uid: '0b7a3c1e-0000-4000-8000-000000000000' },
  rule: 'Terminal shell in container',
  alertTime: '2026-12-02T12:00:00.123456789Z',
  capturedAt: '2026-12-02T12:00:01.000Z',
  mode: 'logs' as const,
  missing: [],
};

describe('evidence record', () => {
  it('label values: kept when valid, else a slug with a hash', () => {
    expect(labelValue('web-0')).toBe('web-0');
    expect(labelValue('terminal shell in container')).toMatch(/^terminal-shell-in-container-[0-9a-f]{16}$/);
    expect(labelValue('a'.repeat(80))).toHaveLength(63);
  });

  it('lastBytes starts at a line and never inside a UTF-8 character', () => {
    expect(lastBytes('one\ntwo\nthree\n', 9)).toEqual({ text: 'three\n', droppedBytes: 8 });
    expect(lastBytes('ééé', 3).text).toBe('é');
    expect(lastBytes('short', 100)).toEqual({ text: 'short', droppedBytes: 0 });
  });

  it('fits under the 1 MiB limit by cutting logs from the front, says what it cut, and reads back', () => {
    const log = (container: string) => ({
      container,
      instance: 'current' as const,
      text: `${randomBytes(600_000).toString('base64')}\nlast of ${container}\n`,
    });
    const content = {
      pod: { metadata: { name: 'p' } },
      owner: { kind: 'Standalone', name: undefined, chain: ['Pod/p'] },
      alert: { rule: 'r' },
      events: [],
      logs: ['a', 'b'].map(log),
    };
    const { secret, summary: written } = evidenceSecret(content, summary, 'falco-response-evidence');
    const bytes = Object.values(secret.data!).reduce((sum, value) => sum + Buffer.from(value, 'base64').length, 0);
    expect(bytes).toBeLessThanOrEqual(EVIDENCE_DATA_LIMIT);
    expect(written.cut).toEqual([
      expect.stringMatching(/^log a \(current\): kept the last \d+ bytes/),
      expect.stringMatching(/^log b \(current\)/),
    ]);
    expect(secret.metadata!.labels!['falco-response.dev/evidence-pod-name']).toHaveLength(63);
    const back = evidenceContentOf(secret);
    expect(back.logs.map((l) => l.text.endsWith(`last of ${l.container}\n`))).toEqual([true, true]);
    expect(back.logs[0]!.cut).toBe(written.cut[0]);
    expect(evidenceRecordOf(secret).summary).toMatchObject({ function: 'delete-pod', pod: summary.pod, cut: written.cut });
  });

  it('RBAC follows the settings: pods/log only for logs, Secrets only created, nothing for off', () => {
    expect(evidenceRbacRules({ mode: 'off', namespace: 'x' })).toEqual({ cluster: [], namespaced: [] });
    expect(evidenceRbacRules({ mode: 'facts', namespace: 'x' }).cluster.flatMap((r) => r.resources)).toEqual(['events']);
    const logs = evidenceRbacRules({ mode: 'logs', namespace: 'x' });
    expect(logs.cluster).toContainEqual({ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] });
    expect(logs.namespaced).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['create'] }]);
  });
});
