// The benchmark's "under the manifests' memory limit" runs: the function's node starts inside
// a memory cgroup of its own with that limit, so Node sizes V8's heap from it as in a cluster.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inMemoryLimit, MANIFEST_MEMORY_LIMIT_MIB, memoryLimit } from '../../../bench/lib/memory-limit.ts';

const REPORT =
  'process.stdout.write(JSON.stringify({ constrained: process.constrainedMemory(), heapLimit: require("v8").getHeapStatistics().heap_size_limit }))';

function runIn(limit: ReturnType<typeof memoryLimit>) {
  const { command, args } = inMemoryLimit(process.execPath, ['-e', REPORT], limit);
  return JSON.parse(execFileSync(command, args, { encoding: 'utf8' })) as { constrained: number; heapLimit: number };
}

describe('memory limit of a benchmarked function', () => {
  it('starts node inside a cgroup of its own with the limit, or says that none could be made', () => {
    const limit = memoryLimit(MANIFEST_MEMORY_LIMIT_MIB);
    try {
      const seen = runIn(limit);
      const unlimited = runIn({ how: 'none', remove() {} });
      if (limit.procsFile === undefined) {
        // No writable memory cgroup here: node runs as without a limit, and the table says so.
        expect(limit.how).toMatch(/^none: /);
        expect(seen.heapLimit).toBe(unlimited.heapLimit);
      } else {
        expect(limit.how).toContain(`= ${MANIFEST_MEMORY_LIMIT_MIB} MiB`);
        expect(seen.constrained).toBe(MANIFEST_MEMORY_LIMIT_MIB * 1024 * 1024);
        // What the limit is for: V8's heap sized from it, not from the machine's memory.
        expect(seen.heapLimit).toBeLessThan(unlimited.heapLimit);
      }
    } finally {
      limit.remove();
    }
    if (limit.procsFile) expect(existsSync(dirname(limit.procsFile))).toBe(false);
  });

  it('gives each process its own cgroup (a limit is per container)', () => {
    const a = memoryLimit(MANIFEST_MEMORY_LIMIT_MIB);
    const b = memoryLimit(MANIFEST_MEMORY_LIMIT_MIB);
    try {
      if (a.procsFile !== undefined) expect(a.procsFile).not.toBe(b.procsFile);
      else expect(b.procsFile).toBeUndefined();
    } finally {
      a.remove();
      b.remove();
    }
  });
});
