// Optional caller authentication with one shared token. Falcosidekick's outputs differ in
// what they can carry: the webhook output sends custom headers, the cloudevents (Knative)
// output sends extension attributes (Ce-<name>), the OpenFaaS output neither.
import { createHash, timingSafeEqual } from 'node:crypto';

export interface TokenSources {
  authorization?: string | undefined;
  customHeader?: string | undefined;
  ceExtensionHeader?: string | undefined;
}

/** Compares in constant time: both sides are hashed first so their lengths leak nothing either. */
export function tokensMatch(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token a request presents in its headers, if any. */
export function presentedHeaderToken(sources: TokenSources): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(sources.authorization?.trim() ?? '')?.[1]?.trim();
  return bearer ?? sources.customHeader?.trim() ?? sources.ceExtensionHeader?.trim();
}

export type TokenVerdict = 'ok' | 'missing token' | 'wrong token';

/** The one token check: alerts' headers, a structured CloudEvent's envelope and /metrics all use it. */
export function tokenVerdict(presented: string | undefined, expected: string): TokenVerdict {
  if (presented === undefined) return 'missing token';
  return tokensMatch(presented, expected) ? 'ok' : 'wrong token';
}
