// Property-based fuzzing of the alert parser: whatever arrives, the answer is a typed alert
// or an AlertRejection with a 4xx status, a field and a reason — never another exception.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertRejection, parseAlertRequest } from '../../shared/alert/parse-request.ts';
import { falcoAlert } from '../../testbed/alerts/fixtures.ts';

function outcomeOf(headers: Record<string, string>, body: string): 'alert' | AlertRejection {
  try {
    parseAlertRequest({ headers, body });
    return 'alert';
  } catch (error) {
    if (error instanceof AlertRejection) return error;
    throw error;
  }
}

const valid = falcoAlert('terminal-shell-tekton');
const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/cloudevents+json',
  'application/cloudevents-batch+json',
  'text/plain',
  'application/xml',
  '',
  'application/json;;;',
  'APPLICATION/JSON',
);
const ceHeaders = fc.dictionary(
  fc.constantFrom('ce-id', 'ce-source', 'ce-type', 'ce-specversion', 'ce-time', 'ce-rule', 'ce-priority', 'ce-authtoken', 'ce-'),
  fc.oneof(fc.string(), fc.constantFrom('1.0', '0.3', 'Notice', 'Terminal shell in container')),
);
const pollutingKeys = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty');
const anyJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.string(), pollutingKeys), tie('value'), { maxKeys: 5 }),
  ),
})).value;
// Alerts close to valid: one field replaced with something else, or dropped.
const mutatedAlert = fc
  .record({
    key: fc.constantFrom(...Object.keys(valid), 'output_fields.k8s.pod.name', 'extra'),
    value: fc.oneof(anyJson, fc.constant(undefined)),
  })
  .map(({ key, value }) => {
    const copy = structuredClone(valid);
    if (key.startsWith('output_fields.')) copy.output_fields[key.slice('output_fields.'.length)] = value;
    else copy[key] = value;
    return JSON.stringify(copy) ?? '';
  });
const bodies = fc.oneof(
  mutatedAlert,
  anyJson.map((v) => JSON.stringify(v) ?? ''),
  mutatedAlert.chain((text) => fc.nat(text.length).map((n) => text.slice(0, n))), // truncated
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.nat(200).map((depth) => '['.repeat(depth * 50) + ']'.repeat(depth * 50)), // deep nesting
  fc.constantFrom(
    '{"__proto__":{"polluted":1},"rule":"r"}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    '{"output_fields":{"__proto__":{}}}',
  ),
);

describe('fuzzing the alert parser', () => {
  it('never throws anything but an AlertRejection with a 4xx, a field and a reason (5,000 requests)', () => {
    fc.assert(
      fc.property(contentTypes, ceHeaders, bodies, (contentType, headers, body) => {
        const result = outcomeOf({ ...(contentType ? { 'content-type': contentType } : {}), ...headers }, body);
        if (result !== 'alert') {
          expect([400, 415, 422]).toContain(result.status);
          expect(result.field.length).toBeGreaterThan(0);
          expect(result.reason.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 5000 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts only alerts whose required fields are all present and well-typed (2,000 mutations)', () => {
    fc.assert(
      fc.property(mutatedAlert, (body) => {
        const result = outcomeOf({ 'content-type': 'application/json' }, body);
        const parsed = JSON.parse(body);
        const requiredPresent = ['priority', 'rule', 'time', 'output_fields'].every((k) => parsed[k] !== undefined && parsed[k] !== null);
        if (result === 'alert') expect(requiredPresent).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('handles huge strings within the body limit without a crash', () => {
    const huge = JSON.stringify({ ...valid, output: 'x'.repeat(300_000) });
    expect(outcomeOf({ 'content-type': 'application/json' }, huge)).toMatchObject({ status: 422, field: 'output' });
    const manyFields = JSON.stringify({
      ...valid,
      output_fields: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`f${i}`, i])),
    });
    expect(outcomeOf({ 'content-type': 'application/json' }, manyFields)).toMatchObject({ status: 422, field: 'output_fields' });
  });
});
