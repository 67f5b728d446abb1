// client-node 2.x builds a new undici Agent for every API call (KubeConfig.
// applySecurityAuthentication), so every call pays a TCP + TLS handshake to the API server:
// ~10 ms each, four of them before a pod is deleted. One instance keeps one dispatcher and
// its keep-alive connections instead. The dispatcher carries only TLS material (CA, client
// certificate); the bearer token travels in a header set per call, so a rotated token is
// still picked up. Client certificates can rotate too: the kept dispatcher is replaced by
// a freshly built one after maxAgeMs, and the old one closes once its requests finish.
import type * as k8s from '@kubernetes/client-node';

type Dispatcher = NonNullable<ReturnType<k8s.RequestContext['getDispatcher']>>;

export class DispatcherReuse {
  private kept: { dispatcher: Dispatcher; since: number } | undefined;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(maxAgeMs = 5 * 60_000, now: () => number = Date.now) {
    this.maxAgeMs = maxAgeMs;
    this.now = now;
  }

  /** Puts the kept dispatcher on a call's context in place of the one built for it. */
  apply(context: k8s.RequestContext): void {
    const fresh = context.getDispatcher();
    if (fresh === undefined) return; // plain HTTP without TLS options: nothing to keep
    const kept = this.kept;
    if (kept && this.now() - kept.since < this.maxAgeMs) {
      context.setDispatcher(kept.dispatcher);
      return;
    }
    this.kept = { dispatcher: fresh, since: this.now() };
    if (kept) void kept.dispatcher.close().catch(() => undefined);
  }
}
