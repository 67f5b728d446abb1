import { describe, expect, it } from 'vitest';
import { DispatcherReuse } from '../../shared/k8s/connection-reuse.ts';

function fakeDispatcher(name: string) {
  return {
    name,
    closed: false,
    async close() {
      this.closed = true;
    },
  };
}
function fakeContext(dispatcher: unknown) {
  let current = dispatcher;
  return { getDispatcher: () => current, setDispatcher: (d: unknown) => (current = d) } as any;
}

describe('DispatcherReuse', () => {
  it('keeps the first dispatcher built and puts it on every later call', () => {
    const reuse = new DispatcherReuse();
    const first = fakeDispatcher('first');
    const one = fakeContext(first);
    reuse.apply(one);
    expect(one.getDispatcher()).toBe(first);
    const two = fakeContext(fakeDispatcher('second'));
    reuse.apply(two);
    expect(two.getDispatcher()).toBe(first);
  });

  it('replaces the kept dispatcher after its maximum age (rotated client certificates) and closes the old one', () => {
    let now = 0;
    const reuse = new DispatcherReuse(1_000, () => now);
    const first = fakeDispatcher('first');
    reuse.apply(fakeContext(first));
    now = 1_000;
    const second = fakeDispatcher('second');
    const context = fakeContext(second);
    reuse.apply(context);
    expect(context.getDispatcher()).toBe(second);
    expect(first.closed).toBe(true);
    now = 1_500;
    const third = fakeContext(fakeDispatcher('third'));
    reuse.apply(third);
    expect(third.getDispatcher()).toBe(second);
  });

  it('leaves a call without a dispatcher (plain HTTP) as it is', () => {
    const reuse = new DispatcherReuse();
    const context = fakeContext(undefined);
    reuse.apply(context);
    expect(context.getDispatcher()).toBeUndefined();
  });
});
