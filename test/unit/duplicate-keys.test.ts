// The duplicate-key check against what a reader would disagree on: generated objects whose
// keys may repeat (spelled the same or escaped differently), nested in objects and arrays.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findDuplicateKey } from '../../shared/alert/duplicate-keys.ts';

/** A key spelled as JSON, with some characters \\u-escaped: equal keys need not look equal. */
const spelled = (key: string, escapeMask: number) =>
  `"${[...key].map((char, i) => ((escapeMask >> (i % 16)) & 1 ? `\\u${char.codePointAt(0)!.toString(16).padStart(4, '0')}` : JSON.stringify(char).slice(1, -1))).join('')}"`;

type Node =
  | { kind: 'object'; entries: Array<{ key: string; mask: number; value: Node }> }
  | { kind: 'array'; items: Node[] }
  | { kind: 'scalar'; value: unknown };

const tree = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 0 }).map((value) => ({ kind: 'scalar' as const, value })),
    fc.array(tie('node'), { maxLength: 3 }).map((items) => ({ kind: 'array' as const, items })),
    fc
      .array(fc.record({ key: fc.constantFrom('a', 'b', 'k8s.ns.name', 'é', '"', '\\'), mask: fc.nat(0xffff), value: tie('node') }), {
        maxLength: 4,
      })
      .map((entries) => ({ kind: 'object' as const, entries })),
  ),
})).node;

function render(node: Node): string {
  if (node.kind === 'scalar') return JSON.stringify(node.value) ?? 'null';
  if (node.kind === 'array') return `[${node.items.map(render).join(',')}]`;
  return `{${node.entries.map((e) => `${spelled(e.key, e.mask)}:${render(e.value)}`).join(' , ')}}`;
}

function hasDuplicate(node: Node): boolean {
  if (node.kind === 'scalar') return false;
  if (node.kind === 'array') return node.items.some(hasDuplicate);
  return new Set(node.entries.map((e) => e.key)).size < node.entries.length || node.entries.some((e) => hasDuplicate(e.value));
}

describe('findDuplicateKey', () => {
  it('finds a repeated key exactly when some object repeats one, however it is escaped (3,000 generated documents)', () => {
    fc.assert(
      fc.property(tree, (node) => {
        const text = render(node);
        JSON.parse(text); // what it scans is always valid JSON
        expect(findDuplicateKey(text) !== undefined).toBe(hasDuplicate(node));
      }),
      { numRuns: 3000 },
    );
  });

  it('names the path of the key given twice', () => {
    expect(findDuplicateKey('{"output_fields":{"k8s.ns.name":"kube-system","k8s.ns.name":"shop"}}')).toBe('output_fields.k8s.ns.name');
    expect(findDuplicateKey('{"a":[{"b":1},{"b":2}],"c":{"d":"}","d":"{"}}')).toBe('c.d');
    expect(findDuplicateKey('{"a":"\\"","b":{"a":1}}')).toBeUndefined();
  });
});
