import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { entrypointOf, FUNCTION_DOCKERFILE, nodeArgsOfEntrypoint, shippedNodeArgs } from '../../../bench/lib/entrypoint.ts';

describe('the benchmark runs a function as the image does', () => {
  it('takes the node arguments of the Dockerfile ENTRYPOINT, /app/ paths mapped into the bundle', () => {
    const dockerfile = 'FROM node:24\nENTRYPOINT ["node", "--max-semi-space-size=4", "/app/start.cjs"]\n';
    expect(nodeArgsOfEntrypoint(dockerfile, '/tmp/dist/delete-pod')).toEqual(['--max-semi-space-size=4', '/tmp/dist/delete-pod/start.cjs']);
  });

  it('uses the last ENTRYPOINT, continuation lines included', () => {
    const dockerfile = 'ENTRYPOINT ["node", "/app/old.cjs"]\nENTRYPOINT ["node", \\\n  "/app/start.cjs"]\n';
    expect(entrypointOf(dockerfile)).toEqual(['node', '/app/start.cjs']);
  });

  it('refuses a shell-form entry point, one without node and a Dockerfile without one', () => {
    expect(() => entrypointOf('ENTRYPOINT node /app/start.cjs')).toThrow(/exec form/);
    expect(() => nodeArgsOfEntrypoint('ENTRYPOINT ["/bin/sh", "-c", "node /app/start.cjs"]', '/b')).toThrow(/not node/);
    expect(() => entrypointOf('FROM node:24\nCMD ["node"]')).toThrow(/no ENTRYPOINT/);
  });

  it("reads the project's own Dockerfile: start.cjs of the bundle", () => {
    const args = shippedNodeArgs('/bundle');
    expect(args.at(-1)).toBe('/bundle/start.cjs');
    expect(entrypointOf(readFileSync(FUNCTION_DOCKERFILE, 'utf8'))[0]).toBe('node');
  });
});
